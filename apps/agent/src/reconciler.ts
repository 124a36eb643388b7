import { availableParallelism } from 'node:os';
import { FairQueue } from '@lbaas/app-shell';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import type { Logger } from 'pino';
import { ConfigRejected } from './host/haproxy';
import type { Host } from './host/linux-host';
import { plan, planLb, type HandoverTimings, type LbPlan, type PlanContext, type Reach } from './plan';
import { resolveCerts } from './tls-certs';

/** How one LB's run ended (MetalLB's SyncState): converged, retry later, or rejected until a new desired version. */
export type Outcome =
  | { lbId: string; kind: 'converged'; actions: number; desired: DesiredLb | null; reach: Reach; recheckAtMs?: number }
  | { lbId: string; kind: 'retry'; error: Error; desired: DesiredLb | null }
  | { lbId: string; kind: 'rejected'; reason: string; desired: DesiredLb };

const toError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/** Runs `work` over `items` with at most `limit` in flight; results in input order. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i]);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Observe, plan, apply, classify, for a whole desired state at once: one outcome per LB; one LB's failure never stops the others. */
export async function reconcileOnce(desired: DesiredState, host: Host, ctx: PlanContext & { concurrency?: number }): Promise<Outcome[]> {
  let plans: LbPlan[];
  try {
    plans = plan(desired, await host.observe(desired.loadBalancers.map((d) => d.lbId), { full: true, includeOwned: true }), ctx);
  } catch (err) {
    return desired.loadBalancers.map((d) => ({ lbId: d.lbId, kind: 'retry', error: toError(err), desired: d }));
  }
  return pool(plans, ctx.concurrency ?? 4, (p) => applyPlan(p, host));
}

/** Applies one LB's plan, step by step (each step is idempotent: a retry starts over safely); `steps` gets each step's ms. */
export async function applyPlan(p: LbPlan, host: Host, steps?: Record<string, number>): Promise<Outcome> {
  if (p.kind === 'rejected') return { lbId: p.lbId, kind: 'rejected', reason: p.reason, desired: p.desired };
  if (p.kind === 'blocked') return { lbId: p.lbId, kind: 'retry', error: new Error(p.reason), desired: p.desired };
  let changedAtRuntime = false;
  try {
    for (const action of p.actions) {
      const t = Date.now();
      await host.apply(action);
      if (steps) steps[action.kind] = (steps[action.kind] ?? 0) + Date.now() - t;
      if (steps && action.kind === 'Announce') steps.announcedAt = host.announcedAt?.get(p.lbId) ?? Date.now();
      if (action.kind === 'SetServers') changedAtRuntime = true;
    }
    return { lbId: p.lbId, kind: 'converged', actions: p.actions.length, desired: p.desired, reach: p.reach, ...(p.recheckAtMs !== undefined ? { recheckAtMs: p.recheckAtMs } : {}) };
  } catch (err) {
    if (err instanceof ConfigRejected && p.desired) {
      // The servers already changed at runtime, but haproxy refuses the file that says so: back to the file in place,
      // so that the running haproxy and the file never disagree.
      if (changedAtRuntime && host.restore) {
        try { await host.restore(p.lbId); } catch (e) { return { lbId: p.lbId, kind: 'retry', error: toError(e), desired: p.desired }; }
      }
      return { lbId: p.lbId, kind: 'rejected', reason: err.reason, desired: p.desired };
    }
    return { lbId: p.lbId, kind: 'retry', error: toError(err), desired: p.desired };
  }
}

/** Sends a fact about an outcome to the event store. Throws to be retried. */
export type Reporter = {
  applied(d: DesiredLb): Promise<void>;
  rejected(d: DesiredLb, reason: string): Promise<void>;
  /** A planned move's new copy is built with the VIP held back. */
  prepared(d: DesiredLb): Promise<void>;
  /** A planned move's old copy answers no ARP for the VIP any more. */
  released(d: DesiredLb): Promise<void>;
  /** A pair's old master ended its release (no connection left, or its drain timed out): it may be replaced. */
  drained(d: DesiredLb): Promise<void>;
};

export type ReconcilerOptions = {
  host: Host;
  runDir: string;
  maxconnCap?: number;
  /** The latest desired state, read for a full pass (start, resync, resume). */
  desired: () => DesiredState;
  /** The latest desired state of one LB (null: nothing of it wanted here), read at the start of each LB's run. */
  desiredOne?: (lbId: string) => DesiredLb | null;
  reporter: Reporter;
  logger: Logger;
  resyncIntervalMs: number;
  /** Delay before the first re-run after a retry outcome (it doubles per failure, up to 10 s). */
  retryDelayMs?: number;
  /** Resolves a TERMINATED_HTTPS certificate reference to its PEM bundle; without it such listeners are rejected. */
  resolveCert?: (ref: string) => Promise<string>;
  /** LBs reconciled at once (namespace plumbing, haproxy starts); default 4 per core. */
  concurrency?: number;
  handover?: HandoverTimings;
  /** After this many failed runs in a row an LB is reported rejected with the error (ERROR), and still retried. */
  failuresBeforeError?: number;
  now?: () => number;
  /** The project of an LB (queues are fair between projects); unknown LBs share one queue. */
  projectOf?: (lbId: string) => string | undefined;
  /** Told about every run (metrics): why it ran, how long it took, each LB's outcome (one per run here). */
  observe?: (run: { reason: string; seconds: number; outcomes: readonly Outcome[] }) => void;
};

/** The reconciler's default parallelism: spawning `ip` and haproxy waits on the kernel as much as on a core. */
export const defaultConcurrency = (): number => 4 * availableParallelism();

type Pending = { full: boolean; reason: string; queuedAt: number };

/** The reason of the resync timer's kicks (drift checks). */
const RESYNC = 'resync';

/**
 * The wake-up loop as a work queue (controller-runtime's): start, resync and resume queue every LB (a full look at the
 * host); a commit queues the LB it touches (a light look). Each LB runs on its own, at most one run per LB and
 * `concurrency` runs in all: a slow LB holds one slot, never the others, and a big pass is many small runs that report
 * as they finish. A run always reads the latest desired state of its LB; a kick during a run queues one more.
 */
export class Reconciler {
  private readonly pending = new Map<string, Pending>();
  /**
   * The pending LBs not running, in turns per project: changes to LBs that serve here first, then new builds, then the
   * resync timer's drift checks (a full look at an LB nothing changed for), last and a few at a time.
   */
  private readonly queued = { serving: new FairQueue<string>(), building: new FairQueue<string>(), resync: new FairQueue<string>() };
  /** Resync runs in flight (at most a quarter of `concurrency`). */
  private resyncing = 0;
  private readonly active = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly failures = new Map<string, number>();
  private stopped = false;
  private paused = false;
  private resync: NodeJS.Timeout | null = null;
  private idleWaiters: Array<() => void> = [];
  /** The last report sent per LB (`${epoch}:${version}:${kind}`): a report goes out once per (epoch, version, kind). */
  private readonly reported = new Map<string, string>();
  /** lbId -> desired version the host currently matches (heartbeats carry it). */
  readonly appliedVersions = new Map<string, number>();
  private readonly concurrency: number;

  constructor(private readonly o: ReconcilerOptions) {
    this.concurrency = Math.max(1, o.concurrency ?? defaultConcurrency());
  }

  start(): void {
    this.resync = setInterval(() => this.kick(RESYNC), this.o.resyncIntervalMs);
    this.kick('start');
  }

  /** While paused (lease lapsed) runs are not started, so withdrawn VIPs are not plugged back. */
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; this.kick('resume'); }

  /** Queues `lbIds` (a light look), or every LB this agent wants or owns (a full look). */
  kick(reason: string, lbIds?: readonly string[]): void {
    if (this.stopped) return;
    const full = lbIds === undefined;
    const ids = lbIds ?? this.allIds();
    for (const id of ids) {
      const p = this.pending.get(id);
      // A drift check that waits is taken over by a real cause (it then goes in its lane with it).
      const cause = p && p.reason !== RESYNC ? p.reason : reason;
      if (p && p.reason === RESYNC && reason !== RESYNC) this.queued.resync.delete(id);
      this.pending.set(id, { full: full || (p?.full ?? false), reason: cause, queuedAt: p?.queuedAt ?? this.now() });
      this.enqueue(id);
    }
    this.pump();
  }

  /** Puts a pending LB that is not running in its lane (serving or building), in its project's turn. */
  private enqueue(id: string): void {
    const p = this.pending.get(id);
    if (!p || this.active.has(id) || this.queued.serving.has(id) || this.queued.building.has(id) || this.queued.resync.has(id)) return;
    const project = this.o.projectOf?.(id) ?? '';
    const lane = p.reason === RESYNC && this.appliedVersions.has(id) ? this.queued.resync : this.appliedVersions.has(id) ? this.queued.serving : this.queued.building;
    lane.push(project, id);
  }

  private allIds(): string[] {
    return [...new Set([...this.o.desired().loadBalancers.map((d) => d.lbId), ...(this.o.host.owned?.() ?? [])])];
  }

  /** True once this agent's copy of the LB serves (applied): what health reports look at. */
  serving(lbId: string): boolean {
    return this.appliedVersions.has(lbId);
  }

  /**
   * Starts queued runs up to `concurrency`: first those of LBs that serve here already (a change to a serving LB is a
   * runtime command or a reload, milliseconds), then new builds (~1 s each of process starts on a busy host); within
   * each, the projects take turns (FairQueue), each project's LBs in queue order. A tenant creating LBs by the thousand
   * holds neither another tenant's change nor its new LB behind its own builds (issue 11). The resync timer's drift
   * checks of serving LBs come last, at most a quarter of the slots at once: every 5 s a full look at each of a thousand
   * LBs (a process each) queued ahead of the builds had made a burst crawl; now a pass over a big fleet simply takes
   * longer than the timer's period, and the CPU it costs is bounded.
   */
  private pump(): void {
    if (this.paused || this.stopped) return;
    while (this.active.size < this.concurrency) {
      let id = this.queued.serving.shift() ?? this.queued.building.shift();
      let resync = false;
      if (id === undefined && this.resyncing < Math.max(1, Math.floor(this.concurrency / 4))) {
        id = this.queued.resync.shift();
        resync = id !== undefined;
      }
      if (id === undefined) return;
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      this.active.add(id);
      if (resync) this.resyncing++;
      void this.runLb(id, p).finally(() => {
        if (resync) this.resyncing--;
        this.active.delete(id);
        this.enqueue(id);
        this.pump();
        if (this.active.size === 0 && (this.pending.size === 0 || this.paused || this.stopped)) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }
  }

  /** Stops timers and waits for the runs in flight; never tears anything down (a restart must be hitless). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.pending.clear();
    this.queued.serving.clear();
    this.queued.building.clear();
    this.queued.resync.clear();
    await this.idle();
  }

  /** Resolves when nothing is queued or running (tests). */
  idle(): Promise<void> {
    if (this.active.size === 0 && (this.pending.size === 0 || this.paused || this.stopped)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private desiredOf(lbId: string): DesiredLb | null {
    if (this.o.desiredOne) return this.o.desiredOne(lbId);
    return this.o.desired().loadBalancers.find((d) => d.lbId === lbId) ?? null;
  }

  private later(lbId: string, atMs: number, reason: string, full: boolean): void {
    const existing = this.timers.get(lbId);
    if (existing) clearTimeout(existing);
    const delay = Math.max(0, atMs - this.now());
    this.timers.set(lbId, setTimeout(() => {
      this.timers.delete(lbId);
      if (full) this.pending.set(lbId, { full: true, reason, queuedAt: this.now() });
      this.kick(reason, [lbId]);
    }, delay));
  }

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  private async runLb(lbId: string, job: Pending): Promise<void> {
    const t0 = this.now();
    const d = this.desiredOf(lbId);
    const steps: Record<string, number> = { queued: t0 - job.queuedAt };
    let out: Outcome;
    try {
      const certs = d ? await resolveCerts({ agentId: '', loadBalancers: [d] }, this.o.resolveCert) : new Map<string, string>();
      const sessions = d?.handover?.role === 'outgoing' ? new Set([lbId]) : undefined;
      const observed = await this.o.host.observe([lbId], { full: job.full, sessions });
      steps.observe = this.now() - t0;
      const ctx: PlanContext = { runDir: this.o.runDir, maxconnCap: this.o.maxconnCap, certs, nowMs: this.now(), handover: this.o.handover };
      out = await applyPlan(planLb(d, observed.get(lbId), ctx), this.o.host, steps);
    } catch (err) {
      out = { lbId, kind: 'retry', error: toError(err), desired: d };
    }
    if (this.stopped) return;
    await this.settle(out, job, t0, steps);
  }

  /** Logs the outcome, sends its report, and schedules what comes next for this LB (a recheck or a retry). */
  private async settle(out: Outcome, job: Pending, t0: number, steps: Record<string, number> = {}): Promise<void> {
    const d = out.desired;
    const log = { op: 'reconcile', reason: job.reason, lb_id: out.lbId, version: d?.version, epoch: d?.epoch, outcome: out.kind, ms: this.now() - t0 };
    this.o.observe?.({ reason: job.reason, seconds: (this.now() - t0) / 1000, outcomes: [out] });
    const outgoing = d?.handover?.role === 'outgoing';
    let failed = false;
    if (out.kind === 'converged') {
      this.failures.delete(out.lbId);
      if (out.actions > 0) this.o.logger.info({ ...log, actions: out.actions, reach: out.reach, steps_ms: steps, full: job.full }, 'converged');
      // The hand-over's gap: from the old copy letting go of the VIP (its report's time) to this copy announcing it.
      const releasedAt = d?.handover?.role === 'incoming' && d.handover.releasedAt ? Date.parse(d.handover.releasedAt) : null;
      if (steps.announcedAt !== undefined && releasedAt !== null) {
        this.o.logger.info({ op: 'handover', lb_id: out.lbId, epoch: d?.epoch, gap_ms: steps.announcedAt - releasedAt }, 'VIP announced after the old copy released it');
      }
      if (d && !outgoing && out.reach === 'serving') this.appliedVersions.set(d.lbId, d.version); else this.appliedVersions.delete(out.lbId);
      if (d && !outgoing && out.reach === 'serving' && (d.deleted || d.appliedVersion < d.version || d.rejectedVersion === d.version)) {
        failed = !(await this.report(d, `${d.version}:applied`, () => this.o.reporter.applied(d)));
      } else if (d && out.reach === 'prepared' && d.handover?.role === 'incoming' && d.handover.preparedAt === null) {
        failed = !(await this.report(d, 'prepared', () => this.o.reporter.prepared(d)));
      } else if (d && out.reach === 'released' && outgoing && d.handover?.releasedAt === null) {
        failed = !(await this.report(d, 'released', () => this.o.reporter.released(d)));
      } else if (d && out.reach === 'drained' && d.handover?.role === 'outgoing' && !d.handover.drainedAt) {
        failed = !(await this.report(d, 'drained', () => this.o.reporter.drained(d)));
      }
      if (!d) this.reported.delete(out.lbId);
      if (out.recheckAtMs !== undefined) this.later(out.lbId, out.recheckAtMs, 'recheck', false);
    } else if (out.kind === 'rejected') {
      this.failures.delete(out.lbId);
      this.appliedVersions.delete(out.lbId);
      this.o.logger.warn({ ...log, reason: out.reason }, 'rejected');
      if (out.desired.rejectedVersion !== out.desired.version) {
        failed = !(await this.report(out.desired, `${out.desired.version}:rejected`, () => this.o.reporter.rejected(out.desired, out.reason)));
      }
    } else {
      const n = (this.failures.get(out.lbId) ?? 0) + 1;
      this.failures.set(out.lbId, n);
      this.o.logger.warn({ ...log, err: out.error, failures: n }, 'retry');
      // A copy that keeps failing is not quietly retried for ever: it is ERROR with the reason until a run succeeds.
      if (d && !outgoing && n >= (this.o.failuresBeforeError ?? 3) && d.rejectedVersion !== d.version) {
        await this.report(d, `${d.version}:rejected`, () => this.o.reporter.rejected(d, out.error.message.slice(0, 1000)));
      }
      failed = true;
    }
    if (failed && !this.stopped) {
      const n = this.failures.get(out.lbId) ?? 1;
      this.later(out.lbId, this.now() + Math.min(10_000, (this.o.retryDelayMs ?? 1000) * 2 ** Math.max(0, n - 1)), 'retry', true);
    }
  }

  /** Reports once per (epoch, what); false if sending failed (retried on the next run). */
  private async report(d: DesiredLb, what: string, send: () => Promise<void>): Promise<boolean> {
    const key = `${d.epoch}:${what}`;
    if (this.reported.get(d.lbId) === key) return true;
    try {
      await send();
      this.reported.set(d.lbId, key);
      this.o.logger.info({ op: 'report', lb_id: d.lbId, version: d.version, epoch: d.epoch, kind: what.replace(/^\d+:/, '') }, `reported ${what.replace(/^\d+:/, '')}`);
      return true;
    } catch (err) {
      this.o.logger.warn({ op: 'report', lb_id: d.lbId, version: d.version, epoch: d.epoch, kind: what, err }, 'report failed');
      return false;
    }
  }
}
