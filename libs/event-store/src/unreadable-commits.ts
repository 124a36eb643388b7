import type { Logger } from 'pino';
import type { UnreadableCommit } from './errors';

/** One stored message no reader of this code can use: where it is and why. */
export type UnreadableReport = Readonly<{ seq: number; subject: string; reason: string }>;

/**
 * The commits this process skipped because it could not read them (UnreadableCommit), each logged once
 * (`commit.unreadable`, with seq, subject and reason, at error level: it needs an operator) and counted. `count` is
 * what a metrics exporter reads; `list()` what `lbaasctl dr drill` prints. Bounded: the first `keep` are listed.
 */
export class UnreadableCommits {
  private readonly seen = new Map<number, UnreadableReport>();
  private total = 0;
  constructor(private readonly keep = 1000) {}

  /** Distinct unreadable commits met so far (by stream sequence). */
  get count(): number {
    return this.total;
  }

  /** Records a skipped commit; logs it the first time its sequence is met. Returns whether it was new. */
  record(err: UnreadableCommit, logger?: Logger, what = 'read'): boolean {
    if (this.seen.has(err.seq)) return false;
    this.total++;
    const report = { seq: err.seq, subject: err.subject, reason: err.reason.slice(0, 500) };
    if (this.seen.size < this.keep) this.seen.set(err.seq, report);
    logger?.error({ op: 'commit.unreadable', what, seq: err.seq, subject: err.subject, reason: report.reason, unreadable_total: this.total },
      `unreadable commit at seq ${err.seq} on ${err.subject} skipped: ${report.reason}`);
    return true;
  }

  list(): UnreadableReport[] {
    return [...this.seen.values()].sort((a, b) => a.seq - b.seq);
  }
}

/** This process's registry (the default of every reader: the event store, projections, the workflow host). */
export const unreadableCommits = new UnreadableCommits();
