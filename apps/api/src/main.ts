import {
  AppMetrics, ConfigError, connectNats, createLogger, macKeyFrom, natsConnectionOptions, SafeNatsResponseDeserializer, startMetricsServer, systemClock, viewReadiness,
} from '@lbaas/app-shell';
import {
  catchUpBarrier, jetStreamEventStore, loadSnapshot, observedEventStore, runProjection, saveSnapshot, waitForEventStream, watchStreamHead,
} from '@lbaas/event-store';
import { CATALOG_SNAPSHOT, catalogCodec, evolveCatalog, initialCatalog } from '@lbaas/projections';
import { SecretStore, secretsKeyFrom } from '@lbaas/secret-store';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { REPORT_STREAM, subjects } from '@lbaas/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { createApiApp } from './app';
import type { AgentQueries } from './http/agent-queries';
import { loadConfig } from './config';
import { streamHealth } from './health/health';
import { apiMetrics } from './metrics';

/** Starts the api: NATS, the event stream, the Catalog view (replayed, then live), then HTTP. */
async function main(): Promise<void> {
  let config;
  let secretsKey: Buffer | null;
  let macKey: Buffer | null;
  try {
    config = loadConfig(process.env);
    secretsKey = secretsKeyFrom(process.env);
    // Snapshots are used only when their HMAC verifies under the operator's key (LBAAS_MAC_KEY_FILE); without it: full replays.
    const problems: string[] = [];
    macKey = macKeyFrom(process.env, problems);
    if (problems.length) throw new ConfigError(problems);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && /SECRETS_KEY/.test(err.message))) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('api', {}, config.logLevel);
  // 1. Connect and wait for the append-only stream (the operator creates it: lbaasctl bootstrap).
  const nc = await connectNats({ nats: config.nats, name: 'lbaas-api', logger });
  const metrics = new AppMetrics('api');
  metrics.watchNats(nc);
  let listening = false;
  const head = watchStreamHead(nc);
  let appliedSeq = () => 0;
  metrics.setReadiness(viewReadiness({
    connected: () => metrics.natsConnectedNow(), appliedSeq: () => appliedSeq(), head: head.current, extra: () => ({ listening }),
  }));
  const metricsServer = config.metrics ? await startMetricsServer({ config: config.metrics, metrics, logger }) : null;
  await waitForEventStream(nc, { logger });
  const store = observedEventStore(jetStreamEventStore(nc, { logger }), metrics.eventStore);
  // Certificates and keys: sealed in a KV bucket, never in the stream (off without SECRETS_KEY).
  const secrets = secretsKey ? await SecretStore.open(nc, secretsKey) : null;
  // 2. Replay every commit into one in-memory Catalog (from a snapshot when a valid one exists), then follow live.
  const started = Date.now();
  const snap = await loadSnapshot(nc, CATALOG_SNAPSHOT, catalogCodec, logger, macKey);
  const catalog = 'view' in snap ? snap.view : initialCatalog();
  const startAfter = 'view' in snap ? snap.seq : 0;
  const projection = await runProjection(nc, {
    startAfter,
    onCommit: (commit) => evolveCatalog(catalog, commit),
    onProgress: (p) => logger.info({ op: 'replay', seq: p.seq, lastSeq: p.lastSeq }, 'replaying the event stream'),
    logger,
  });
  // Member statuses: the latest of each member from the agents' report subjects (they never enter an LB's history),
  // then every new one; the catalog takes a status only from the agent the LB's placement names, at its epoch.
  const memberReports = await runProjection(nc, {
    stream: REPORT_STREAM, filter: subjects.allMemberReports, deliver: 'last-per-subject', logger,
    onCommit: (commit) => evolveCatalog(catalog, commit),
  });
  appliedSeq = () => projection.seq;
  metrics.trackProjection('catalog', appliedSeq, head.current);
  logger.info({ op: 'replay', seq: projection.seq, ms: Date.now() - started, loadBalancers: catalog.loadBalancers.lbs.size, snapshotSeq: startAfter, reportSeq: memberReports.seq }, 'catalog ready');
  // A long replay is worth a fresh snapshot for the next start (every valid snapshot is equal). With NATS identities
  // snapshots are the operator's (lbaasctl snapshot): the api's identity may only read them.
  if (projection.seq - startAfter >= 5_000 && config.nats.auth.kind === 'none' && macKey) {
    void saveSnapshot(nc, CATALOG_SNAPSHOT, catalogCodec, catalog, catalog.seq, macKey).then(
      (bytes) => logger.info({ op: 'snapshot.save', seq: catalog.seq, bytes }, 'catalog snapshot saved'),
      (err: unknown) => logger.warn({ op: 'snapshot.save', err }, 'catalog snapshot not saved'));
  }
  // 3. Serve HTTP.
  // Request/reply to agents (stats) through Nest's NATS transport, the one the agents answer on.
  // A reply that is not JSON (an agent's identity may answer) ends that one request with an error, not the api.
  const rpc = ClientProxyFactory.create({ transport: Transport.NATS, options: { ...natsConnectionOptions(config.nats, 'lbaas-api:rpc'), deserializer: new SafeNatsResponseDeserializer() } });
  const agentQueries: AgentQueries = (agentId, query, payload, timeoutMs) =>
    firstValueFrom(rpc.send(subjects.agentQuery(agentId, query), payload).pipe(timeout(timeoutMs)));
  const app = await createApiApp({
    config, store, clock: systemClock, logger, agentQueries, secrets, metrics: apiMetrics(metrics),
    view: {
      catalog, waitFor: (seq, timeoutMs) => projection.waitFor(seq, timeoutMs), onApplied: (l) => projection.onApplied(l),
      catchUp: catchUpBarrier(nc, projection).sync,
    },
    health: streamHealth(nc, (seq, timeoutMs) => projection.waitFor(seq, timeoutMs)),
  });
  app.enableShutdownHooks();
  await app.listen({ host: config.host, port: config.port });
  listening = true;
  logger.info({ op: 'ready', host: config.host, port: config.port, auth: config.auth.strategy, policyMode: config.policyMode }, 'api listening');
  if (config.auth.strategy === 'noauth') logger.warn({ op: 'auth', strategy: 'noauth' }, 'AUTH_STRATEGY=noauth: every caller is admin; for a laptop, never in front of tenants');

  const stop = async (signal: string) => {
    logger.info({ op: 'shutdown', signal }, 'stopping');
    await app.close().catch(() => undefined);
    await rpc.close().catch(() => undefined);
    await projection.stop().catch(() => undefined);
    await memberReports.stop().catch(() => undefined);
    head.stop();
    await metricsServer?.close().catch(() => undefined);
    await nc.drain().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`api failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
