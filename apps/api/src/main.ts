import { ConfigError, connectNats, createLogger, SecretStore, secretsKeyFrom, systemClock } from '@lbaas/app-shell';
import { ensureEventStream, jetStreamEventStore, runProjection } from '@lbaas/event-store';
import { evolveCatalog, initialCatalog } from '@lbaas/projections';
import { ClientProxyFactory, Transport } from '@nestjs/microservices';
import { subjects } from '@lbaas/contracts';
import { firstValueFrom, timeout } from 'rxjs';
import { createApiApp } from './app';
import type { AgentQueries } from './shell/agent-queries';
import { loadConfig } from './config';

/** Starts the api: NATS, the event stream, the Catalog view (replayed, then live), then HTTP. */
async function main(): Promise<void> {
  let config;
  let secretsKey: Buffer | null;
  try {
    config = loadConfig(process.env);
    secretsKey = secretsKeyFrom(process.env);
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && /SECRETS_KEY/.test(err.message))) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger('api', {}, config.logLevel);
  // 1. Connect and make sure the append-only stream exists.
  const nc = await connectNats({ url: config.natsUrl, name: 'lbaas-api', logger });
  await ensureEventStream(nc);
  const store = jetStreamEventStore(nc);
  // Certificates and keys: sealed in a KV bucket, never in the stream (off without SECRETS_KEY).
  const secrets = secretsKey ? await SecretStore.open(nc, secretsKey) : null;
  // 2. Replay every commit into one in-memory Catalog, then follow live.
  const catalog = initialCatalog();
  const started = Date.now();
  const projection = await runProjection(nc, {
    onCommit: (commit) => evolveCatalog(catalog, commit),
    onProgress: (p) => logger.info({ op: 'replay', seq: p.seq, lastSeq: p.lastSeq }, 'replaying the event stream'),
    logger,
  });
  logger.info({ op: 'replay', seq: projection.seq, ms: Date.now() - started, loadBalancers: catalog.loadBalancers.lbs.size }, 'catalog ready');
  // 3. Serve HTTP.
  // Request/reply to agents (stats) through Nest's NATS transport, the one the agents answer on.
  const rpc = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: config.natsUrl.split(','), name: 'lbaas-api:rpc' } });
  const agentQueries: AgentQueries = (agentId, query, payload, timeoutMs) =>
    firstValueFrom(rpc.send(subjects.agentQuery(agentId, query), payload).pipe(timeout(timeoutMs)));
  const app = await createApiApp({
    config, store, clock: systemClock, logger, agentQueries, secrets,
    view: { catalog, waitFor: (seq, timeoutMs) => projection.waitFor(seq, timeoutMs) },
  });
  app.enableShutdownHooks();
  await app.listen({ host: config.host, port: config.port });
  logger.info({ op: 'ready', host: config.host, port: config.port }, 'api listening');

  const stop = async (signal: string) => {
    logger.info({ op: 'shutdown', signal }, 'stopping');
    await app.close().catch(() => undefined);
    await rpc.close().catch(() => undefined);
    await projection.stop().catch(() => undefined);
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
