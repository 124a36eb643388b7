import { newId, type Clock } from '@lbaas/app-shell';
import type { Actor } from '@lbaas/contracts';
import { loadBalancer } from '@lbaas/domain';
import { handle, type EventStore } from '@lbaas/event-store';
import type { OperatingStatus } from '@lbaas/events';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import type { Logger } from 'pino';
import type { LinuxHost } from './host/linux-host';

// Member health: haproxy's view of every member (`show stat`), reported as MemberOperatingStatusChanged when it changes.

/** One row of haproxy's `show stat` CSV, keyed by the header's field names (`pxname`, `svname`, `status`, ...). */
export type StatRow = Record<string, string>;

/** Parses `show stat` output (`# pxname,svname,...` header, one line per proxy/server). */
export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const keys = header.slice(2).split(',');
  return lines.filter((l) => !l.startsWith('#')).map((l) => {
    const cells = l.split(',');
    return Object.fromEntries(keys.map((k, i) => [k, cells[i] ?? '']).filter(([k]) => k !== ''));
  });
}

/** haproxy server status → operating status (Octavia's mapping): UP→ONLINE, DOWN→ERROR, DRAIN/weight 0→DRAINING, MAINT→OFFLINE, no check→NO_MONITOR. */
export function serverStatus(row: StatRow): OperatingStatus {
  const s = row.status ?? '';
  if (s.startsWith('MAINT')) return 'OFFLINE';
  if (s === 'no check') return row.weight === '0' ? 'DRAINING' : 'NO_MONITOR';
  if (s === 'DRAIN' || s === 'NOLB') return 'DRAINING';
  if (s.startsWith('UP')) return row.weight === '0' ? 'DRAINING' : 'ONLINE'; // "UP 1/2" is still up (going down)
  if (s.startsWith('DOWN')) return 'ERROR'; // "DOWN 1/2" is still down (coming up)
  return 'OFFLINE';
}

/** A member's status as haproxy sees it. */
export type MemberHealth = { lbId: string; poolId: string; memberId: string; status: OperatingStatus };

/** The members of `lb` found in its stats (rows of other proxies and unknown servers are ignored). */
export function memberHealth(lb: DesiredLb, rows: readonly StatRow[]): MemberHealth[] {
  const byKey = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
  return lb.pools.flatMap((p) => p.members.flatMap((m) => {
    const row = byKey.get(`${p.poolId}/${m.memberId}`);
    return row ? [{ lbId: lb.lbId, poolId: p.poolId, memberId: m.memberId, status: serverStatus(row) }] : [];
  }));
}

/**
 * What to report: statuses that differ from the last one reported for the same member at the same epoch.
 * `last` is keyed `${epoch}:${memberId}`; the decider dedupes too, this only saves round trips.
 */
export function changedHealth(epoch: number, now: readonly MemberHealth[], last: ReadonlyMap<string, OperatingStatus>): MemberHealth[] {
  return now.filter((h) => last.get(`${epoch}:${h.memberId}`) !== h.status);
}

/** What the health poller needs from the rest of the agent. */
export type HealthReportsDeps = Readonly<{
  agentId: string;
  pollMs: number;
  store: EventStore;
  host: Pick<LinuxHost, 'digests' | 'statsCsv'>;
  desired: () => DesiredState;
  actor: Actor;
  clock: Clock;
  logger: Logger;
}>;

/** Every HEALTH_POLL_MS: read the stats of every running LB of this agent and report each member whose status changed. */
export class HealthReports {
  private readonly lastHealth = new Map<string, OperatingStatus>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly d: HealthReportsDeps) {}

  start(): void {
    this.timer = setInterval(() => void this.poll(), this.d.pollMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    for (const lb of this.d.desired().loadBalancers) {
      if (lb.deleted || !this.d.host.digests(lb.lbId).running) continue;
      try {
        const changed = changedHealth(lb.epoch, memberHealth(lb, parseShowStat(await this.d.host.statsCsv(lb.lbId))), this.lastHealth);
        for (const h of changed) {
          await handle(this.d.store, { aggregate: 'lb', id: lb.lbId }, loadBalancer, {
            type: 'ReportMemberStatus', data: { ...h, agentId: this.d.agentId, epoch: lb.epoch },
            metadata: { commandId: newId(), now: this.d.clock.now() },
          }, this.d.actor);
          this.lastHealth.set(`${lb.epoch}:${h.memberId}`, h.status);
          this.d.logger.info({ op: 'health', lb_id: lb.lbId, member_id: h.memberId, status: h.status }, 'member status');
        }
      } catch (err) {
        this.d.logger.debug({ op: 'health', lb_id: lb.lbId, err }, 'health poll failed');
      }
    }
  }
}
