import {
  EVENT_STREAM, REPORT_STREAM, reportSubject, subjects, type Aggregate, type Commit, type EventEnvelope, type ReportSubject,
} from '@lbaas/contracts';

/**
 * Names one aggregate instance, e.g. `{ aggregate: 'lb', id: lbId }` (its commits live on one subject of LBAAS_EVENTS),
 * or one agent's report subject, `{ report: { kind: 'member', agentId, lbId, memberId } }` (in LBAAS_REPORTS).
 */
export type StreamRef = Readonly<{ aggregate: Aggregate; id: string }> | Readonly<{ report: ReportSubject }>;

/** The JetStream stream and the one literal subject a StreamRef names. */
export const streamLocation = (ref: StreamRef): Readonly<{ stream: string; subject: string }> =>
  'report' in ref
    ? { stream: REPORT_STREAM, subject: reportSubject(ref.report) }
    : { stream: EVENT_STREAM, subject: subjects.stream(ref.aggregate, ref.id) };

/** A commit as read back: plus its stream sequence and subject. */
export type StoredCommit<E = EventEnvelope> = Readonly<
  Omit<Commit, 'events'> & { events: readonly E[]; seq: number; subject: string }
>;

/** Appends and reads commits of single aggregates with optimistic concurrency. Only this lib knows the wire layout. */
export interface EventStore {
  /** The commits of one aggregate in order; `seq` = stream sequence of its last commit, 0 when it has none. */
  read<E = EventEnvelope>(stream: StreamRef): Promise<{ commits: StoredCommit<E>[]; seq: number }>;
  /**
   * Append one commit if the aggregate's last sequence is still `expectedSeq` (0 = must be new). Returns the commit's seq.
   * A repeated commitId inside the duplicate window returns the original seq (no error), even with a stale `expectedSeq`.
   * Throws WrongExpectedSequence on a conflict, EventStoreUnavailable when the store does not answer.
   */
  append(stream: StreamRef, commit: Commit, expectedSeq: number): Promise<number>;
}
