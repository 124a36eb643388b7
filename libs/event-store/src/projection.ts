import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import { DeliverPolicy, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { decodeCommit } from './commit-codec';
import { ProjectionStopped, ProjectionTimeout, UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';
import { directGet } from './direct-get';
import { unreadableCommits, type UnreadableCommits } from './unreadable-commits';

/** What runProjection() feeds and reports. */
export type ProjectionOptions = Readonly<{
  /** The stream, default LBAAS_EVENTS (LBAAS_REPORTS: the agents' reports, with a filter within `lbaas.report.>`). */
  stream?: string;
  /** Subject filter (one, nats-server 2.9), default every commit: `lbaas.evt.>`. */
  filter?: string;
  /**
   * `last-per-subject`: the replay delivers only the last message of each subject (latest values, e.g. member statuses),
   * then everything new. Default `all`.
   */
  deliver?: 'all' | 'last-per-subject';
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
  /**
   * How often the stall guard compares the stream's last matching sequence with this view's (default 2000 ms): two
   * looks in a row that find the stream ahead and the view not moved recreate the consumer after the last applied commit.
   */
  stallCheckMs?: number;
  /** A waitFor() that saw nothing arrive for this long recreates the consumer at once (default 1000 ms; see runProjection). */
  waiterNudgeMs?: number;
}>;

/** A running projection: replayed, now following live. */
export interface Projection {
  /** Last applied stream sequence. */
  readonly seq: number;
  /** Resolves once `seq` (a sequence within the filter) is applied: read-your-writes. Rejects with ProjectionTimeout. */
  waitFor(seq: number, timeoutMs?: number): Promise<void>;
  /** Wake-ups, called after onCommit; returns the unsubscribe function. */
  onApplied(listener: (commit: StoredCommit) => void): () => void;
  /** How often the stall guard recreated the consumer (metrics). */
  readonly restarts: number;
  stop(): Promise<void>;
}

type Waiter = { seq: number; resolve: () => void; reject: (err: Error) => void; timer: NodeJS.Timeout };

/**
 * Replays every commit of `filter` from sequence 1 with an ordered consumer, then follows live. Resolves once the
 * replay reached the last matching commit that existed at start (at once for none). The ordered consumer recreates
 * itself after a reconnect or a server restart and resumes after the last delivered sequence; when it does not (nats.js
 * 2.29 sometimes never pulls again after reconnecting to another node when its consumer died with the stream leader),
 * the stall guard recreates it after the last applied commit. An unreadable commit
 * (recorded in UnreadableCommits), or an onCommit/listener that throws, is logged and skipped: one bad message must not
 * stop every view.
 */
export async function runProjection(nc: NatsConnection, opts: ProjectionOptions): Promise<Projection> {
  const stream = opts.stream ?? EVENT_STREAM;
  const filter = opts.filter ?? subjects.allEvents;
  const every = opts.progressEvery ?? 5_000;
  const log = opts.logger;
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const lastSeq = (await directGet(jsm, { last_by_subj: filter }, stream))?.seq ?? 0;
  const startAfter = opts.startAfter ?? 0;
  const open = async (after: number) => {
    const c = await nc.jetstream().consumers.get(stream,
      after > 0 ? { filterSubjects: filter, opt_start_seq: after + 1 }
        : opts.deliver === 'last-per-subject' ? { filterSubjects: filter, deliver_policy: DeliverPolicy.LastPerSubject }
          : { filterSubjects: filter });
    // Heartbeats every second: a consumer lost with its server (a killed stream leader) is noticed and recreated within
    // about 2 s, not after the default 2 x 15 s.
    return { consumer: c, messages: await c.consume({ max_messages: 1_000, expires: 5_000, idle_heartbeat: 1_000 }) as ConsumerMessages };
  };
  // nats.js 2.29 can leave the creation of an ordered consumer unanswered for good (seen while a node was dead): each
  // try gets 5 s; one that answers late is stopped and deleted.
  const openWithin = async (after: number) => {
    const attempt = open(after);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error('consumer creation did not answer in 5 s')), 5_000); });
    try {
      return await Promise.race([attempt, timedOut]);
    } catch (err) {
      void attempt.then((late) => { late.messages.stop(); void late.consumer.delete().catch(() => undefined); }, () => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  let first: Awaited<ReturnType<typeof open>> | undefined;
  for (let tries = 1; !first; tries++) {
    try {
      first = await openWithin(startAfter);
    } catch (err) {
      if (tries >= 6) throw err;
      log?.warn({ op: 'projection.open', filter, tries, err }, 'projection consumer not created; trying again');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  let { consumer, messages } = first;
  let restarts = 0;

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

  // Reads the current consumer's messages; when the stall guard swaps in a new consumer the old one ends and the loop
  // goes on with the new one (commits it delivers twice are skipped by sequence).
  const loop = (async () => {
    // Buffered messages are handed over without a macrotask in between: give timers and I/O a turn every 20 ms, or a
    // burst of commits holds the process's event loop (its lease check, health polls, HTTP) for seconds on a busy host.
    let slice = Date.now();
    for (;;) {
      const current = messages;
      for await (const m of current) {
        apply(m);
        if (Date.now() - slice >= 20) {
          await new Promise((r) => setImmediate(r));
          slice = Date.now();
        }
      }
      if (stopped || current === messages) return;
    }
  })().then(
    () => { if (!stopped) failAll(new ProjectionStopped(`projection over ${filter} ended unexpectedly`)); },
    (err: unknown) => {
      log?.error({ op: 'projection.failed', filter, err }, 'projection consumer failed');
      failAll(new ProjectionStopped(`projection over ${filter} failed`, { cause: err }));
    },
  );
  if (lastSeq <= startAfter) finishReplay();

  // The stall guard (see above): the stream's last matching sequence is ahead and nothing arrived over two looks.
  let seenAt = seq;
  let stalled = 0;
  let looking = false;
  let recreatedAt = -Infinity;
  const recreate = async (why: string, head: number) => {
    log?.warn({ op: 'projection.restart', filter, seq, head, why }, 'projection stalled behind the stream: consumer recreated');
    recreatedAt = performance.now();
    const next = await openWithin(seq);
    if (stopped) { next.messages.stop(); void next.consumer.delete().catch(() => undefined); return; }
    const old = { consumer, messages };
    ({ consumer, messages } = next);
    restarts++;
    old.messages.stop();
    void old.consumer.delete().catch(() => undefined);
  };
  const guarded = (work: () => Promise<void>) => {
    if (stopped || looking) return;
    looking = true;
    void work().catch(() => undefined).finally(() => { looking = false; }); // no leader: look again next time
  };
  const guard = setInterval(() => guarded(async () => {
    const head = (await directGet(jsm, { last_by_subj: filter }))?.seq ?? 0;
    stalled = head > seq && seq === seenAt ? stalled + 1 : 0;
    seenAt = seq;
    if (stalled < 2 || stopped) return;
    stalled = 0;
    await recreate('stall guard', head);
  }), opts.stallCheckMs ?? 2_000);
  guard.unref();
  // Somebody waits for a sequence that exists (an acknowledged append, the stream's head) and nothing at all arrived
  // for `waiterNudgeMs`: the consumer is recreated now instead of after the guard's two looks (2-4 s). Seen when a
  // node of a lame-duck rolling restart took the consumer with it: the api's read-your-writes and catch-up waits (3 s)
  // ran out first and answered 503.
  const nudgeMs = opts.waiterNudgeMs ?? 1_000;
  const nudge = (target: number, seqAtStart: number) => {
    if (stopped || seq >= target || seq !== seqAtStart || performance.now() - recreatedAt < 2 * nudgeMs) return;
    guarded(() => recreate('waiter', target));
  };

  const projection: Projection = {
    get seq() {
      return seq;
    },
    waitFor(target, timeoutMs = 10_000) {
      if (seq >= target) return Promise.resolve();
      if (stopped) return Promise.reject(new ProjectionStopped());
      const seqAtStart = seq;
      const nudger = timeoutMs > nudgeMs ? setTimeout(() => nudge(target, seqAtStart), nudgeMs) : undefined;
      nudger?.unref();
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          seq: target, resolve: () => { clearTimeout(nudger); resolve(); }, reject: (err) => { clearTimeout(nudger); reject(err); },
          timer: setTimeout(() => {
            clearTimeout(nudger);
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
    get restarts() {
      return restarts;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(guard);
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
