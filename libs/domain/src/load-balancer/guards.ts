import { DomainError } from '../domain-error';
import type {
  Deleted, L7PolicyState, ListenerState, Live, LoadBalancer, MemberState, MonitorState, PoolState,
} from './state';

/**
 * The guards every command of the tree passes: does the object exist (404), and may the tree change now (409 while
 * PENDING_*). This file is the one place that decides Octavia's ImmutableObject and LBPendingStateError.
 */

/** Octavia's NotFound: "<Resource> <id> not found." */
export const notFound = (resource: string, id: string): DomainError => new DomainError('NotFound', `${resource} ${id} not found.`);

/** The load balancer, if it exists and is not deleted. */
export const live = (s: LoadBalancer, lbId: string): Live => {
  if (s.status !== 'live') throw notFound('Load Balancer', lbId);
  return s;
};

/** PENDING_*: a desired version newer than the applied one, not rejected, and not waiting after a failed placement. */
export const isPending = (s: Live | Deleted): boolean => {
  const { version, appliedVersion, rejectedVersion } = s.versions;
  const placementFailed = s.placement.agentId === null && s.placement.failedReason !== null;
  return version > appliedVersion && rejectedVersion !== version && !placementFailed;
};

/** Octavia's ImmutableObject (409) for `lbId`. */
export const immutable = (lbId: string): DomainError =>
  new DomainError('IllegalState', `Load Balancer ${lbId} is immutable and cannot be updated.`);

/** Octavia's ImmutableObject: the tree is PENDING_*, so no child (or the LB) may change until the agent catches up. */
export const assertMutable = (s: Live): void => {
  if (isPending(s)) throw immutable(s.lbId);
};

/** Octavia's LBPendingStateError, which PUT and DELETE of the LB itself answer while it is PENDING_*. */
export const assertNotPendingForLbChange = (s: Live): void => {
  if (!isPending(s)) return;
  const state = s.versions.appliedVersion > 0 ? 'PENDING_UPDATE' : 'PENDING_CREATE';
  throw new DomainError('IllegalState', `Invalid state ${state} of loadbalancer resource ${s.lbId}`);
};

export const listenerOf = (s: Live, id: string): ListenerState => {
  const l = s.listeners.get(id);
  if (!l) throw notFound('Listener', id);
  return l;
};
export const poolOf = (s: Live, id: string): PoolState => {
  const p = s.pools.get(id);
  if (!p) throw notFound('Pool', id);
  return p;
};
export const memberOf = (p: PoolState, id: string): MemberState => {
  const m = p.members.get(id);
  if (!m) throw notFound('Member', id);
  return m;
};
export const monitorOf = (s: Live, id: string): MonitorState => {
  const m = s.monitors.get(id);
  if (!m) throw notFound('Health Monitor', id);
  return m;
};
export const policyOf = (s: Live, id: string): L7PolicyState => {
  const p = s.l7Policies.get(id);
  if (!p) throw notFound('L7 Policy', id);
  return p;
};
