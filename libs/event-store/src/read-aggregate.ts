import { EVENT_STREAM } from '@lbaas/contracts';
import type { JetStreamClient, JetStreamManager, StoredMsg } from 'nats';
import { decodeCommit } from './commit-codec';
import { EventStoreUnavailable, UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';
import { directGet, type DirectQuery } from './direct-get';
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
 * empty subject: the last message is looked up first (direct get, 404 = nothing), so the end is known in advance.
 * Short histories are fetched with direct gets; longer ones continue with an ordered consumer (no deliver_policy:
 * nats v2 would retry that forever), which is deleted afterwards.
 */
export async function readAggregate<E>(ctx: ReadContext, subject: string): Promise<{ commits: StoredCommit<E>[]; seq: number }> {
  const last = await get(ctx, subject, { last_by_subj: subject });
  if (!last) return { commits: [], seq: 0 };
  const commits: StoredCommit<E>[] = [];
  let cursor = 1;
  for (let i = 0; i < ctx.directGets && cursor <= last.seq; i++) {
    const m = cursor === last.seq ? last : await get(ctx, subject, { seq: cursor, next_by_subj: subject });
    if (!m) throw new EventStoreUnavailable(`${subject}: seq ${last.seq} exists but next from ${cursor} was not found`);
    decodeOrSkip(ctx, m, commits);
    cursor = m.seq + 1;
  }
  if (cursor <= last.seq) commits.push(...(await consumeRange<E>(ctx, subject, cursor, last.seq)));
  return { commits, seq: last.seq };
}

function get(ctx: ReadContext, subject: string, query: DirectQuery): Promise<StoredMsg | undefined> {
  return retryTransient(`read ${subject}`, ctx.retry, () => directGet(ctx.jsm, query));
}

async function consumeRange<E>(ctx: ReadContext, subject: string, from: number, to: number): Promise<StoredCommit<E>[]> {
  const consumer = await retryTransient(`read ${subject}`, ctx.retry, () =>
    ctx.js.consumers.get(EVENT_STREAM, { filterSubjects: subject, opt_start_seq: from }));
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
