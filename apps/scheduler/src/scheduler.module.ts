import { Module, type DynamicModule } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { CONFIG, EVENT_STORE, LOGGER, NATS_CONNECTION } from '@lbaas/app-shell';
import { jetStreamEventStore, observedEventStore, waitForEventStream, type EventStoreObserver } from '@lbaas/event-store';
import type { SchedulerConfig } from './config';
import { PlacementLoop } from './placement.loop';

@Module({})
export class SchedulerModule {
  static register(config: SchedulerConfig, logger: Logger, nc: NatsConnection, observer: EventStoreObserver = {}): DynamicModule {
    return {
      module: SchedulerModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: logger },
        { provide: NATS_CONNECTION, useValue: nc },
        { provide: EVENT_STORE, useFactory: async () => { await waitForEventStream(nc, { logger }); return observedEventStore(jetStreamEventStore(nc, { logger }), observer); } },
        PlacementLoop,
      ],
    };
  }
}
