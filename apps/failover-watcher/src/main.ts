import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import { connectNats, createLogger, natsConnectionOptions, NestPinoLogger, SafeNatsRequestDeserializer } from '@lbaas/app-shell';
import { loadConfig } from './config';
import { WatcherModule } from './watcher.module';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger('failover-watcher', { instance: config.instanceId }, config.logLevel);
  const nc = await connectNats({ nats: config.nats, name: `failover-watcher-${config.instanceId}`, logger });
  // Heartbeats arrive through Nest's NATS transport (no queue group: every watcher instance hears every agent).
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(WatcherModule.register(config, logger, nc), {
    transport: Transport.NATS, options: { ...natsConnectionOptions(config.nats, `failover-watcher-${config.instanceId}:hb`), maxReconnectAttempts: -1, deserializer: new SafeNatsRequestDeserializer() }, logger: new NestPinoLogger(logger),
  });
  await app.listen();
  logger.info({ op: 'ready', agentDownTimeMs: config.agentDownTimeMs }, 'failover-watcher ready');
  const stop = async () => { await app.close(); await nc.drain(); process.exit(0); };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  process.stderr.write(`failover-watcher: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
