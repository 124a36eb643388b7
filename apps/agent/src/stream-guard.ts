import { judgeStream, observeEventStream, type RememberedStream, type StreamProblem } from '@lbaas/event-store';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';

/** What the agent says about the stream (the drill's `digest` answer carries it). */
export type StreamStatus = Readonly<{
  trusted: boolean;
  problem: StreamProblem | 'unreachable' | null;
  message: string | null;
  /** The identity it serves from (remembered), if any. */
  streamId: string | null;
  lastSeq: number | null;
  since: string;
}>;

export type StreamGuardDeps = Readonly<{
  nc: NatsConnection;
  logger: Logger;
  memory: { rememberedStream(): RememberedStream | null; rememberStream(r: RememberedStream): void };
  /** True while this agent's state dir records data-plane objects (a stream with no history must not empty the host). */
  owns: () => boolean;
  now?: () => string;
  logEveryMs?: number;
}>;

/**
 * The agent's trust in the event stream (issue 10, DESIGN.md §10 "fail closed, loudly"): the stream must be the one the
 * agent served from (same identity, at least as long as it saw it), or a first sight. A missing, empty, shorter or
 * foreign stream is refused: the caller keeps serving what it hosts and destroys nothing (no reconcile), this logs an
 * error (`stream.untrusted`, again every `logEveryMs`), and the status says why, until the real stream (or a DR
 * restore of it, see judgeStream) is back.
 */
export class StreamGuard {
  private current: StreamStatus;
  private lastLogged = -Infinity;
  constructor(private readonly d: StreamGuardDeps) {
    const r = d.memory.rememberedStream();
    this.current = { trusted: false, problem: null, message: 'not checked yet', streamId: r?.id ?? null, lastSeq: r?.lastSeq ?? null, since: this.now() };
  }

  private now(): string {
    return (this.d.now ?? (() => new Date().toISOString()))();
  }

  get status(): StreamStatus {
    return this.current;
  }

  get trusted(): boolean {
    return this.current.trusted;
  }

  /** Looks at the stream once; on trust remembers its identity and length. An unreachable NATS changes nothing. */
  async check(): Promise<StreamStatus> {
    const remembered = this.d.memory.rememberedStream();
    let seen;
    try {
      seen = await observeEventStream(this.d.nc);
    } catch (err) {
      this.d.logger.warn({ op: 'stream.check', err }, 'cannot look at the event stream; trust unchanged');
      return this.current;
    }
    const v = judgeStream(remembered, seen, this.d.owns());
    const was = this.current;
    if (v.trusted) {
      if (v.remember && JSON.stringify(v.remember) !== JSON.stringify(remembered)) this.d.memory.rememberStream(v.remember);
      if (v.note) this.d.logger.warn({ op: 'stream.restored', note: v.note }, v.note);
      this.current = {
        trusted: true, problem: null, message: null, streamId: v.remember?.id ?? null, lastSeq: v.remember?.lastSeq ?? null, since: was.trusted ? was.since : this.now(),
      };
      if (!was.trusted && was.problem) this.d.logger.warn({ op: 'stream.trusted', stream_id: this.current.streamId }, 'the event stream is the one this agent served from again: resuming');
      return this.current;
    }
    this.current = {
      trusted: false, problem: v.problem, message: v.message, streamId: remembered?.id ?? null, lastSeq: remembered?.lastSeq ?? null,
      since: !was.trusted && was.problem === v.problem ? was.since : this.now(),
    };
    const t = Date.now();
    if (was.trusted || was.problem !== v.problem || t - this.lastLogged >= (this.d.logEveryMs ?? 10_000)) {
      this.lastLogged = t;
      this.d.logger.error({ op: 'stream.untrusted', problem: v.problem, reason: v.message, since: this.current.since },
        `refusing the event stream (${v.problem}): ${v.message}; serving what runs, destroying nothing, until it is back`);
    }
    return this.current;
  }

  /** Checks every `pollMs` until the stream is trusted (or `stopped()`). */
  async waitUntilTrusted(pollMs: number, stopped: () => boolean = () => false): Promise<void> {
    while (!(await this.check()).trusted && !stopped()) await new Promise((r) => setTimeout(r, pollMs));
  }
}
