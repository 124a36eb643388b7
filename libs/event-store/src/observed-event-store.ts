import type { Aggregate, Commit } from '@lbaas/contracts';
import { EventStoreUnavailable, WrongExpectedSequence } from './errors';
import type { EventStore, StreamRef } from './event-store';
import { appendFailureReason, type AppendFailureReason } from './nats-errors';

/** How one append ended: stored, refused for a stale expected sequence, the store did not answer, or anything else. */
export type AppendOutcome = 'ok' | 'conflict' | 'unavailable' | 'error';

/** One append as an observer sees it (metrics). */
/** The aggregate a read or append went to; `report` for an agent's report subject (LBAAS_REPORTS). */
export type ObservedStream = Aggregate | 'report';
const streamOf = (ref: StreamRef): ObservedStream => ('report' in ref ? 'report' : ref.aggregate);

/** `reason`: why a failed append failed (appendFailureReason), absent when it was stored. */
export type AppendObservation = Readonly<{ aggregate: ObservedStream; outcome: AppendOutcome; seconds: number; commit: Commit; reason?: AppendFailureReason }>;

/** Told about every append and read of a store (e.g. a metrics registry); must not throw. */
export type EventStoreObserver = Readonly<{
  appended?: (o: AppendObservation) => void;
  read?: (o: Readonly<{ aggregate: ObservedStream; ok: boolean; seconds: number }>) => void;
}>;

const outcomeOf = (err: unknown): AppendOutcome =>
  err instanceof WrongExpectedSequence ? 'conflict' : err instanceof EventStoreUnavailable ? 'unavailable' : 'error';

/** `store`, with every append and read reported to `observer` (its duration and outcome); behaviour unchanged. */
export function observedEventStore(store: EventStore, observer: EventStoreObserver): EventStore {
  const seconds = (t0: number) => (performance.now() - t0) / 1000;
  const tell = (f: () => void) => { try { f(); } catch { /* an observer never breaks a write */ } };
  return {
    async read(stream) {
      const t0 = performance.now();
      try {
        const r = await store.read(stream);
        tell(() => observer.read?.({ aggregate: streamOf(stream), ok: true, seconds: seconds(t0) }));
        return r as never;
      } catch (err) {
        tell(() => observer.read?.({ aggregate: streamOf(stream), ok: false, seconds: seconds(t0) }));
        throw err;
      }
    },
    async append(stream, commit, expectedSeq) {
      const t0 = performance.now();
      try {
        const seq = await store.append(stream, commit, expectedSeq);
        tell(() => observer.appended?.({ aggregate: streamOf(stream), outcome: 'ok', seconds: seconds(t0), commit }));
        return seq;
      } catch (err) {
        tell(() => observer.appended?.({ aggregate: streamOf(stream), outcome: outcomeOf(err), seconds: seconds(t0), commit, reason: appendFailureReason(err) }));
        throw err;
      }
    },
  };
}
