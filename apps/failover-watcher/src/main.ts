import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { AppMetrics, connectNats, createLogger, natsConnectionOptions, NestPinoLogger, SafeNatsRequestDeserializer, startMetricsServer, viewReadiness } from '@lbaas/app-shell';
import { watchStreamHead } from '@lbaas/event-store';
import { loadConfig } from './config';
import { FailoverLoop } from './failover.loop';
import { watcherMetrics } from './metrics';
import { WatcherModule } from './watcher.module';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('failover-watcher', { instance: config.instanceId }, config.logLevel);
  const nc = await connectNats({ nats: config.nats, name: `failover-watcher-${config.instanceId}`, logger });
  // Metrics and health first: /readyz says "not ready" while the stream is awaited and replayed.
  const metrics = new AppMetrics('failover-watcher');
  metrics.watchNats(nc);
  const head = watchStreamHead(nc);
  let loop: FailoverLoop | null = null;
  const appliedSeq = () => loop?.appliedSeq ?? 0;
  metrics.trackProjection('failover', appliedSeq, head.current);
  metrics.setReadiness(viewReadiness({ connected: () => metrics.natsConnectedNow(), appliedSeq, head: head.current, extra: () => ({ replayed: loop !== null }) }));
  const observer = watcherMetrics(metrics, () => loop);
  const metricsServer = config.metrics ? await startMetricsServer({ config: config.metrics, metrics, logger }) : null;
  // Heartbeats arrive through Nest's NATS transport (no queue group: every watcher instance hears every agent).
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(WatcherModule.register(config, logger, nc, observer), {
    transport: Transport.NATS, options: { ...natsConnectionOptions(config.nats, `failover-watcher-${config.instanceId}:hb`), maxReconnectAttempts: -1, deserializer: new SafeNatsRequestDeserializer() }, logger: new NestPinoLogger(logger),
  });
  await app.listen();
  loop = app.get(FailoverLoop);
  logger.info({ op: 'ready', agentDownTimeMs: config.agentDownTimeMs }, 'failover-watcher ready');
  const stop = async () => { await app.close(); head.stop(); await metricsServer?.close(); await nc.drain(); process.exit(0); };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`failover-watcher: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
