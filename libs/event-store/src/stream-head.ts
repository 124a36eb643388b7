import { EVENT_STREAM } from '@lbaas/contracts';
import type { JetStreamManager, NatsConnection } from 'nats';
import type { Projection } from './projection';

/**
 * The stream's last sequence as its leader knows it (stream info: a follower may lag the leader by the commits it has
 * not stored yet, so direct gets, which any replica answers, could miss a write that was just acknowledged).
 */
export async function streamLastSeq(nc: NatsConnection, timeoutMs = 1_000): Promise<number> {
  return (await streamLook(nc, timeoutMs)).lastSeq;
}

/** How the stream's replicas stand, from the leader's stream info (a single-node stream has only its leader). */
export type StreamReplicas = Readonly<{
  /** The replicas the stream is configured with (1 or 3). */
  configured: number;
  /** Replicas that have every acknowledged commit (the leader counts as current). */
  current: number;
  /** Replicas that are up but behind (a restarted node catching up; a node whose store is full). */
  lagging: number;
  /** Replicas the leader has not heard from (their node is down, refuses connections or is cut off). */
  offline: number;
}>;

/** The stream's last sequence and how its replicas stand, in one stream info request (to the leader). */
export async function streamLook(nc: NatsConnection, timeoutMs = 1_000): Promise<{ lastSeq: number; replicas: StreamReplicas }> {
  const jsm: JetStreamManager = await nc.jetstreamManager({ checkAPI: false, timeout: timeoutMs });
  const info = await jsm.streams.info(EVENT_STREAM);
  const peers = info.cluster?.replicas ?? [];
  return {
    lastSeq: info.state.last_seq,
    replicas: {
      configured: info.config.num_replicas || 1,
      current: 1 + peers.filter((p) => p.current && !p.offline).length,
      lagging: peers.filter((p) => !p.current && !p.offline).length,
      offline: peers.filter((p) => p.offline).length,
    },
  };
}

/**
 * How a catch-up ended: the view holds everything the stream held when it was asked ('synced'); the stream's head
 * is not known (no leader to ask: nothing new can be appended either) and the view answers as it is ('unknown'); or
 * the head is known and the view did not apply it in time ('stale').
 */
export type CatchUp = 'synced' | 'unknown' | 'stale';

/** Makes a view as fresh as the stream before a request is answered (see catchUpBarrier). */
export interface CatchUpBarrier {
  /**
   * Resolves once the view applied every commit the stream held when this was called (see CatchUp); `applyTimeoutMs`
   * overrides the options' wait for this call.
   */
  sync(applyTimeoutMs?: number): Promise<CatchUp>;
}

export type CatchUpOptions = Readonly<{
  /** Per stream-info request (default 1000 ms). */
  headTimeoutMs?: number;
  /** How long to wait for the view to apply the head (default 3000 ms). */
  applyTimeoutMs?: number;
  /**
   * A failed head request is asked again (every 100 ms) for this long before the view answers as it is (default
   * 2000 ms): a connection whose server went lame-duck moves to another in well under that, and a replica that
   * answered 'unknown' then would 404 a resource another replica just created.
   */
  headRetryMs?: number;
  /** After the head stayed unknown through a retry window, answer 'unknown' at once for this long (default 1000 ms). */
  backoffMs?: number;
  /** The stream's head; default streamLastSeq(nc). */
  head?: () => Promise<number>;
  now?: () => number;
}>;

/**
 * Read-your-writes across replicas: several api processes each fold the stream into their own view, and a client
 * that wrote through one may read through another at once. Before answering, a replica asks the stream for its last
 * sequence and waits until its view has applied it. Requests share head requests: a request joins the next head
 * request that starts after it arrived (never one already in flight, which might predate a write the client saw
 * acknowledged), so at most one is in flight and one queued, whatever the request rate. A failed head request is
 * asked again for up to `headRetryMs` (a lame-duck node closing the connection); when the stream still does not
 * answer (no leader during an election), the view answers as it is ('unknown'), and for `backoffMs` after that the
 * next requests do so at once instead of each waiting.
 */
export function catchUpBarrier(nc: NatsConnection, projection: Pick<Projection, 'seq' | 'waitFor'>, opts: CatchUpOptions = {}): CatchUpBarrier {
  const head = opts.head ?? (() => streamLastSeq(nc, opts.headTimeoutMs ?? 1_000));
  const now = opts.now ?? (() => performance.now());
  const backoffMs = opts.backoffMs ?? 1_000;
  const retryMs = opts.headRetryMs ?? 2_000;
  let running: Promise<number> | null = null;
  let queued: Promise<number> | null = null;
  let failedAt = -Infinity;

  const start = (): Promise<number> => {
    const p = head();
    running = p;
    void p.then(() => undefined, () => undefined).finally(() => { if (running === p) running = null; });
    return p;
  };
  const nextHead = (): Promise<number> => {
    if (queued) return queued;
    if (!running) return start();
    queued = running.then(() => undefined, () => undefined).then(() => {
      queued = null;
      return start();
    });
    return queued;
  };
  return {
    async sync(applyTimeoutMs?: number) {
      if (now() - failedAt < backoffMs) return 'unknown';
      let seq: number;
      const giveUpAt = now() + retryMs;
      for (;;) {
        try {
          seq = await nextHead();
          break;
        } catch {
          // a real election (no leader for seconds): answer as it is, and let the next requests not wait for it
          if (now() >= giveUpAt) { failedAt = now(); return 'unknown'; }
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (projection.seq >= seq) return 'synced';
      try {
        await projection.waitFor(seq, applyTimeoutMs ?? opts.applyTimeoutMs ?? 3_000);
        return 'synced';
      } catch {
        return 'stale';
      }
    },
  };
}

/** The stream's head as last seen, for lag gauges and readiness. */
export type StreamHead = Readonly<{
  /** Last sequence of the stream at the last successful look (null before the first). */
  lastSeq: number | null;
  /** performance.now() of that look. */
  seenAt: number | null;
  /** Consecutive failed looks (0 = the last one answered). */
  failures: number;
  /** Failed looks in all. */
  errors: number;
  /** The replicas at the last successful look (null before the first). A failed look means no leader answered. */
  replicas?: StreamReplicas | null;
}>;

export interface StreamHeadWatch {
  current(): StreamHead;
  stop(): void;
}

/** Looks at the stream's last sequence every `intervalMs` (default 2000 ms); failures are counted, never thrown. */
export function watchStreamHead(nc: NatsConnection, opts: { intervalMs?: number; timeoutMs?: number } = {}): StreamHeadWatch {
  let state: StreamHead = { lastSeq: null, seenAt: null, failures: 0, errors: 0, replicas: null };
  let busy = false;
  const look = async () => {
    if (busy || nc.isClosed()) return;
    busy = true;
    try {
      const { lastSeq, replicas } = await streamLook(nc, opts.timeoutMs ?? 1_000);
      state = { ...state, lastSeq, replicas, seenAt: performance.now(), failures: 0 };
    } catch {
      state = { ...state, failures: state.failures + 1, errors: state.errors + 1 };
    } finally {
      busy = false;
    }
  };
  void look();
  const timer = setInterval(() => void look(), opts.intervalMs ?? 2_000);
  timer.unref();
  return { current: () => state, stop: () => clearInterval(timer) };
}
