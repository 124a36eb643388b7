import type { BatchUpdateMembers, CreateLoadBalancerGraph, LoadBalancerCommand, LoadBalancerEvent } from '@lbaas/events';
import { DomainError } from '../domain-error';
import { immutable, isPending, live, poolOf } from './guards';
import { MEMBER_DEFAULTS } from './member';
import { evolve, inOneFold, memberKey, type LoadBalancer } from './state';

/**
 * The commands that change several objects of the tree in one commit: Octavia's graph create and batch member update.
 * Each is decided as the sequence of single-object commands it stands for, by the tree's own `decide`.
 */

/** The tree's decide, handed in by index.ts (the batch commands are decided in terms of it). */
export type DecideOne = (c: LoadBalancerCommand, s: LoadBalancer) => LoadBalancerEvent[];

/**
 * Inside one commit the tree is invisible to everyone else, so the immutability lock (which guards between commits)
 * must not refuse the commit's own later steps: each step is decided as if the previous ones were already applied.
 */
const unlocked = (s: LoadBalancer): LoadBalancer =>
  s.status === 'live' ? { ...s, versions: { ...s.versions, appliedVersion: s.versions.version } } : s;

/**
 * Decides `commands` one after another on the evolving state, as one fold (linear: the states in between are nobody's);
 * all or nothing (a DomainError aborts the batch, and `s` is never changed).
 */
const decideAll = (decide: DecideOne, s: LoadBalancer, commands: readonly LoadBalancerCommand[]): LoadBalancerEvent[] => inOneFold(() => {
  const out: LoadBalancerEvent[] = [];
  let state = s;
  for (const c of commands) {
    const events = decide(c, unlocked(state));
    for (const e of events) state = evolve(state, e);
    for (const e of events) out.push(e);
  }
  return out;
});

export const createGraph = ({ data, metadata }: CreateLoadBalancerGraph, s: LoadBalancer, decide: DecideOne): LoadBalancerEvent[] => {
  const created = decide({ type: 'CreateLoadBalancer', data: data.loadBalancer, metadata }, s);
  if (created.length === 0) return []; // the same request, retried: the whole graph is already stored
  const state = created.reduce(evolve, s);
  const steps = data.steps.map((step) => ({ ...step, metadata }) as LoadBalancerCommand);
  return [...created, ...decideAll(decide, state, steps)];
};

export const batchUpdateMembers = ({ data, metadata }: BatchUpdateMembers, s: LoadBalancer, decide: DecideOne): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  const existing = pool.memberKeys;
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
      commands.push({
        type: 'CreateMember',
        data: {
          ...MEMBER_DEFAULTS, ...m.settings, lbId: data.lbId, poolId: data.poolId, memberId: m.memberId, address: m.address,
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
  const events = decideAll(decide, lb, commands);
  // Octavia's lock, checked once for the whole batch: a no-op batch is fine even while PENDING_*.
  if (events.length > 0 && isPending(lb)) throw immutable(data.lbId);
  return events;
};
