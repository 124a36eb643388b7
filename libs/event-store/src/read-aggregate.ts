import { EVENT_STREAM } from '@lbaas/contracts';
import type { JetStreamClient, JetStreamManager } from 'nats';
import { decodeCommit } from './commit-codec';
import { EventStoreUnavailable, UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';
import { directGet, leaderGet, type DirectQuery } from './direct-get';
import { retryTransient, type RetryPolicy } from './retry';

/** What reading one aggregate needs. */
export type ReadContext = Readonly<{
  js: JetStreamClient;
  jsm: JetStreamManager;
  retry: RetryPolicy;
  /** Give up (EventStoreUnavailable) when the consumer delivers nothing for this long. */
  stallMs: number;
  /** Histories longer than this are streamed by an ordered consumer instead of direct gets. */
  directGets: number;
  /** Told about every commit that cannot be read; the read skips it and goes on. */
  onUnreadable: (err: UnreadableCommit) => void;
}>;

/** The commit in `m`, or nothing (reported to ctx.onUnreadable) when it cannot be read: one bad commit costs one commit. */
function decodeOrSkip<E>(ctx: ReadContext, m: { data: Uint8Array; subject: string; seq: number }, into: StoredCommit<E>[]): void {
  try {
    into.push(decodeCommit<E>(m.data, m.subject, m.seq));
  } catch (err) {
    if (!(err instanceof UnreadableCommit)) throw err;
    ctx.onUnreadable(err);
  }
}

/**
 * All readable commits on one literal subject, in order, and the stream seq of the last message (0 for none): an
 * unreadable commit is skipped (reported), and `seq` still names the last message, so an append after it works. Never hangs on an
 * empty subject: the last message is looked up first (404 = nothing), so the end is known in advance.
 * Short histories are fetched message by message; longer ones continue with an ordered consumer (no deliver_policy:
 * nats v2 would retry that forever), which is deleted afterwards.
 *
 * On LBAAS_EVENTS the messages come from the stream leader (leaderGet): a read decides a command, and a direct get
 * may be answered by a follower that is still catching up after a restart (nats-server 2.9), which knows an older
 * last commit, or none (seen in a lame-duck rolling restart: "seq N exists but next from 1 was not found", a 503).
 * The report stream (whose readers may not use message gets) keeps direct gets; a message a lagging replica does not
 * have yet is then read with the ordered consumer, which the leader serves.
 */
export async function readAggregate<E>(ctx: ReadContext, stream: string, subject: string): Promise<{ commits: StoredCommit<E>[]; seq: number }> {
  const byLeader = stream === EVENT_STREAM;
  const get = (query: DirectQuery) => retryTransient(`read ${subject}`, ctx.retry, () => (byLeader ? leaderGet : directGet)(ctx.jsm, query, stream));
  const last = await get({ last_by_subj: subject });
  if (!last) return { commits: [], seq: 0 };
  const commits: StoredCommit<E>[] = [];
  let cursor = 1;
  for (let i = 0; i < ctx.directGets && cursor <= last.seq; i++) {
    const m = cursor === last.seq ? last : await get({ seq: cursor, next_by_subj: subject });
    if (!m) break; // a replica without it yet: the consumer below reads the rest
    decodeOrSkip(ctx, m, commits);
    cursor = m.seq + 1;
  }
  if (cursor <= last.seq) commits.push(...(await consumeRange<E>(ctx, stream, subject, cursor, last.seq)));
  return { commits, seq: last.seq };
}

async function consumeRange<E>(ctx: ReadContext, stream: string, subject: string, from: number, to: number): Promise<StoredCommit<E>[]> {
  const consumer = await retryTransient(`read ${subject}`, ctx.retry, () =>
    ctx.js.consumers.get(stream, { filterSubjects: subject, opt_start_seq: from }));
  const commits: StoredCommit<E>[] = [];
  let reached = 0;
  try {
    const messages = await consumer.consume({ max_messages: 512 });
    let stall = setTimeout(() => messages.stop(), ctx.stallMs);
    try {
      for await (const m of messages) {
        decodeOrSkip(ctx, m, commits);
        reached = m.seq;
        if (reached >= to) break;
        clearTimeout(stall);
        stall = setTimeout(() => messages.stop(), ctx.stallMs);
      }
    } finally {
      clearTimeout(stall);
      messages.stop();
    }
  } finally {
    consumer.delete().catch(() => undefined);
  }
  if (reached < to) throw new EventStoreUnavailable(`${subject}: read stalled at seq ${reached} of ${to}`);
  return commits;
}
