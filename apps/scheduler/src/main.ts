import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { AppMetrics, connectNats, createLogger, NestPinoLogger, startMetricsServer, viewReadiness } from '@lbaas/app-shell';
import { watchStreamHead } from '@lbaas/event-store';
import { loadConfig } from './config';
import { schedulerObserver } from './metrics';
import { PlacementLoop } from './placement.loop';
import { SchedulerModule } from './scheduler.module';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('scheduler', { instance: config.instanceId }, config.logLevel);
  const nc = await connectNats({ nats: config.nats, name: `scheduler-${config.instanceId}`, logger });
  // Metrics and health first: /readyz says "not ready" while the stream is awaited and replayed.
  const metrics = new AppMetrics('scheduler');
  metrics.watchNats(nc);
  const head = watchStreamHead(nc);
  let loop: PlacementLoop | null = null;
  const appliedSeq = () => loop?.appliedSeq ?? 0;
  metrics.trackProjection('placement', appliedSeq, head.current);
  metrics.setReadiness(viewReadiness({ connected: () => metrics.natsConnectedNow(), appliedSeq, head: head.current, extra: () => ({ replayed: loop !== null }) }));
  const metricsServer = config.metrics ? await startMetricsServer({ config: config.metrics, metrics, logger }) : null;
  const app = await NestFactory.createApplicationContext(SchedulerModule.register(config, logger, nc, schedulerObserver(metrics)), { logger: new NestPinoLogger(logger) });
  await app.init();
  loop = app.get(PlacementLoop);
  logger.info({ op: 'ready', strategy: config.strategy, automaticFailover: config.automaticFailover }, 'scheduler ready');
  const stop = async () => { await app.close(); head.stop(); await metricsServer?.close(); await nc.drain(); process.exit(0); };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`scheduler: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
