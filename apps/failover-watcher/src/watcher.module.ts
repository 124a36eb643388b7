import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONFIG, EVENT_STORE, LOGGER, NATS_CONNECTION } from '@lbaas/app-shell';
import { jetStreamEventStore, waitForEventStream } from '@lbaas/event-store';
import type { WatcherConfig } from './config';
import { FailoverLoop } from './failover.loop';
import { HeartbeatsController } from './heartbeats.controller';

@Module({})
export class WatcherModule {
  static register(config: WatcherConfig, logger: Logger, nc: NatsConnection): DynamicModule {
    return {
      module: WatcherModule,
      controllers: [HeartbeatsController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: NATS_CONNECTION, useValue: nc },
        { provide: EVENT_STORE, useFactory: async () => { await waitForEventStream(nc, { logger, reports: false }); return jetStreamEventStore(nc, { logger }); } },
        FailoverLoop,
      ],
    };
  }
}
