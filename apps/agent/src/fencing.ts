import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Clock } from '@lbaas/app-shell';
import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { AgentConfig } from './config';
import type { KernelFence } from './host/kernel-fence';

/**
 * Fencing (DESIGN.md §6): the agent may answer on its VIPs only while it holds a lease, and the lease is renewed only
 * by a NATS round trip. The heartbeats and the renewals come from the lease keeper (lease-worker.ts), a worker thread
 * with its own event loop and NATS connection, so a busy main thread is not taken for a dead agent; the keeper renews
 * only while this thread's event loop turns (within LEASE_STALL_LIMIT_MS). No renewal for LEASE_MS
 * → withdraw every VIP and pause reconciling; NATS back → catch up with the stream, renew, resume. The lease is also a
 * file the per-host watchdog reads (watchdog.ts), so a dead agent process is fenced too, and an element with a timeout in
 * the kernel (host/kernel-fence.ts), so the VIPs stop answering even when every process of the agent is dead.
 *
 * The kernel's lease element and the lease file are renewed together, kernel first: a renewal the kernel refuses (the
 * element expired or was revoked) renews the file neither, and the agent fences itself. Only the resume after a lapse
 * (caught up with the stream) grants the element again; a start finds it gone when the lease lapsed while no process of
 * the agent ran, and then starts fenced (its VIPs withdrawn until it caught up), so the copy of an LB that moved away
 * meanwhile never answers again.
 */

/**
 * The agent's lease on its VIPs, as a file in its state dir: `until` is the wall-clock ms after which nothing of this
 * agent may answer on a VIP any more. The agent renews it after every NATS round trip; the per-host watchdog (a separate
 * process) withdraws the VIPs once it lapses, so a dead agent process is fenced too (DESIGN.md §6).
 */
export type LeaseRecord = Readonly<{
  agentId: string;
  until: number;
  renewedBy: number;
  /**
   * The same deadline on the host's monotonic clock (CLOCK_MONOTONIC, shared by every process of the host, never set):
   * when present, it decides, so a jump of the wall clock neither lapses the lease early nor keeps it past its end.
   */
  untilMono?: number;
}>;

export const leaseFile = (stateDir: string): string => join(stateDir, 'lease.json');

/**
 * Milliseconds on CLOCK_MONOTONIC (what app-shell's monotonicMs reads; here without importing app-shell, so the
 * watchdog process stays small).
 */
export const monotonicMs = (): number => Number(process.hrtime.bigint() / 1_000_000n);

export function writeLease(stateDir: string, record: LeaseRecord): void {
  const file = leaseFile(stateDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(record));
  renameSync(`${file}.tmp`, file);
}

/** The lease, or null when there is none (never written) or it is unreadable (treated as lapsed by the watchdog). */
export function readLease(stateDir: string): LeaseRecord | null {
  try {
    const r = JSON.parse(readFileSync(leaseFile(stateDir), 'utf8')) as LeaseRecord;
    return typeof r.until === 'number' ? r : null;
  } catch {
    return null;
  }
}

/** Pure: is the lease still running at `nowMs` (wall clock) / `nowMono` (monotonic clock, preferred when both know it)? */
export const leaseHeld = (lease: LeaseRecord | null, nowMs: number, nowMono?: number): boolean =>
  lease !== null && (lease.untilMono !== undefined && nowMono !== undefined ? nowMono < lease.untilMono : nowMs < lease.until);

/**
 * What the main thread and the lease keeper (lease-worker.ts) share: one BigInt64 slot each, monotonic ms (process.hrtime,
 * the same clock in every thread and process; fenced: 0/1):
 * the keeper's last NATS round trip, the main thread's last event-loop turn, fenced, the last renewal written to the
 * lease file, and since when the main thread's own NATS connection is down (0: up).
 */
export const SLOT = { workerContact: 0, mainContact: 1, fenced: 2, leaseRenewed: 3, mainDisconnectedSince: 4 } as const;
const SLOTS = 5;

/** Raises slot `i` to `v` (never lowers it: the keeper and the main thread's resume both write the renewal time). */
export function raise(shared: BigInt64Array, i: number, v: number): void {
  for (;;) {
    const cur = Atomics.load(shared, i);
    if (BigInt(v) <= cur) return;
    if (Atomics.compareExchange(shared, i, cur, BigInt(v)) === cur) return;
  }
}

export const slot = (shared: BigInt64Array, i: number): number => Number(Atomics.load(shared, i));

/**
 * Starts the lease keeper thread. From the built app it runs lease-worker.js; from TypeScript sources (jest,
 * bench/run.js) it compiles lease-worker.ts with @swc/core on require, the way bench/run.js does.
 */
function startLeaseWorker(workerData: Record<string, unknown>): Worker {
  if (__filename.endsWith('.js')) return new Worker(join(__dirname, 'lease-worker.js'), { workerData });
  const boot = `
    const { transformSync } = require('@swc/core');
    const fs = require('node:fs');
    require.extensions['.ts'] = (m, f) => m._compile(transformSync(fs.readFileSync(f, 'utf8'), {
      filename: f, module: { type: 'commonjs' }, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    }).code, f);
    require(${JSON.stringify(join(__dirname, 'lease-worker.ts'))});`;
  return new Worker(boot, { eval: true, workerData });
}

/** What fencing needs from the rest of the agent (the runtime wires these to the host, reconciler and catalog). */
export type FencingDeps = Readonly<{
  config: Pick<AgentConfig, 'agentId' | 'stateDir' | 'leaseMs' | 'reportIntervalMs' | 'nats' | 'leaseStallLimitMs' | 'logLevel'>;
  nc: NatsConnection;
  clock: Clock;
  logger: Logger;
  /** The heartbeat's payload: lbId → version applied on this host. */
  appliedVersions: () => Record<string, number>;
  /** Removes the address of every VIP on this host. */
  withdrawVips: () => Promise<void>;
  /** Stop and restart reconciling (a paused reconciler does not plug the withdrawn VIPs back). */
  pause: () => void;
  resume: () => void;
  /** Resolves once the agent's catalog has applied stream sequence `seq`. */
  catchUp: (seq: number) => Promise<void>;
  /** The kernel fence (null: off, KERNEL_FENCE=false) and the ports it guards (host-side veths of every LB recorded here). */
  fence?: KernelFence | null;
  fencePorts?: () => string[];
}>;

/** Heartbeat, lease, withdraw and resume: one instance per agent process. */
export class Fencing {
  /** Monotonic ms shared with the lease keeper (SLOT above): a wall-clock jump neither lapses nor extends the lease. */
  private readonly shared = new BigInt64Array(new SharedArrayBuffer(SLOTS * 8));
  private fenced = false;
  private resuming = false;
  private beating = false;
  private stopped = false;
  private worker: Worker | null = null;
  private workerStartedAt = 0;
  private timers: NodeJS.Timeout[] = [];
  /** During start's first round trip: a lease element missing then is a start without a lease, not a lapse seen live. */
  private starting = false;

  constructor(private readonly d: FencingDeps) {}

  /** True while the lease has lapsed and the VIPs are withdrawn. */
  get withdrawn(): boolean {
    return this.fenced;
  }

  /**
   * The first round trip renews the lease at once (a restart keeps adopted VIPs: hitless), then the keeper thread
   * takes over heartbeats and renewals; our own round trip and the lease check run on timers here.
   */
  async start(): Promise<void> {
    this.stopped = false;
    mkdirSync(this.d.config.stateDir, { recursive: true, mode: 0o700 });
    // The table with this agent's ports, its lease element as it is: present (a restart within the lease) or not.
    await this.d.fence?.ensure(this.ports()).catch((err: unknown) => this.d.logger.error({ op: 'fence.kernel', err }, 'could not set up the kernel fence'));
    this.starting = true;
    await this.roundTrip();
    this.starting = false;
    // This thread turns now; main.ts loads the Nest shell next (a synchronous stretch): the keeper must not take that
    // for a stall, it renews meanwhile (the stall limit is a minute).
    raise(this.shared, SLOT.mainContact, monotonicMs());
    this.startWorker();
    this.timers.push(setInterval(() => void this.roundTrip(), this.d.config.reportIntervalMs));
    this.timers.push(setInterval(() => void this.checkLease(), Math.min(100, this.d.config.reportIntervalMs)));
    void this.watchConnection();
  }

  /** Since when the main connection is down, for the keeper (it renews nothing once that lasts the stall limit). */
  private async watchConnection(): Promise<void> {
    for await (const s of this.d.nc.status()) {
      if (this.stopped) return;
      if (s.type === 'disconnect' && slot(this.shared, SLOT.mainDisconnectedSince) === 0) Atomics.store(this.shared, SLOT.mainDisconnectedSince, BigInt(monotonicMs()));
      if (s.type === 'reconnect') Atomics.store(this.shared, SLOT.mainDisconnectedSince, 0n);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    void this.worker?.terminate();
    this.worker = null;
  }

  private startWorker(): void {
    const { agentId, stateDir, leaseMs, reportIntervalMs, nats, leaseStallLimitMs, logLevel } = this.d.config;
    const w = startLeaseWorker({
      nats, agentId, heartbeatSubject: subjects.heartbeat(agentId), stateDir, leaseMs, reportIntervalMs, stallLimitMs: leaseStallLimitMs,
      logLevel, shared: this.shared.buffer as SharedArrayBuffer, kernelFence: this.d.fence ? this.d.fence.agentId : null,
    });
    this.workerStartedAt = monotonicMs();
    w.on('error', (err) => this.d.logger.error({ op: 'lease.worker', err }, 'lease keeper failed'));
    w.on('exit', (code) => {
      if (this.stopped || this.worker !== w) return;
      // Until the new keeper's first round trip, this thread's own round trips heartbeat and renew (roundTrip).
      this.d.logger.error({ op: 'lease.worker', code }, 'lease keeper exited: starting a new one');
      this.worker = null;
      setTimeout(() => { if (!this.stopped) this.startWorker(); }, 500).unref();
    });
    this.worker = w;
  }

  /**
   * Our own NATS round trip on the main connection: it resumes a fenced agent once NATS answers, and heartbeats and
   * renews while no keeper has made a round trip yet. Also hands the keeper the heartbeat's payload.
   */
  private async roundTrip(): Promise<void> {
    // One at a time: a flush that hangs (a partition) holds the next ones back; the lease check runs on its own timer.
    if (this.beating) return;
    this.beating = true;
    const sentAt = monotonicMs();
    // Until the current keeper made its first round trip (it is starting, or a new one replaces a failed one), this
    // thread heartbeats and renews itself: a slow thread start must not look like a silent agent.
    const keeperUp = this.worker !== null && slot(this.shared, SLOT.workerContact) >= this.workerStartedAt;
    try {
      const appliedVersions = this.d.appliedVersions();
      this.worker?.postMessage({ appliedVersions });
      const { agentId } = this.d.config;
      if (!keeperUp) this.d.nc.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId, at: this.d.clock.now(), appliedVersions }));
      // No deadline: during a burst the answer waits behind every message queued on this connection (seconds), and
      // that is busy, not dead; only the lease is tight, and the keeper's own round trip keeps it.
      await this.d.nc.flush();
      const fresh = monotonicMs() - sentAt <= this.d.config.leaseMs;
      if (this.fenced) { if (fresh) void this.resumeAfterCatchUp(sentAt); }
      else if (fresh && !keeperUp) await this.renew(sentAt);
    } catch (err) {
      this.d.logger.warn({ op: 'heartbeat', err }, 'NATS round trip failed');
    } finally {
      this.beating = false;
    }
  }

  private ports(): string[] {
    return this.d.fencePorts?.() ?? [];
  }

  /** A renewal from this thread: the kernel's element first (only while it is still there), then the file. */
  private async renew(sentAt: number): Promise<void> {
    const left = Math.max(sentAt, slot(this.shared, SLOT.leaseRenewed)) + this.d.config.leaseMs - monotonicMs();
    if (left <= 0) return;
    if (this.d.fence) {
      const renewed = await this.d.fence.renew(left).catch((err: unknown) => {
        this.d.logger.warn({ op: 'fence.kernel', err }, 'could not renew the kernel fence');
        return null;
      });
      if (renewed === null) return; // nft failed: the next round trip tries again (the lease runs out if none succeeds)
      if (!renewed && this.starting) {
        // The first start of this agent on this host, or its lease ran out while no process of it ran (its LBs may have
        // moved): fenced until caught up with the stream, then granted (resumeAfterCatchUp).
        await this.lapse(null);
        return;
      }
      if (!renewed) { await this.lapse('the kernel fence\'s lease element is gone (expired, or revoked)'); return; }
    }
    this.writeRenewal(sentAt);
  }

  private writeRenewal(sentAt: number): void {
    const { agentId, stateDir, leaseMs } = this.d.config;
    raise(this.shared, SLOT.leaseRenewed, sentAt);
    try {
      const untilMono = slot(this.shared, SLOT.leaseRenewed) + leaseMs;
      writeLease(stateDir, { agentId, until: Date.now() + (untilMono - monotonicMs()), untilMono, renewedBy: process.pid });
    } catch (err) {
      this.d.logger.warn({ op: 'lease', err }, 'could not write the lease file');
    }
  }

  /** The lease runs out LEASE_MS after the last renewal (the keeper's or ours): withdraw every VIP, stop reconciling. */
  private async checkLease(): Promise<void> {
    raise(this.shared, SLOT.mainContact, monotonicMs()); // this thread's event loop turns: the keeper's proof of progress
    const renewed = slot(this.shared, SLOT.leaseRenewed);
    if (this.fenced || monotonicMs() - renewed <= this.d.config.leaseMs) return;
    await this.lapse(`lease lapsed ${monotonicMs() - renewed} ms after the last renewal`);
  }

  /**
   * Fenced: the kernel's element revoked (it would expire about now anyway), every VIP withdrawn, reconciling paused.
   * `why` null: a start without a lease element (not a lapse of a running agent).
   */
  private async lapse(why: string | null): Promise<void> {
    if (this.fenced) return;
    this.fenced = true;
    Atomics.store(this.shared, SLOT.fenced, 1n); // the keeper renews no more until we resume
    this.d.pause();
    await this.d.fence?.revoke().catch((err: unknown) => this.d.logger.warn({ op: 'fence.kernel', err }, 'could not revoke the kernel fence (it expires by itself)'));
    await this.d.withdrawVips();
    if (why !== null) this.d.logger.error({ op: 'lease', why }, 'lease lapsed: VIPs withdrawn');
    else {
      const owned = this.ports().length;
      this.d.logger[owned > 0 ? 'warn' : 'info']({ op: 'lease.start', owned },
        'no lease in the kernel fence at start (first start here, or it ran out while no process of this agent ran): VIPs withdrawn until caught up with the stream');
    }
  }

  /**
   * NATS is back after a lapsed lease. While we were cut off our LBs may have moved: catch the catalog up to the
   * stream's end first, so the first reconcile already knows the new placements (it then destroys stale copies instead
   * of plugging a VIP that another host serves now). Only then renew the lease and resume.
   */
  private async resumeAfterCatchUp(sentAt: number): Promise<void> {
    if (this.resuming) return;
    this.resuming = true;
    try {
      const jsm = await this.d.nc.jetstreamManager({ checkAPI: false });
      const last = (await jsm.streams.info(EVENT_STREAM)).state.last_seq;
      await this.d.catchUp(last);
      // The keeper kept making round trips while we were fenced (it only did not renew): its last one counts too.
      const contact = Math.max(sentAt, slot(this.shared, SLOT.workerContact));
      const left = contact + this.d.config.leaseMs - monotonicMs();
      if (left <= 0) return; // that contact is too old by now: the next round trip tries again
      // The kernel's element is granted again (table and ports ensured in the same transaction): it answers again.
      await this.d.fence?.grant(left, this.ports());
      this.fenced = false;
      this.writeRenewal(contact);
      Atomics.store(this.shared, SLOT.fenced, 0n);
      this.d.resume();
      this.d.logger.warn({ op: 'lease', seq: last }, 'NATS is back: caught up, lease renewed, reconciling again');
    } catch (err) {
      this.d.logger.warn({ op: 'lease', err }, 'NATS answered but catching up failed; still fenced');
    } finally {
      this.resuming = false;
    }
  }
}
