import { EVENT_STREAM, MAX_COMMIT_BYTES, type Commit } from '@lbaas/contracts';
import type { JetStreamManager, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { encodeCommit } from './commit-codec';
import { CommitTooLarge, EventStoreUnavailable, WrongExpectedSequence } from './errors';
import { streamLocation, type EventStore, type StreamRef } from './event-store';
import { isTimeout, JsErr, jsErrCode } from './nats-errors';
import { readAggregate, type ReadContext } from './read-aggregate';
import { retryTransient } from './retry';
import { directGet, leaderGet } from './direct-get';
import { unreadableCommits, type UnreadableCommits } from './unreadable-commits';

/** Tuning of the JetStream store; the defaults ride out a 2.9 cluster failover (about 7 s). */
export type JetStreamEventStoreOptions = Readonly<{
  /** Per publish / read request (default 2000 ms). */
  requestTimeoutMs?: number;
  /** Tries per append or read step, each with the same msgID (default 5). */
  attempts?: number;
  /** Pause before retry n is n × this (default 250 ms). */
  backoffMs?: number;
  /** Keep retrying transient failures until this much time has passed (default 8000 ms unless `attempts` is given). */
  retryBudgetMs?: number;
  /** Histories up to this many commits are read with direct gets, longer ones with an ordered consumer (default 8). */
  directGets?: number;
  logger?: Logger;
  /** false: never move the connection to another server when requests through this one keep timing out (default true). */
  moveOffSilentServer?: boolean;
  /** Where skipped (unreadable) commits are counted; default this process's registry. */
  unreadable?: UnreadableCommits;
}>;

/** The event store on the JetStream stream LBAAS_EVENTS (the operator creates it: bootstrapEventStore). */
export function jetStreamEventStore(nc: NatsConnection, opts: JetStreamEventStoreOptions = {}): EventStore {
  const timeout = opts.requestTimeoutMs ?? 2_000;
  // By default a transient failure is retried for up to 8 s: most raft elections (4-9 s here) and every lame-duck
  // hand-over are ridden out inside the request instead of answered 503.
  // A server that keeps the connection up (it answers pings) but lets every JetStream request time out: seen with a
  // stream leader whose store filled up (nats-server 2.9), where publishes through its connection kept timing out even
  // after another node led, and through a healthy node went straight through. After two timeouts in a row on one
  // request the connection is moved to another server (at most every 10 s).
  // A timeout during an ordinary election costs one reconnect at most; the msgID keeps a retried append single.
  let movedAt = -Infinity;
  const onTransient = (err: unknown, attempt: number) => {
    if (attempt < 2 || !isTimeout(err) || nc.isClosed() || performance.now() - movedAt < 10_000) return;
    movedAt = performance.now();
    opts.logger?.warn({ op: 'event-store.reconnect', server: nc.getServer(), attempt }, 'JetStream requests through this server time out: reconnecting to another');
    nc.reconnect().catch(() => undefined);
  };
  const retry = {
    attempts: opts.attempts ?? 5, backoffMs: opts.backoffMs ?? 250, budgetMs: opts.retryBudgetMs ?? (opts.attempts === undefined ? 8_000 : 0),
    onTransient: opts.moveOffSilentServer === false ? undefined : onTransient,
  };
  const js = nc.jetstream({ timeout });
  let jsm: Promise<JetStreamManager> | undefined;
  const readContext = async (): Promise<ReadContext> => ({
    js,
    jsm: await (jsm ??= nc.jetstreamManager({ checkAPI: false, timeout })),
    retry,
    stallMs: Math.max(timeout * 2, 5_000),
    directGets: opts.directGets ?? 8,
    onUnreadable: (err) => { (opts.unreadable ?? unreadableCommits).record(err, opts.logger, 'aggregate read'); },
  });

  return {
    async read<E>(ref: StreamRef) {
      const { stream, subject } = streamLocation(ref);
      return readAggregate<E>(await readContext(), stream, subject);
    },
    async append(ref: StreamRef, commit: Commit, expectedSeq: number) {
      const { stream, subject } = streamLocation(ref);
      if (!commit.commitId) throw new TypeError('a commit needs a commitId (it is the dedupe key)');
      if (!Number.isSafeInteger(expectedSeq) || expectedSeq < 0) throw new RangeError(`bad expectedSeq ${expectedSeq}`);
      const data = encodeCommit(commit);
      // The server refuses a message over its max_payload (the client throws before sending): say so as what it is.
      const limit = Math.min(nc.info?.max_payload ?? MAX_COMMIT_BYTES, MAX_COMMIT_BYTES);
      if (data.length > limit) throw new CommitTooLarge(subject, data.length, limit);
      try {
        // The same msgID on every try: a publish that landed but timed out is answered as a duplicate.
        const ack = await retryTransient(`append ${subject}`, retry, () =>
          js.publish(subject, data, { msgID: commit.commitId, expect: { lastSubjectSequence: expectedSeq }, timeout }), opts.logger);
        if (ack.duplicate) opts.logger?.debug({ op: 'event-store.duplicate', subject, commitId: commit.commitId, seq: ack.seq });
        return ack.seq;
      } catch (err) {
        if (jsErrCode(err) === JsErr.StreamWrongLastSequence) {
          // After a cluster failover a retry of a publish that did land can meet a new leader whose dedupe window
          // does not know the msg id yet (nats-server 2.9): it answers "wrong last sequence" instead of a duplicate.
          // Our commit is then the first one on the subject after expectedSeq.
          // Asked of the leader on LBAAS_EVENTS (a lagging replica may not have it yet; report readers may only use
          // direct gets), with retries: a landed commit answered 409 would tell the client its write failed.
          const ctx = await readContext();
          const get = stream === EVENT_STREAM ? leaderGet : directGet;
          const landed = await retryTransient(`landed ${subject}`, retry, () => get(ctx.jsm, { seq: expectedSeq + 1, next_by_subj: subject }, stream), opts.logger)
            .catch(() => undefined);
          if (landed?.header?.get('Nats-Msg-Id') === commit.commitId) {
            opts.logger?.info({ op: 'event-store.landed', subject, commitId: commit.commitId, seq: landed.seq }, 'retried append had landed');
            return landed.seq;
          }
          throw new WrongExpectedSequence(subject, expectedSeq, { cause: err });
        }
        if (err instanceof EventStoreUnavailable || !nc.isClosed()) throw err;
        throw new EventStoreUnavailable(`append ${subject}: connection closed`, { cause: err });
      }
    },
  };
}
