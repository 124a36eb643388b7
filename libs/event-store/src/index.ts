export * from './errors';
export * from './event-store';
export * from './ensure-event-stream';
export * from './jetstream-event-store';
export * from './in-memory-event-store';
export * from './handle';
export * from './projection';
export type { RetryPolicy } from './retry';
