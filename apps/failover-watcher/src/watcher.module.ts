import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONFIG, EVENT_STORE, LOGGER, NATS_CONNECTION } from '@lbaas/app-shell';
import { jetStreamEventStore, observedEventStore, waitForEventStream, type EventStoreObserver } from '@lbaas/event-store';
import type { WatcherConfig } from './config';
import { FailoverLoop } from './failover.loop';
import { HeartbeatsController } from './heartbeats.controller';

@Module({})
export class WatcherModule {
  static register(config: WatcherConfig, logger: Logger, nc: NatsConnection, observer: EventStoreObserver = {}): DynamicModule {
    return {
      module: WatcherModule,
      controllers: [HeartbeatsController],
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: NATS_CONNECTION, useValue: nc },
        { provide: EVENT_STORE, useFactory: async () => { await waitForEventStream(nc, { logger, reports: false }); return observedEventStore(jetStreamEventStore(nc, { logger }), observer); } },
        FailoverLoop,
      ],
    };
  }
}
