import type { DesiredLb, DesiredState } from '@lbaas/projections';
import type { Logger } from 'pino';
import { ConfigRejected } from './host/haproxy';
import type { Host } from './host/linux-host';
import { plan, type LbPlan, type PlanContext } from './plan';
import { resolveCerts } from './tls-certs';

/** How one LB's run ended (MetalLB's SyncState): converged, retry later, or rejected until a new desired version. */
export type Outcome =
  | { lbId: string; kind: 'converged'; actions: number; desired: DesiredLb | null }
  | { lbId: string; kind: 'retry'; error: Error; desired: DesiredLb | null }
  | { lbId: string; kind: 'rejected'; reason: string; desired: DesiredLb };

const toError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

/** Observe, plan, apply, classify: one outcome per LB; one LB's failure never stops the others. */
export async function reconcileOnce(desired: DesiredState, host: Host, ctx: PlanContext & { concurrency?: number }): Promise<Outcome[]> {
  let plans: LbPlan[];
  try {
    plans = plan(desired, await host.observe(desired.loadBalancers.map((d) => d.lbId)), ctx);
  } catch (err) {
    return desired.loadBalancers.map((d) => ({ lbId: d.lbId, kind: 'retry', error: toError(err), desired: d }));
  }
  const outcomes: Outcome[] = new Array(plans.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < plans.length; i = next++) outcomes[i] = await applyPlan(plans[i], host);
  };
  await Promise.all(Array.from({ length: Math.min(ctx.concurrency ?? 4, plans.length) }, worker));
  return outcomes;
}

async function applyPlan(p: LbPlan, host: Host): Promise<Outcome> {
  if (p.kind === 'rejected') return { lbId: p.lbId, kind: 'rejected', reason: p.reason, desired: p.desired };
  if (p.kind === 'blocked') return { lbId: p.lbId, kind: 'retry', error: new Error(p.reason), desired: p.desired };
  try {
    for (const action of p.actions) await host.apply(action); // each apply is idempotent: a retry starts over safely
    return { lbId: p.lbId, kind: 'converged', actions: p.actions.length, desired: p.desired };
  } catch (err) {
    if (err instanceof ConfigRejected && p.desired) return { lbId: p.lbId, kind: 'rejected', reason: err.reason, desired: p.desired };
    return { lbId: p.lbId, kind: 'retry', error: toError(err), desired: p.desired };
  }
}

/** Sends a fact about an outcome to the event store (ReportApplied / ReportRejected). Throws to be retried. */
export type Reporter = {
  applied(d: DesiredLb): Promise<void>;
  rejected(d: DesiredLb, reason: string): Promise<void>;
};

export type ReconcilerOptions = {
  host: Host;
  runDir: string;
  maxconnCap?: number;
  /** The latest desired state, read at the start of every run. */
  desired: () => DesiredState;
  reporter: Reporter;
  logger: Logger;
  resyncIntervalMs: number;
  /** Delay before re-running after a retry outcome. */
  retryDelayMs?: number;
  /** Resolves a TERMINATED_HTTPS certificate reference to its PEM bundle; without it such listeners are rejected. */
  resolveCert?: (ref: string) => Promise<string>;
  /** Told about every run (metrics): why it ran, how long it took, each LB's outcome. */
  observe?: (run: { reason: string; seconds: number; outcomes: readonly Outcome[] }) => void;
};

/**
 * The wake-up loop: start, commits that touch this agent's LBs, and a resync timer all call `kick()`. Kicks are merged:
 * at most one run is in flight and the next run always reads the latest desired state.
 */
export class Reconciler {
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private resync: NodeJS.Timeout | null = null;
  private retry: NodeJS.Timeout | null = null;
  /** `${epoch}:${version}:${kind}` last reported per LB: a report goes out once per version. */
  private readonly reported = new Map<string, string>();
  /** lbId -> desired version the host currently matches (heartbeats carry it). */
  readonly appliedVersions = new Map<string, number>();

  constructor(private readonly o: ReconcilerOptions) {}

  start(): void {
    this.resync = setInterval(() => this.kick('resync'), this.o.resyncIntervalMs);
    this.kick('start');
  }

  /** While paused (lease lapsed) runs are skipped, so withdrawn VIPs are not plugged back. */
  private paused = false;
  pause(): void { this.paused = true; }
  resume(): void { this.paused = false; this.kick('resume'); }

  kick(reason: string): void {
    if (this.stopped || this.paused) return;
    if (this.running) { this.again = true; return; }
    this.running = this.loop(reason).finally(() => { this.running = null; });
  }

  /** Stops timers and waits for the run in flight; never tears anything down (a restart must be hitless). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resync) clearInterval(this.resync);
    if (this.retry) clearTimeout(this.retry);
    await this.running;
  }

  /** Resolves when no run is in flight (tests). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async loop(reason: string): Promise<void> {
    do {
      this.again = false;
      await this.runOnce(reason);
      reason = 'merged';
    } while (this.again && !this.stopped);
  }

  private async runOnce(reason: string): Promise<void> {
    const desired = this.o.desired();
    const t0 = Date.now();
    const certs = await resolveCerts(desired, this.o.resolveCert);
    const outcomes = await reconcileOnce(desired, this.o.host, { runDir: this.o.runDir, maxconnCap: this.o.maxconnCap, certs });
    this.o.observe?.({ reason, seconds: (Date.now() - t0) / 1000, outcomes });
    let retry = false;
    for (const out of outcomes) {
      const d = out.desired;
      const log = { op: 'reconcile', reason, lb_id: out.lbId, version: d?.version, epoch: d?.epoch, outcome: out.kind, ms: Date.now() - t0 };
      if (out.kind === 'converged') {
        if (out.actions > 0) this.o.logger.info({ ...log, actions: out.actions }, 'converged');
        if (d) this.appliedVersions.set(d.lbId, d.version); else this.appliedVersions.delete(out.lbId);
        if (d && (d.deleted || d.appliedVersion < d.version)) retry = !(await this.report(d, 'applied', () => this.o.reporter.applied(d))) || retry;
      } else if (out.kind === 'rejected') {
        this.o.logger.warn({ ...log, reason: out.reason }, 'rejected');
        if (d && d.rejectedVersion !== d.version) retry = !(await this.report(d, 'rejected', () => this.o.reporter.rejected(out.desired, out.reason))) || retry;
      } else {
        this.o.logger.warn({ ...log, err: out.error }, 'retry');
        retry = true;
      }
    }
    const live = new Set(outcomes.map((o) => o.lbId));
    for (const id of this.reported.keys()) if (!live.has(id)) this.reported.delete(id);
    if (retry && !this.stopped && !this.retry) {
      this.retry = setTimeout(() => { this.retry = null; this.kick('retry'); }, this.o.retryDelayMs ?? 1000);
    }
  }

  /** Reports once per (epoch, version, kind); false if sending failed (retried on the next run). */
  private async report(d: DesiredLb, kind: string, send: () => Promise<void>): Promise<boolean> {
    const key = `${d.epoch}:${d.version}:${kind}`;
    if (this.reported.get(d.lbId) === key) return true;
    try {
      await send();
      this.reported.set(d.lbId, key);
      this.o.logger.info({ op: 'report', lb_id: d.lbId, version: d.version, epoch: d.epoch, kind }, `reported ${kind}`);
      return true;
    } catch (err) {
      this.o.logger.warn({ op: 'report', lb_id: d.lbId, version: d.version, epoch: d.epoch, kind, err }, 'report failed');
      return false;
    }
  }
}
