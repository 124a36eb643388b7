import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '@lbaas/app-shell';
import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import type { AgentConfig } from './config';

/**
 * Fencing (DESIGN.md §6): the agent may answer on its VIPs only while it holds a lease, and the lease is renewed only
 * by a NATS round trip. Heartbeat → renew; no round trip for LEASE_MS → withdraw every VIP and pause reconciling;
 * NATS back → catch up with the stream, renew, resume. The lease is also a file the per-host watchdog reads
 * (watchdog.ts), so a dead agent process is fenced too.
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

/** What fencing needs from the rest of the agent (the runtime wires these to the host, reconciler and catalog). */
export type FencingDeps = Readonly<{
  config: Pick<AgentConfig, 'agentId' | 'stateDir' | 'leaseMs' | 'reportIntervalMs'>;
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
}>;

/** Heartbeat, lease, withdraw and resume: one instance per agent process. */
export class Fencing {
  /** The last NATS round trip, on the monotonic clock (a wall-clock jump must not lapse or extend the lease). */
  private lastContact = monotonicMs();
  private fenced = false;
  private resuming = false;
  private beating = false;
  private timers: NodeJS.Timeout[] = [];

  constructor(private readonly d: FencingDeps) {}

  /** True while the lease has lapsed and the VIPs are withdrawn. */
  get withdrawn(): boolean {
    return this.fenced;
  }

  /** The first heartbeat (a restart renews the lease at once, so adopted VIPs stay), then the heartbeat and lease timers. */
  async start(): Promise<void> {
    await this.heartbeat();
    this.timers.push(setInterval(() => void this.heartbeat(), this.d.config.reportIntervalMs));
    this.timers.push(setInterval(() => void this.checkLease(), Math.min(100, this.d.config.reportIntervalMs)));
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
  }

  /**
   * Heartbeat, and the lease: a heartbeat flushed within REPORT_INTERVAL_MS is a NATS round trip; it renews the lease
   * (`until` = when it was sent + LEASE_MS) in memory and in the lease file the host watchdog reads.
   */
  private async heartbeat(): Promise<void> {
    if (this.beating) return; // the previous flush still hangs (a partition): the lease check runs on its own timer
    this.beating = true;
    const { agentId, reportIntervalMs } = this.d.config;
    const sentAt = monotonicMs();
    const appliedVersions = this.d.appliedVersions();
    try {
      this.d.nc.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId, at: this.d.clock.now(), appliedVersions }));
      await Promise.race([
        this.d.nc.flush(),
        new Promise((_, reject) => setTimeout(() => reject(new Error('no NATS round trip')), Math.max(reportIntervalMs, 250))),
      ]);
      if (this.fenced) {
        void this.resumeAfterCatchUp(sentAt);
        return;
      }
      this.renew(sentAt);
    } catch (err) {
      this.d.logger.warn({ op: 'heartbeat', err }, 'heartbeat failed');
    } finally {
      this.beating = false;
    }
  }

  private renew(sentAt: number): void {
    const { agentId, stateDir, leaseMs } = this.d.config;
    this.lastContact = Math.max(this.lastContact, sentAt);
    try {
      const untilMono = this.lastContact + leaseMs;
      writeLease(stateDir, { agentId, until: Date.now() + (untilMono - monotonicMs()), untilMono, renewedBy: process.pid });
    } catch (err) {
      this.d.logger.warn({ op: 'lease', err }, 'could not write the lease file');
    }
  }

  /** The lease runs out LEASE_MS after the last round trip: withdraw every VIP and stop reconciling until NATS answers. */
  private async checkLease(): Promise<void> {
    if (this.fenced || monotonicMs() - this.lastContact <= this.d.config.leaseMs) return;
    this.fenced = true;
    this.d.pause();
    await this.d.withdrawVips();
    this.d.logger.error({ op: 'lease', ms: monotonicMs() - this.lastContact }, 'lease lapsed: VIPs withdrawn');
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
      this.fenced = false;
      this.renew(sentAt);
      this.d.resume();
      this.d.logger.warn({ op: 'lease', seq: last }, 'NATS is back: caught up, lease renewed, reconciling again');
    } catch (err) {
      this.d.logger.warn({ op: 'lease', err }, 'NATS answered but catching up failed; still fenced');
    } finally {
      this.resuming = false;
    }
  }
}
