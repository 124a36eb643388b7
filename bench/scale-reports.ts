/**
 * The store-level parts of bench/scale.ts: a fleet written straight through the deciders (for the memory figures),
 * and what a report costs on a 2,000-member LB whose history holds 20,000 member status changes.
 */
import { randomUUID } from 'node:crypto';
import { loadBalancer, memberReports } from '@lbaas/domain';
import { handle, jetStreamEventStore, StateCache, type EventStore } from '@lbaas/event-store';
import { REPORT_STREAM, type Actor } from '@lbaas/contracts';
import type { GraphStep, LoadBalancerCommand } from '@lbaas/events';
import { connect } from 'nats';
import { summarize } from './stats';

const actor: Actor = { kind: 'service', service: 'bench' };
const meta = () => ({ commandId: randomUUID(), now: new Date().toISOString() });

/** The data of one fully populated LB (listener, pool, `members` members, HTTP monitor) as a graph create. */
export function graphCommand(lbId: string, i: number, members: number): Extract<LoadBalancerCommand, { type: 'CreateLoadBalancerGraph' }> {
  const listenerId = randomUUID();
  const poolId = randomUUID();
  const steps: GraphStep[] = [
    {
      type: 'CreateListener', data: {
        lbId, listenerId, protocol: 'HTTP', protocolPort: 80, name: `l${i}`, description: '', adminStateUp: true, connectionLimit: -1,
        defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000,
        timeoutTcpInspect: 0, allowedCidrs: null, tags: [],
      },
    },
    {
      type: 'CreatePool', data: {
        lbId, poolId, listenerId, protocol: 'HTTP', name: `p${i}`, description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN',
        sessionPersistence: null, tags: [],
      },
    },
    ...Array.from({ length: members }, (_, m): GraphStep => ({
      type: 'CreateMember', data: {
        lbId, poolId, memberId: randomUUID(), address: `10.${(m >> 16) & 255}.${(m >> 8) & 255}.${m & 255}`, protocolPort: 8080,
        subnetId: null, name: `m${m}`, adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [],
      },
    })),
    {
      type: 'CreateHealthMonitor', data: {
        lbId, poolId, healthMonitorId: randomUUID(), type: 'HTTP', name: '', adminStateUp: true, delay: 5, timeout: 3, maxRetries: 3,
        maxRetriesDown: 3, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, tags: [],
      },
    },
  ];
  return {
    type: 'CreateLoadBalancerGraph', metadata: meta(),
    data: {
      loadBalancer: {
        lbId, projectId: `project-${i % 50}`, name: `lb${i}`, description: '', adminStateUp: true, tags: [], vipAddress: `10.99.${(i >> 8) & 255}.${i & 255}`,
        vipSubnetId: 'bench-subnet', vipNetworkId: 'bench-net', vipPortId: randomUUID(), provider: 'lbaas',
      },
      steps,
    },
  };
}

/** Writes `lbs` fully populated LBs with `members` members each, placed and applied (as if agents had built them). */
export async function fillFleet(url: string, lbs: number, members: number): Promise<{ commits: number }> {
  const nc = await connect({ servers: url });
  const store = jetStreamEventStore(nc);
  let commits = 0;
  let next = 0;
  const one = async (i: number) => {
    const lbId = randomUUID();
    const { seq } = await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, graphCommand(lbId, i, members), actor, { isNew: true });
    const cache = new StateCache();
    const agentId = i % 2 ? 'mem-a' : 'mem-b';
    await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, {
      type: 'PlaceLoadBalancer', data: { lbId, agentId, expectedEpoch: 0, reason: 'initial' }, metadata: meta(),
    }, actor, { cache });
    const version = members + 5; // created, listener, pool, members, monitor, placed
    await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, {
      type: 'ReportApplied', data: { lbId, agentId, epoch: 1, version }, metadata: meta(),
    }, actor, { cache }).catch(() => undefined);
    commits += 3;
    void seq;
  };
  await Promise.all(Array.from({ length: 8 }, async () => { for (let i = next++; i < lbs; i = next++) await one(i); }));
  await nc.drain();
  return { commits };
}

/** Times `f` `n` times (ms). */
async function timed(n: number, f: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f(i);
    out.push(performance.now() - t0);
  }
  return out;
}

/**
 * The legacy layout: a 2,000-member LB placed on agent `a1` whose history holds `flaps` MemberOperatingStatusChanged
 * commits (what agents wrote on the LB's subject before issue 11). Returns its ids and version.
 */
export async function legacyFlappingLb(store: EventStore, flaps: number) {
  const lbId = randomUUID();
  const graph = graphCommand(lbId, 0, 2000);
  let { seq } = await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, graph, actor, { isNew: true });
  seq = (await handle(store, { aggregate: 'lb', id: lbId }, loadBalancer, {
    type: 'PlaceLoadBalancer', data: { lbId, agentId: 'a1', expectedEpoch: 0, reason: 'initial' }, metadata: meta(),
  }, actor)).seq;
  const members = graph.data.steps.filter((s) => s.type === 'CreateMember').map((s) => s.data as { poolId: string; memberId: string });
  for (let i = 0; i < flaps; i++) {
    const m = members[i % members.length];
    const status = Math.floor(i / members.length) % 2 ? 'ONLINE' : 'ERROR';
    seq = await store.append({ aggregate: 'lb', id: lbId }, {
      commitId: randomUUID(), at: new Date().toISOString(), actor: { kind: 'service', service: 'agent:a1' },
      events: [{ type: 'MemberOperatingStatusChanged', v: 1, data: { lbId, poolId: m.poolId, memberId: m.memberId, agentId: 'a1', epoch: 1, status, at: new Date().toISOString() } }],
    }, seq);
  }
  return { lbId, members, version: 2000 + 5 };
}

/** What one report costs on the old path: handle() on the LB's subject, which reads and folds its whole history. */
export async function legacyReportCost(store: EventStore, lb: { lbId: string; version: number }, n = 3) {
  const read = await timed(n, () => store.read({ aggregate: 'lb', id: lb.lbId }));
  const report = await timed(n, () => handle(store, { aggregate: 'lb', id: lb.lbId }, loadBalancer, {
    type: 'ReportApplied', data: { lbId: lb.lbId, agentId: 'a1', epoch: 1, version: lb.version }, metadata: meta(),
  }, actor));
  return { readMs: summarize(read), reportMs: summarize(report) };
}

/**
 * The new path: a member status on the agent's own report subject, decided on the state the agent holds in memory
 * (handle() with its StateCache, as apps/agent/src/reports.ts does). Flapping `flaps` times, then how many messages
 * that member's subject keeps (the stream's per-subject limit).
 */
export async function newReportCost(nc: import('nats').NatsConnection, store: EventStore, lb: { lbId: string; members: { poolId: string; memberId: string }[] }, flaps = 2000) {
  const cache = new StateCache(1_000_000);
  const agentActor: Actor = { kind: 'service', service: 'agent:a1' };
  const m = lb.members[0];
  const ref = { report: { kind: 'member' as const, agentId: 'a1', lbId: lb.lbId, memberId: m.memberId } };
  const ms: number[] = [];
  for (let i = 0; i < flaps; i++) {
    const t0 = performance.now();
    await handle(store, ref, memberReports, {
      type: 'ReportMemberStatus', data: { lbId: lb.lbId, poolId: m.poolId, memberId: m.memberId, agentId: 'a1', epoch: 1, status: i % 2 ? 'ONLINE' : 'ERROR' },
      metadata: meta(),
    }, agentActor, { cache, isNew: i === 0 });
    ms.push(performance.now() - t0);
  }
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(REPORT_STREAM, { subjects_filter: '>' });
  const kept = Object.values(info.state.subjects ?? {}).reduce((a, b) => a + b, 0);
  return { reportMs: summarize(ms), flaps, reportsStored: info.state.last_seq, messagesKeptForTheMember: kept, streamBytes: info.state.bytes };
}

/** The `reports` section: the legacy cost and the new path's, and what a flapping member leaves in the store. */
export async function reports(log: (m: string) => void): Promise<Record<string, unknown>> {
  const { startNatsServer, bootstrapNats } = await import('@lbaas/testing');
  const nats = await startNatsServer();
  try {
    await bootstrapNats(nats.url);
    const nc = await connect({ servers: nats.url });
    const store = jetStreamEventStore(nc);
    log('reports: a 2,000-member LB with 20,000 status changes in its history (legacy layout)');
    const t0 = Date.now();
    const lb = await legacyFlappingLb(store, 20_000);
    log(`written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const legacy = await legacyReportCost(store, lb);
    log(`legacy path (read + fold the LB's history): ${JSON.stringify(legacy)}`);
    const current = await newReportCost(nc, store, lb);
    log(`new path (the agent's own report subject, state in memory), a member flapping ${current.flaps} times: ${JSON.stringify(current)}`);
    await nc.drain();
    return { legacy, current };
  } finally {
    await nats.stop();
  }
}
