import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The agent's lease on its VIPs, as a file in its state dir: `until` is the wall-clock ms after which nothing of this
 * agent may answer on a VIP any more. The agent renews it after every NATS round trip; the per-host watchdog (a separate
 * process) withdraws the VIPs once it lapses, so a dead agent process is fenced too (DESIGN.md §6).
 */
export type LeaseRecord = Readonly<{ agentId: string; until: number; renewedBy: number }>;

export const leaseFile = (stateDir: string): string => join(stateDir, 'lease.json');

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

/** Pure: is the lease still running at `nowMs`? */
export const leaseHeld = (lease: LeaseRecord | null, nowMs: number): boolean => lease !== null && nowMs < lease.until;
