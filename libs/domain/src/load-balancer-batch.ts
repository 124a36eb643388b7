import type {
  BatchUpdateMembers, CreateLoadBalancerGraph, Decider, LoadBalancerCommand, LoadBalancerEvent, MemberSettings,
} from '@lbaas/events';
import { DomainError } from './domain-error';
import { parseIpAddress } from './ip-address';
import { isPending, loadBalancer, type LoadBalancer } from './load-balancer';

/** Every command the load-balancer tree takes: the single-object ones plus the batch ones of this file. */
export type LoadBalancerBatchCommand = LoadBalancerCommand | CreateLoadBalancerGraph | BatchUpdateMembers;

type Live = Extract<LoadBalancer, { status: 'live' }>;

/**
 * Inside one commit the tree is invisible to everyone else, so the immutability lock (which guards between commits)
 * must not refuse the commit's own later steps: each step is decided as if the previous ones were already applied.
 */
const unlocked = (s: LoadBalancer): LoadBalancer =>
  s.status === 'live' ? { ...s, versions: { ...s.versions, appliedVersion: s.versions.version } } : s;

/** Decides `commands` one after another on the evolving state; all or nothing (a DomainError aborts the batch). */
const decideAll = (s: LoadBalancer, commands: readonly LoadBalancerCommand[]): LoadBalancerEvent[] => {
  const out: LoadBalancerEvent[] = [];
  let state = s;
  for (const c of commands) {
    const events = loadBalancer.decide(c, unlocked(state));
    for (const e of events) state = loadBalancer.evolve(state, e);
    out.push(...events);
  }
  return out;
};

const createGraph = ({ data, metadata }: CreateLoadBalancerGraph, s: LoadBalancer): LoadBalancerEvent[] => {
  const created = loadBalancer.decide({ type: 'CreateLoadBalancer', data: data.loadBalancer, metadata }, s);
  if (created.length === 0) return []; // the same request, retried: the whole graph is already stored
  const state = created.reduce(loadBalancer.evolve, s);
  const steps = data.steps.map((step) => ({ ...step, metadata }) as LoadBalancerCommand);
  return [...created, ...decideAll(state, steps)];
};

const memberKey = (address: string, port: number): string => `${parseIpAddress(address)?.canonical ?? address}|${port}`;

const batchUpdateMembers = ({ data, metadata }: BatchUpdateMembers, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status !== 'live') throw new DomainError('NotFound', `Load Balancer ${data.lbId} not found.`);
  const lb: Live = s;
  const pool = lb.pools.get(data.poolId);
  if (!pool) throw new DomainError('NotFound', `Pool ${data.poolId} not found.`);
  const existing = new Map([...pool.members].map(([id, m]) => [m.key, id]));
  const seen = new Set<string>();
  const commands: LoadBalancerCommand[] = [];
  for (const m of data.members) {
    const key = memberKey(m.address, m.protocolPort);
    if (seen.has(key)) {
      throw new DomainError('Invalid', `Validation failure: Member ${m.address}:${m.protocolPort} is given more than once in the request.`);
    }
    seen.add(key);
    const id = existing.get(key);
    if (id) {
      commands.push({ type: 'UpdateMember', data: { lbId: data.lbId, poolId: data.poolId, memberId: id, changes: m.settings }, metadata });
    } else {
      const defaults: MemberSettings = { name: '', adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [] };
      commands.push({
        type: 'CreateMember',
        data: {
          ...defaults, ...m.settings, lbId: data.lbId, poolId: data.poolId, memberId: m.memberId, address: m.address,
          protocolPort: m.protocolPort, subnetId: m.subnetId,
        },
        metadata,
      });
    }
  }
  if (!data.additiveOnly) {
    for (const [id, m] of pool.members) {
      if (!seen.has(m.key)) commands.push({ type: 'DeleteMember', data: { lbId: data.lbId, poolId: data.poolId, memberId: id }, metadata });
    }
  }
  const events = decideAll(lb, commands);
  // Octavia's lock, checked once for the whole batch: a no-op batch is fine even while PENDING_*.
  if (events.length > 0 && isPending(lb)) {
    throw new DomainError('IllegalState', `Load Balancer ${data.lbId} is immutable and cannot be updated.`);
  }
  return events;
};

export const decideBatch = (c: LoadBalancerBatchCommand, s: LoadBalancer): LoadBalancerEvent[] => {
  switch (c.type) {
    case 'CreateLoadBalancerGraph': return createGraph(c, s);
    case 'BatchUpdateMembers': return batchUpdateMembers(c, s);
    default: return loadBalancer.decide(c, s);
  }
};

/** The load-balancer tree as a decider that also takes the batch commands (same state, same events). */
export const loadBalancerBatch = {
  decide: decideBatch, evolve: loadBalancer.evolve, initialState: loadBalancer.initialState,
} satisfies Decider<LoadBalancer, LoadBalancerBatchCommand, LoadBalancerEvent>;
