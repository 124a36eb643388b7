import type { StoredCommit } from '@lbaas/event-store';
import {
  childProvisioningStatus, evolveCatalog, initialCatalog, lbOperatingStatus, lbProvisioningStatus, type Catalog, type LoadBalancerView,
} from '@lbaas/projections';
import { flag, list, onlyKnown, opt, parseArgs, UsageError } from './args';
import { connectFromArgs, replay, replayMemberReports } from './connection';
import {
  emptyRangeMessage, formatCommit, HistoryIndex, matches, parsePoint, pastEnd, selectEvents, type HistoryCommit, type HistoryFilter,
} from './history-filter';

const out = (s: string) => process.stdout.write(s + '\n');

/** `lbaasctl events [--project P] [--lb ID] [--type T,...] [--from seq|time] [--to seq|time] [--follow] [--json]` */
export async function events(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['follow', 'json', 'quiet']));
  onlyKnown(a, ['nats', 'project', 'lb', 'type', 'from', 'to', 'follow', 'json', 'quiet']);
  const now = Date.now();
  const from = opt(a, 'from');
  const to = opt(a, 'to');
  const filter: HistoryFilter = {
    projectId: opt(a, 'project'), lbId: opt(a, 'lb'), types: list(a, 'type'),
    from: from ? parsePoint(from, now) : undefined, to: to ? parsePoint(to, now) : undefined,
  };
  if (flag(a, 'follow') && filter.to) throw new UsageError('--follow and --to exclude each other');
  const json = flag(a, 'json');
  const nc = await connectFromArgs(a, env);
  const index = new HistoryIndex();
  let first: HistoryCommit | undefined;
  let last: HistoryCommit | undefined;
  let shown = 0;
  let inRange = 0;
  const onCommit = (sc: StoredCommit) => {
    const c = sc as unknown as HistoryCommit;
    first ??= c;
    last = c;
    index.learn(c);
    if (pastEnd(filter, c)) return;
    if (matches({ from: filter.from, to: filter.to }, c, index)) inRange++;
    if (!matches(filter, c, index)) return;
    shown++;
    const sel = selectEvents(filter, c);
    if (json) out(JSON.stringify(sel));
    else for (const line of formatCommit(sel)) out(line);
  };
  try {
    if (flag(a, 'follow')) {
      const live = await replay(nc, onCommit, { what: 'reading history', follow: true, quiet: flag(a, 'quiet') });
      await new Promise<void>((resolve) => { process.once('SIGINT', resolve); process.once('SIGTERM', resolve); });
      await live.stop();
      return 0;
    }
    await replay(nc, onCommit, { what: 'reading history', quiet: flag(a, 'quiet') });
    if ((filter.from || filter.to) && inRange === 0) {
      process.stderr.write(`lbaasctl events: ${emptyRangeMessage(filter, first, last)}\n`);
      return 1;
    }
    if (!json) process.stderr.write(`lbaasctl: ${shown} commits shown (stream up to seq ${last?.seq ?? 0})\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** `lbaasctl state --at <seq|time> [--lb ID] [--project P] [--json]`: the load-balancer trees as they were then. */
export async function state(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'at', 'lb', 'project', 'json', 'quiet']);
  const at = opt(a, 'at');
  const point = at ? parsePoint(at, Date.now()) : undefined;
  const nc = await connectFromArgs(a, env);
  const catalog = initialCatalog();
  let first: HistoryCommit | undefined;
  let last: HistoryCommit | undefined;
  let foldedAt: string | undefined;
  try {
    await replay(nc, (c) => {
      first ??= c as unknown as HistoryCommit;
      last = c as unknown as HistoryCommit;
      if (point && pastEnd({ to: point }, c as unknown as HistoryCommit)) return;
      evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]);
      foldedAt = c.at;
    }, { what: 'replaying', quiet: flag(a, 'quiet') });
    // Member statuses live in the report stream (each member's last few transitions), not in the history: those up to
    // the point in time (for a sequence: the time of the last commit folded), or all of them.
    const until = point?.kind === 'time' ? point.at : point ? (foldedAt ? Date.parse(foldedAt) : -Infinity) : Infinity;
    await replayMemberReports(nc, (c) => { if (Date.parse(c.at) <= until) evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]); });
  } finally {
    await nc.close();
  }
  if (point && catalog.seq === 0) {
    process.stderr.write(`lbaasctl state: nothing had happened by ${point.kind === 'seq' ? `seq ${point.seq}` : new Date(point.at).toISOString()}: ${emptyRangeMessage({ to: point }, first, last).replace(/^no events in [^:]*: /, '')}\n`);
    return 1;
  }
  const trees = [...catalog.loadBalancers.lbs.values()]
    .filter((lb) => (!opt(a, 'lb') || lb.lbId === opt(a, 'lb')) && (!opt(a, 'project') || lb.projectId === opt(a, 'project')))
    .map((lb) => tree(catalog, lb));
  if (flag(a, 'json')) out(JSON.stringify({ seq: catalog.seq, loadBalancers: trees }, null, 2));
  else {
    out(`state as of seq ${catalog.seq}${point?.kind === 'time' ? ` (${new Date(point.at).toISOString()})` : ''}: ${trees.length} load balancers`);
    for (const t of trees) for (const line of treeLines(t)) out(line);
  }
  return 0;
}

/** One load-balancer tree as plain data (the `state --json` shape). */
export function tree(catalog: Catalog, lb: LoadBalancerView) {
  return {
    id: lb.lbId, name: lb.name, projectId: lb.projectId, vipAddress: lb.vipAddress, vipSubnetId: lb.vipSubnetId,
    adminStateUp: lb.adminStateUp, provisioningStatus: lbProvisioningStatus(lb), operatingStatus: lbOperatingStatus(lb),
    agentId: lb.placement?.agentId ?? null, epoch: lb.placement?.epoch ?? 0, version: lb.version, appliedVersion: lb.appliedVersion,
    deleted: lb.deleted !== null, lastSeq: lb.seq,
    listeners: [...lb.listeners.values()].map((l) => ({
      id: l.listenerId, name: l.name, protocol: l.protocol, protocolPort: l.protocolPort, defaultPoolId: l.defaultPoolId,
      provisioningStatus: childProvisioningStatus(lb, l),
    })),
    pools: [...lb.pools.values()].map((p) => ({
      id: p.poolId, name: p.name, protocol: p.protocol, lbAlgorithm: p.lbAlgorithm, healthMonitorId: p.healthMonitorId,
      provisioningStatus: childProvisioningStatus(lb, p),
      members: p.memberIds.flatMap((id) => {
        const m = lb.members.get(id);
        return m ? [{ id: m.memberId, address: m.address, protocolPort: m.protocolPort, weight: m.weight, adminStateUp: m.adminStateUp }] : [];
      }),
    })),
    healthMonitors: [...lb.healthMonitors.values()].map((h) => ({ id: h.healthMonitorId, poolId: h.poolId, type: h.type, delay: h.delay })),
    subnetKnown: catalog.networks.subnets.has(lb.vipSubnetId),
  };
}

function treeLines(t: ReturnType<typeof tree>): string[] {
  const lines = [`lb ${t.id} "${t.name}" project ${t.projectId} vip ${t.vipAddress} on ${t.agentId ?? '(unplaced)'} epoch ${t.epoch}  ${t.provisioningStatus}/${t.operatingStatus}  v${t.version} applied ${t.appliedVersion}${t.deleted ? '  DELETED' : ''}`];
  for (const l of t.listeners) lines.push(`  listener ${l.id} ${l.protocol}:${l.protocolPort} → pool ${l.defaultPoolId ?? '-'}  ${l.provisioningStatus}`);
  for (const p of t.pools) {
    const hm = t.healthMonitors.find((h) => h.poolId === p.id);
    lines.push(`  pool ${p.id} ${p.protocol} ${p.lbAlgorithm}${hm ? `  monitor ${hm.type} every ${hm.delay}s` : ''}  ${p.provisioningStatus}`);
    for (const m of p.members) lines.push(`    member ${m.id} ${m.address}:${m.protocolPort} weight ${m.weight}${m.adminStateUp ? '' : ' (disabled)'}`);
  }
  return lines;
}
