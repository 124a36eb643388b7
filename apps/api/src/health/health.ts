import { EVENT_STREAM } from '@lbaas/contracts';
import type { NatsConnection } from 'nats';

/** What /healthcheck reports: healthy, and a line saying why (or why not). */
export type Health = Readonly<{ ok: boolean; detail: string }>;
export type HealthProbe = () => Promise<Health>;

/**
 * Healthy = connected to NATS and caught up: the view has applied the event stream's last sequence (asked of the
 * stream now) within `timeoutMs`. Answers of a lagging or disconnected api would be stale, so it is unhealthy then.
 */
export function streamHealth(nc: NatsConnection, waitFor: (seq: number, timeoutMs?: number) => Promise<void>, timeoutMs = 2_000): HealthProbe {
  return async () => {
    if (nc.isClosed()) return { ok: false, detail: 'not connected to NATS' };
    let last: number;
    try {
      const jsm = await nc.jetstreamManager({ timeout: timeoutMs });
      last = (await jsm.streams.info(EVENT_STREAM)).state.last_seq;
    } catch (err) {
      return { ok: false, detail: `the event stream does not answer: ${err instanceof Error ? err.message : String(err)}` };
    }
    try {
      await waitFor(last, timeoutMs);
    } catch {
      return { ok: false, detail: `the view has not caught up with sequence ${last} within ${timeoutMs} ms` };
    }
    return { ok: true, detail: `caught up at sequence ${last}` };
  };
}
