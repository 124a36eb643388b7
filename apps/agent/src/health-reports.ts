import type { OperatingStatus } from '@lbaas/events';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import type { Logger } from 'pino';
import type { LinuxHost } from './host/linux-host';

// Member health: haproxy's view of every member (`show stat`), reported as MemberOperatingStatusChanged when it changes.

/** One row of haproxy's `show stat` CSV, keyed by the header's field names (`pxname`, `svname`, `status`, ...). */
export type StatRow = Record<string, string>;

/**
 * Parses `show stat` output (`# pxname,svname,...` header, one line per proxy/server). With `only`, each row holds just
 * those fields: a pool of 5,000 members has ~100 columns a row, and the health poll needs five of them every second.
 */
export function parseShowStat(csv: string, only?: readonly string[]): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.find((l) => l.startsWith('# '));
  if (!header) return [];
  const keys = header.slice(2).split(',');
  const picked = keys.flatMap((k, i) => (k !== '' && (!only || only.includes(k)) ? [[k, i] as const] : []));
  const out: StatRow[] = [];
  for (const l of lines) {
    if (l.startsWith('#')) continue;
    const cells = l.split(',');
    const row: StatRow = {};
    for (const [k, i] of picked) row[k] = cells[i] ?? '';
    out.push(row);
  }
  return out;
}

/** The `show stat` fields the health poll reads. */
const HEALTH_FIELDS = ['pxname', 'svname', 'status', 'weight', 'check_status'] as const;

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

/**
 * The members of `lb` found in its stats (rows of other proxies and unknown servers are ignored). A checked server whose
 * first check has not run yet (`check_status` INI) is left out: haproxy only assumes it up, nobody looked.
 */
export function memberHealth(lb: DesiredLb, rows: readonly StatRow[]): MemberHealth[] {
  const byKey = new Map(rows.map((r) => [`${r.pxname}/${r.svname}`, r]));
  return lb.pools.flatMap((p) => p.members.flatMap((m) => {
    const row = byKey.get(`${p.poolId}/${m.memberId}`);
    if (!row || (row.check_status ?? '').startsWith('INI') && !(row.status ?? '').startsWith('MAINT')) return [];
    return [{ lbId: lb.lbId, poolId: p.poolId, memberId: m.memberId, status: serverStatus(row) }];
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
  pollMs: number;
  /** Stores one member's status on this agent's report subject (reports.ts). */
  report: (h: MemberHealth & { epoch: number }) => Promise<void>;
  /** What was reported before this process started (`${epoch}:${memberId}` → status), read from the report subjects. */
  reported?: ReadonlyMap<string, OperatingStatus>;
  host: Pick<LinuxHost, 'running' | 'statsCsv'>;
  desired: () => DesiredState;
  /** One LB's desired state (cheaper than all of them). */
  desiredOne?: (lbId: string) => DesiredLb | null;
  /** This agent's copy of the LB serves (a planned move's copy does not report before it took the VIP, nor after it let go). */
  serving?: (lbId: string) => boolean;
  logger: Logger;
}>;

/**
 * Every HEALTH_POLL_MS: read the stats of every running LB of this agent and report each member whose status changed.
 * A copy that starts serving (a new placement, a restart) is polled every 200 ms until each of its members has been
 * checked and reported at its epoch, so that the new host says what it sees as soon as it has looked.
 */
export class HealthReports {
  private readonly lastHealth: Map<string, OperatingStatus>;
  private timer: NodeJS.Timeout | null = null;
  private readonly eager = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private polling = false;

  constructor(private readonly d: HealthReportsDeps) {
    this.lastHealth = new Map(d.reported ?? []);
  }

  start(): void {
    // One round at a time: a round over thousands of LBs takes longer than the period, and rounds that overlap would
    // each render every desired LB again and pile up (issue 11: CPU that grows with the LB count on a busy agent).
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void this.poll().finally(() => { this.polling = false; });
    }, this.d.pollMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const t of this.eager.values()) clearTimeout(t);
    this.eager.clear();
  }

  /** The LB's copy serves now: report its members as soon as haproxy has checked them. */
  soon(lbId: string, attempt = 0): void {
    if (this.stopped || this.eager.has(lbId) || attempt > 150) return;
    this.eager.set(lbId, setTimeout(() => {
      this.eager.delete(lbId);
      const lb = this.d.desiredOne ? this.d.desiredOne(lbId) : this.d.desired().loadBalancers.find((x) => x.lbId === lbId);
      if (!lb) return;
      void this.pollLb(lb).then((complete) => { if (!complete) this.soon(lbId, attempt + 1); });
    }, attempt === 0 ? 50 : 200));
  }

  private async poll(): Promise<void> {
    for (const lb of this.d.desired().loadBalancers) {
      if (this.stopped) return;
      await this.pollLb(lb);
    }
  }

  /** Reports what changed in one LB; true when every member has a status reported at the LB's epoch. */
  private async pollLb(lb: DesiredLb): Promise<boolean> {
    if (lb.deleted || lb.handover?.role === 'outgoing' || !this.d.host.running(lb.lbId)) return true;
    if (this.d.serving && !this.d.serving(lb.lbId)) return false;
    try {
      const now = memberHealth(lb, parseShowStat(await this.d.host.statsCsv(lb.lbId), HEALTH_FIELDS));
      const changed = changedHealth(lb.epoch, now, this.lastHealth);
      for (const h of changed) {
        await this.d.report({ ...h, epoch: lb.epoch });
        this.lastHealth.set(`${lb.epoch}:${h.memberId}`, h.status);
        this.d.logger.info({ op: 'health', lb_id: lb.lbId, member_id: h.memberId, status: h.status, epoch: lb.epoch }, 'member status');
      }
      const members = lb.pools.reduce((n, p) => n + p.members.length, 0);
      return now.length === members;
    } catch (err) {
      this.d.logger.debug({ op: 'health', lb_id: lb.lbId, err }, 'health poll failed');
      return false;
    }
  }
}
