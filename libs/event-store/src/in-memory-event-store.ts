import { subjects, type Commit } from '@lbaas/contracts';
import { decodeCommit, encodeCommit } from './commit-codec';
import { UnreadableCommit, WrongExpectedSequence } from './errors';
import type { EventStore, StoredCommit, StreamRef } from './event-store';

/** The in-memory fake, plus a way to see the whole log (what a projection replay would get). */
export interface InMemoryEventStore extends EventStore {
  /** Every commit in stream order. */
  readAll(): StoredCommit[];
}

type Stored = { seq: number; subject: string; data: Uint8Array };

/**
 * An event store in memory with the JetStream store's semantics: one global sequence, per-aggregate optimistic
 * concurrency, commitId dedupe across the whole store (that wins over a stale expected seq), copies in and out.
 * For unit tests only; it passes the same contract suite as the real one.
 */
export function inMemoryEventStore(): InMemoryEventStore {
  const log: Stored[] = [];
  const bySubject = new Map<string, Stored[]>();
  const seqByCommitId = new Map<string, number>();
  // As the JetStream store: an unreadable commit is skipped, never fatal to the aggregate.
  const decode = <E>(m: Stored): StoredCommit<E>[] => {
    try {
      return [decodeCommit<E>(m.data, m.subject, m.seq)];
    } catch (err) {
      if (err instanceof UnreadableCommit) return [];
      throw err;
    }
  };

  return {
    async read<E>(stream: StreamRef) {
      const stored = bySubject.get(subjects.stream(stream.aggregate, stream.id)) ?? [];
      return { commits: stored.flatMap((m) => decode<E>(m)), seq: stored.at(-1)?.seq ?? 0 };
    },
    async append(stream: StreamRef, commit: Commit, expectedSeq: number) {
      const subject = subjects.stream(stream.aggregate, stream.id);
      if (!commit.commitId) throw new TypeError('a commit needs a commitId (it is the dedupe key)');
      if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) throw new RangeError(`bad expectedSeq ${expectedSeq}`);
      const duplicate = seqByCommitId.get(commit.commitId);
      if (duplicate !== undefined) return duplicate;
      const stored = bySubject.get(subject) ?? [];
      if ((stored.at(-1)?.seq ?? 0) !== expectedSeq) throw new WrongExpectedSequence(subject, expectedSeq);
      const message = { seq: log.length + 1, subject, data: encodeCommit(commit) };
      log.push(message);
      stored.push(message);
      bySubject.set(subject, stored);
      seqByCommitId.set(commit.commitId, message.seq);
      return message.seq;
    },
    readAll: () => log.flatMap((m) => decode(m)),
  };
}
