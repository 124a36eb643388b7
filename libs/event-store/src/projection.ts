import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import type { ConsumerMessages, JsMsg, NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { decodeCommit } from './commit-codec';
import { ProjectionStopped, ProjectionTimeout, UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';
import { directGet } from './direct-get';
import { unreadableCommits, type UnreadableCommits } from './unreadable-commits';

/** What runProjection() feeds and reports. */
export type ProjectionOptions = Readonly<{
  /** Subject filter (one, nats-server 2.9), default every commit: `lbaas.evt.>`. */
  filter?: string;
  /** Synchronous, pure view update (evolve); called once per commit in stream order. */
  onCommit: (commit: StoredCommit) => void;
  /** During the initial replay: every `progressEvery` commits and once at the end. */
  onProgress?: (p: { seq: number; lastSeq: number }) => void;
  /** Default 5000. */
  progressEvery?: number;
  /** Resume after this stream sequence (a snapshot's): the view passed in already holds commits 1..startAfter. Default 0. */
  startAfter?: number;
  logger?: Logger;
  /** Where skipped (unreadable) commits are counted and listed; default this process's registry. */
  unreadable?: UnreadableCommits;
  /** Told about every commit skipped because it cannot be read (after it was recorded). */
  onUnreadable?: (err: UnreadableCommit) => void;
}>;

/** A running projection: replayed, now following live. */
export interface Projection {
  /** Last applied stream sequence. */
  readonly seq: number;
  /** Resolves once `seq` (a sequence within the filter) is applied: read-your-writes. Rejects with ProjectionTimeout. */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  /** Wake-ups, called after onCommit; returns the unsubscribe function. */
  onApplied(listener: (commit: StoredCommit) => void): () => void;
  stop(): Promise<void>;
}

type Waiter = { seq: number; resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/**
 * Replays every commit of `filter` from sequence 1 with an ordered consumer, then follows live. Resolves once the
 * replay reached the last matching commit that existed at start (at once for none). The ordered consumer recreates
 * itself after a reconnect or a server restart and resumes after the last delivered sequence. An unreadable commit
 * (recorded in UnreadableCommits), or an onCommit/listener that throws, is logged and skipped: one bad message must not
 * stop every view.
 */
export async function runProjection(nc: NatsConnection, opts: ProjectionOptions): Promise<Projection> {
  const filter = opts.filter ?? subjects.allEvents;
  const every = opts.progressEvery ?? 5_000;
  const log = opts.logger;
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const lastSeq = (await directGet(jsm, { last_by_subj: filter }))?.seq ?? 0;
  const startAfter = opts.startAfter ?? 0;
  const consumer = await nc.jetstream().consumers.get(EVENT_STREAM,
    startAfter > 0 ? { filterSubjects: filter, opt_start_seq: startAfter + 1 } : { filterSubjects: filter });
  // Heartbeats every second: a consumer lost with its server (a killed stream leader) is noticed and recreated within
  // about 2 s, not after the default 2 x 15 s.
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 1_000, expires: 5_000, idle_heartbeat: 1_000 });

  let seq = startAfter;
  let replayed = 0;
  let stopped = false;
  let waiters: Waiter[] = [];
  const listeners = new Set<(commit: StoredCommit) => void>();
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => { markReady = resolve; failReady = reject; });
  let caughtUp = false;
  const finishReplay = () => {
    caughtUp = true;
    opts.onProgress?.({ seq, lastSeq });
    markReady();
  };

  const safely = (what: string, m: JsMsg, fn: () => void) => {
    try {
      fn();
    } catch (err) {
      log?.error({ op: 'projection.skip', what, seq: m.seq, subject: m.subject, err }, `${what} failed; commit skipped`);
    }
  };
  const apply = (m: JsMsg) => {
    if (m.seq <= seq) return;
    let commit: StoredCommit | undefined;
    try {
      commit = decodeCommit(m.data, m.subject, m.seq);
    } catch (err) {
      // One poison commit costs that commit: recorded (logged once, counted), skipped, and the view goes on.
      if (err instanceof UnreadableCommit) {
        (opts.unreadable ?? unreadableCommits).record(err, log, 'projection');
        safely('onUnreadable', m, () => opts.onUnreadable?.(err));
      } else log?.error({ op: 'projection.skip', what: 'decode', seq: m.seq, subject: m.subject, err }, 'decode failed; commit skipped');
    }
    if (commit) {
      const c = commit;
      safely('onCommit', m, () => opts.onCommit(c));
      for (const listener of listeners) safely('onApplied', m, () => listener(c));
    }
    seq = m.seq;
    if (!caughtUp) {
      replayed++;
      if (seq >= lastSeq) finishReplay();
      else if (replayed % every === 0) opts.onProgress?.({ seq, lastSeq });
    }
    if (waiters.some((w) => w.seq <= seq)) {
      const done = waiters.filter((w) => w.seq <= seq);
      waiters = waiters.filter((w) => w.seq > seq);
      for (const w of done) { clearTimeout(w.timer); w.resolve(); }
    }
  };
  const failAll = (err: Error) => {
    for (const w of waiters) { clearTimeout(w.timer); w.reject(err); }
    waiters = [];
    failReady(err);
  };

  const loop = (async () => {
    for await (const m of messages) apply(m);
  })().then(
    () => { if (!stopped) failAll(new ProjectionStopped(`projection over ${filter} ended unexpectedly`)); },
    (err: unknown) => {
      log?.error({ op: 'projection.failed', filter, err }, 'projection consumer failed');
      failAll(new ProjectionStopped(`projection over ${filter} failed`, { cause: err }));
    },
  );
  if (lastSeq <= startAfter) finishReplay();

  const projection: Projection = {
    get seq() {
      return seq;
    },
    waitFor(target, timeoutMs = 10_000) {
      if (seq >= target) return Promise.resolve();
      if (stopped) return Promise.reject(new ProjectionStopped());
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          seq: target, resolve, reject,
          timer: setTimeout(() => {
            waiters = waiters.filter((w) => w !== waiter);
            reject(new ProjectionTimeout(target, seq, timeoutMs));
          }, timeoutMs),
        };
        waiters.push(waiter);
      });
    },
    onApplied(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      messages.stop();
      await loop;
      failAll(new ProjectionStopped());
      await consumer.delete().catch(() => undefined);
    },
  };
  try {
    await ready;
  } catch (err) {
    await projection.stop();
    throw err;
  }
  return projection;
}
