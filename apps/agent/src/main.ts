import 'reflect-metadata';
import { mkdirSync, rmSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MicroserviceOptions } from '@nestjs/microservices';
import { AppMetrics, ConfigError, connectNats, createLogger, natsConnectionOptions, NestPinoLogger, SafeNatsRequestDeserializer, startMetricsServer, viewReadiness } from '@lbaas/app-shell';
import { jetStreamEventStore, observedEventStore, watchStreamHead } from '@lbaas/event-store';
import { SecretStore, secretsKeyFrom } from '@lbaas/secret-store';
import { AgentRuntime } from './agent-runtime';
import { loadConfig } from './config';
import { KernelFence } from './host/kernel-fence';
import { LinuxHost } from './host/linux-host';
import { agentMetrics } from './metrics';
import { ensureWatchdog, stopWatchdog } from './watchdog';

/** haproxy needs about 2 x maxconn open files; cap maxconn by the hard limit it inherits from us. */
function maxconnCap(configured: number): number {
  if (configured > 0) return configured;
  const m = /^Max open files\s+\d+\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const hard = !m || m[1] === 'unlimited' ? 2_000_000 : Number(m[1]);
  return Math.max(100, Math.floor((hard - 1000) / 2));
}

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger('agent', { agent_id: config.agentId }, config.logLevel);
  // 1. Netns, veths and haproxy need root; say so instead of failing half-way.
  if (process.getuid?.() !== 0) throw new ConfigError(['the agent must run as root (it creates network namespaces and runs haproxy)']);
  const fence = config.kernelFence ? new KernelFence(config.agentId) : null;
  const host = new LinuxHost({ stateDir: config.stateDir, runDir: config.runDir, haproxyBin: config.haproxyBin, garpCount: config.garpCount, fence });
  // 2. --cleanup: destroy everything this agent's state dir records (lbaasctl up on Ctrl-C), then exit.
  if (process.argv.includes('--cleanup')) {
    stopWatchdog(config.stateDir);
    for (const lbId of host.owned()) {
      await host.destroy(lbId);
      logger.info({ op: 'cleanup', lb_id: lbId }, 'destroyed');
    }
    await fence?.remove();
    // Nothing of ours is left in the run dir but the PING check script: remove the dir (it is this agent's alone).
    rmSync(config.runDir, { recursive: true, force: true });
    return;
  }
  // 3. The host's fence: a watchdog process that withdraws our VIPs when our lease lapses, even if we are dead.
  if (config.watchdog) {
    mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
    const pid = ensureWatchdog(config.stateDir, Math.max(50, Math.min(200, Math.floor(config.leaseMs / 10))), join(config.stateDir, 'watchdog.log'));
    logger.info({ op: 'watchdog', pid }, 'lease watchdog running');
  }
  // 4. NATS and the event store, then the runtime (register, replay, reconcile, health, heartbeats).
  const nc = await connectNats({ nats: config.nats, name: `agent:${config.agentId}`, logger });
  // Metrics and health (METRICS_PORT): not ready until replayed and caught up; lease, reconcile and haproxy figures.
  const metrics = new AppMetrics('agent', { agent_id: config.agentId });
  metrics.watchNats(nc);
  const head = watchStreamHead(nc);
  let runtime: AgentRuntime | null = null;
  let started = false;
  const appliedSeq = () => runtime?.appliedSeq ?? 0;
  metrics.trackProjection('catalog', appliedSeq, head.current);
  metrics.setReadiness(viewReadiness({ connected: () => metrics.natsConnectedNow(), appliedSeq, head: head.current, extra: () => ({ replayed: started }) }));
  const agentSide = agentMetrics(metrics, { stateDir: config.stateDir, desired: () => runtime?.desired() ?? { agentId: config.agentId, loadBalancers: [] } });
  if (config.metrics) await startMetricsServer({ config: config.metrics, metrics, logger });
  // The operator creates the stream; an agent never does, and it acts on one only when it trusts it (AgentRuntime.start:
  // heartbeats first, then the stream's identity; one that replayed a new, empty stream would destroy its LBs).
  runtime = new AgentRuntime(
    config, nc, observedEventStore(jetStreamEventStore(nc, { logger }), metrics.eventStore), agentSide.instrument(host), logger, maxconnCap(config.haproxyMaxconnCap),
  );
  runtime.observeReconcile = agentSide.observeReconcile;
  // TERMINATED_HTTPS: certificates come from the sealed secret store, never from the stream (off without SECRETS_KEY).
  // Opened on first use, and again after a failure: a bucket missing for a while must not stop the agent.
  const secretsKey = secretsKeyFrom(process.env);
  if (secretsKey) {
    let secrets: Promise<SecretStore> | null = null;
    runtime.resolveCert = async (ref) => {
      secrets ??= SecretStore.open(nc, secretsKey).catch((err: unknown) => { secrets = null; throw err; });
      return (await secrets).resolvePem(ref);
    };
  }
  // The lease before the Nest shell is even loaded (its modules alone take 0.4-1.4 s here, more on a loaded host): a
  // restart that renews within the lease stays hitless.
  await runtime.startFencing();
  const { NestFactory } = require('@nestjs/core') as typeof import('@nestjs/core');
  const { Transport } = require('@nestjs/microservices') as typeof import('@nestjs/microservices');
  const { AppModule } = require('./app.module') as typeof import('./app.module');
  // 5. The Nest shell answers the rpc queries over core NATS (also while the runtime waits for a stream it trusts, so a
  //    drill hears why); SIGTERM/SIGINT stop the loops, haproxy keeps running.
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(AppModule.forRoot({ config, runtime, logger, nc }), {
    // Bad bytes on our query subjects reach the controller as MalformedMessage, never an unhandled rejection.
    transport: Transport.NATS, options: { ...natsConnectionOptions(config.nats, `agent:${config.agentId}:rpc`), deserializer: new SafeNatsRequestDeserializer() },
    bufferLogs: true, logger: new NestPinoLogger(logger),
  });
  app.useLogger(new NestPinoLogger(logger));
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.listen();
  // A test hook (LEASE_TEST_STALL_MS): SIGUSR2 blocks this thread's event loop, as a long synchronous stretch of work would.
  if (config.testStallMs > 0) {
    process.on('SIGUSR2', () => {
      logger.warn({ op: 'test.stall', ms: config.testStallMs }, 'test hook: blocking the event loop');
      const until = Date.now() + config.testStallMs;
      while (Date.now() < until) { /* busy */ }
      logger.warn({ op: 'test.stall', ms: config.testStallMs }, 'test hook: event loop free again');
    });
  }
  await runtime.start();
  started = true;
  logger.info({ op: 'ready', run_dir: config.runDir, state_dir: config.stateDir }, 'agent ready');
  process.once('beforeExit', () => void nc.drain().catch(() => undefined));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) console.error(err.message);
  else console.error(JSON.stringify({ level: 'fatal', op: 'start', err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }));
  process.exit(1);
});
