import type { Logger } from 'pino';
import { EventStoreUnavailable } from './errors';
import { isTransient } from './nats-errors';

/** How often to try an idempotent request against JetStream before giving up. */
export type RetryPolicy = Readonly<{
  attempts: number;
  backoffMs: number;
  /** Go on retrying (backoff capped at 1 s) until this much time has passed, even after `attempts`: rides out an election. */
  budgetMs?: number;
  /** Told about every transient failure before the pause (e.g. to move a connection off a server that stopped answering). */
  onTransient?: (err: unknown, attempt: number) => void;
}>;

/**
 * Runs `request` until it succeeds, retrying transient NATS failures (timeouts, 503) up to `attempts` times with a
 * linear backoff; then throws EventStoreUnavailable with the last failure as its cause. Other errors pass through.
 * Only for requests that are safe to repeat (reads, and publishes that carry a msgID).
 */
export async function retryTransient<T>(
  what: string, policy: RetryPolicy, request: () => Promise<T>, logger?: Logger,
): Promise<T> {
  let last: unknown;
  const t0 = performance.now();
  let attempt = 1;
  for (; ; attempt++) {
    try {
      return await request();
    } catch (err) {
      if (!isTransient(err)) throw err;
      last = err;
      logger?.warn({ op: 'event-store.retry', what, attempt, err }, 'transient JetStream failure');
      try { policy.onTransient?.(err, attempt); } catch { /* a hook never breaks a retry */ }
      const wait = Math.min(policy.backoffMs * attempt, policy.budgetMs ? 1_000 : Infinity);
      if (attempt >= policy.attempts && performance.now() - t0 + wait > (policy.budgetMs ?? 0)) break;
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  throw new EventStoreUnavailable(`${what}: no answer after ${attempt} attempts in ${Math.round(performance.now() - t0)} ms`, { cause: last });
}
