import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { connectNats, createLogger, NestPinoLogger } from '@lbaas/app-shell';
import { loadConfig } from './config';
import { SchedulerModule } from './scheduler.module';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('scheduler', { instance: config.instanceId }, config.logLevel);
  const nc = await connectNats({ nats: config.nats, name: `scheduler-${config.instanceId}`, logger });
  const app = await NestFactory.createApplicationContext(SchedulerModule.register(config, logger, nc), { logger: new NestPinoLogger(logger) });
  await app.init();
  logger.info({ op: 'ready', strategy: config.strategy, automaticFailover: config.automaticFailover }, 'scheduler ready');
  const stop = async () => { await app.close(); await nc.drain(); process.exit(0); };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`scheduler: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
