import type { Logger } from 'pino';
import { EventStoreUnavailable } from './errors';
import { isTransient } from './nats-errors';

/** How often to try an idempotent request against JetStream before giving up. */
export type RetryPolicy = Readonly<{ attempts: number; backoffMs: number }>;

/**
 * Runs `request` until it succeeds, retrying transient NATS failures (timeouts, 503) up to `attempts` times with a
 * linear backoff; then throws EventStoreUnavailable with the last failure as its cause. Other errors pass through.
 * Only for requests that are safe to repeat (reads, and publishes that carry a msgID).
 */
export async function retryTransient<T>(
  what: string, policy: RetryPolicy, request: () => Promise<T>, logger?: Logger,
): Promise<T> {
  let last: unknown;
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!isTransient(err)) throw err;
      last = err;
      logger?.warn({ op: 'event-store.retry', what, attempt, err }, 'transient JetStream failure');
      if (attempt < policy.attempts) await new Promise((r) => setTimeout(r, policy.backoffMs * attempt));
    }
  }
  throw new EventStoreUnavailable(`${what}: no answer after ${policy.attempts} attempts`, { cause: last });
}
