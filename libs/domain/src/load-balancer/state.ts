import {
  desiredVersionAfter, handoverFrom, isTornDown,
  type HealthMonitorSettings, type L7Event, type L7PolicySettings, type L7RuleSettings, type ListenerProtocol,
  type ListenerSettings, type LoadBalancerEvent, type LoadBalancerFlavor, type LoadBalancerSettings, type MemberSettings, type MonitorType,
  type OperatingStatus, type PlacedPair, type PlacementReason, type PoolProtocol, type PoolSettings,
} from '@lbaas/events';
import { assertNever } from '../domain-error';
import { parseIpAddress } from '../ip-address';

/** A listener as decide sees it. */
export type ListenerState = Readonly<{ protocol: ListenerProtocol; protocolPort: number; settings: ListenerSettings }>;
/** A member as decide sees it; `key` is its canonical address and port (duplicate detection). */
export type MemberState = Readonly<{
  address: string; protocolPort: number; key: string; settings: MemberSettings;
  /** The last status reported, with the placement epoch it was reported at (a new host reports again, even the same). */
  status: Readonly<{ epoch: number; value: OperatingStatus }> | null;
}>;
/** A pool as decide sees it. */
export type PoolState = Readonly<{
  protocol: PoolProtocol; listenerId: string | null; settings: PoolSettings;
  members: ReadonlyMap<string, MemberState>; healthMonitorId: string | null;
  /** Member key (canonical address and port) → member id: duplicate detection without walking the members. */
  memberKeys: ReadonlyMap<string, string>;
}>;
/** A health monitor as decide sees it. */
export type MonitorState = Readonly<{ poolId: string; type: MonitorType; settings: HealthMonitorSettings }>;
/** An L7 policy as decide sees it: its listener, settings and rules (by id). */
export type L7PolicyState = Readonly<{ listenerId: string; settings: L7PolicySettings; rules: ReadonlyMap<string, L7RuleSettings> }>;
/**
 * A planned move in progress: the previous placement's agent keeps its copy until the new one is prepared, then stops
 * answering ARP (released) and drains it; a pair's old master says when it drained (its release ended).
 */
export type Handover = Readonly<{ fromAgentId: string; fromEpoch: number; prepared: boolean; released: boolean; drained: boolean }>;
/**
 * Where the tree runs: `epoch` 0 = never placed; `failedReason` set while unplaced after a failed placement; `pair` the
 * two sides of an ACTIVE_STANDBY load balancer under this epoch (null: SINGLE, or not placed yet).
 */
export type Placement = Readonly<{
  agentId: string | null; epoch: number; failedReason: string | null; handover: Handover | null; pair: PlacedPair | null;
}>;
/** An agent's last report on the data plane: which version it applied or rejected, at which placement epoch. */
export type Report = Readonly<{ epoch: number; version: number; kind: 'applied' | 'rejected' }>;
/**
 * The version rule shared with views and agents (`desiredVersionAfter`): `version` counts this LB's desired-state
 * events; `appliedVersion`/`rejectedVersion` are the highest versions agents reported; `lastReport` the latest report.
 */
export type Versions = Readonly<{ version: number; appliedVersion: number; rejectedVersion: number; lastReport: Report | null }>;

/** The load-balancer aggregate's state: only what decide reads. */
export type LoadBalancer =
  | Readonly<{ status: 'none' }>
  | Readonly<{
    status: 'live'; lbId: string; settings: LoadBalancerSettings;
    listeners: ReadonlyMap<string, ListenerState>; pools: ReadonlyMap<string, PoolState>;
    monitors: ReadonlyMap<string, MonitorState>; placement: Placement; versions: Versions;
    l7Policies: ReadonlyMap<string, L7PolicyState>;
    /** The flavor's limits as they were at creation (null: created without a flavor). */
    flavor: LoadBalancerFlavor | null;
  }>
  | Readonly<{ status: 'deleted'; lbId: string; placement: Placement; versions: Versions }>;

/** A load balancer that exists (its tree can change). */
export type Live = Extract<LoadBalancer, { status: 'live' }>;
/** A deleted load balancer whose placement and versions still matter until it is torn down. */
export type Deleted = Extract<LoadBalancer, { status: 'deleted' }>;

export const initialState = (): LoadBalancer => ({ status: 'none' });

/** True once the agent reported the teardown of a deleted LB applied (or the LB was never placed: nothing to tear down). */
export const tornDown = (s: Deleted): boolean =>
  isTornDown({ deleted: true, placed: s.placement.epoch > 0, version: s.versions.version, appliedVersion: s.versions.appliedVersion });

/** The duplicate-detection key of a member: its canonical address and its port. */
export const memberKey = (address: string, port: number): string => `${parseIpAddress(address)?.canonical ?? address}|${port}`;

/** A planned move (operator, drain) away from a placed agent, or a pair's planned promotion, starts a hand-over; any other placement ends one. */
const handoverAfter = (p: Placement, placed: Readonly<{ agentId: string; reason: PlacementReason; pair?: PlacedPair | null }>): Handover | null => {
  const from = handoverFrom(p, placed);
  return from === null ? null : { fromAgentId: from, fromEpoch: p.epoch, prepared: false, released: false, drained: false };
};

/**
 * Maps made during one evolveAll(): nobody else holds them yet, so the fold may change them in place. Outside a fold
 * (a single evolve) the set is empty and every change copies, so no state anyone holds is ever changed. Without this,
 * a commit of n members copies a map of up to n entries n times (quadratic: a 5,000-member batch took seconds).
 */
let draft: WeakSet<object> | null = null;
const owned = <K, V>(m: ReadonlyMap<K, V>): Map<K, V> => {
  if (draft?.has(m)) return m as Map<K, V>;
  const copy = new Map(m);
  draft?.add(copy);
  return copy;
};
const setMap = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => owned(m).set(k, v);
const delMap = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  const next = owned(m);
  next.delete(k);
  return next;
};

const applyEvent = (s: LoadBalancer, e: LoadBalancerEvent): LoadBalancer => {
  if (e.type === 'LoadBalancerCreated') {
    const { name, description, adminStateUp, tags } = e.data;
    return {
      status: 'live', lbId: e.data.lbId, settings: { name, description, adminStateUp, tags },
      listeners: new Map(), pools: new Map(), monitors: new Map(), l7Policies: new Map(), flavor: e.data.flavor ?? null,
      placement: { agentId: null, epoch: 0, failedReason: null, handover: null, pair: null },
      versions: { version: 0, appliedVersion: 0, rejectedVersion: 0, lastReport: null },
    };
  }
  if (s.status === 'none') return s;
  switch (e.type) {
    case 'LoadBalancerPlaced':
      return { ...s, placement: {
        agentId: e.data.agentId, epoch: e.data.epoch, failedReason: null, handover: handoverAfter(s.placement, e.data), pair: e.data.pair ?? null,
      } };
    case 'LoadBalancerPlacementFailed':
      return { ...s, placement: { ...s.placement, failedReason: e.data.reason } };
    case 'LoadBalancerHandoverPrepared':
    case 'LoadBalancerHandoverReleased':
    case 'LoadBalancerHandoverDrained': {
      const h = s.placement.handover;
      if (!h) return s;
      const next = e.type === 'LoadBalancerHandoverPrepared' ? { ...h, prepared: true }
        : e.type === 'LoadBalancerHandoverReleased' ? { ...h, released: true } : { ...h, drained: true };
      return { ...s, placement: { ...s.placement, handover: next } };
    }
    case 'DesiredStateApplied':
      return { ...s, versions: {
        ...s.versions, appliedVersion: Math.max(s.versions.appliedVersion, e.data.version),
        lastReport: { epoch: e.data.epoch, version: e.data.version, kind: 'applied' },
      } };
    case 'DesiredStateRejected':
      return { ...s, versions: {
        ...s.versions, rejectedVersion: Math.max(s.versions.rejectedVersion, e.data.version),
        lastReport: { epoch: e.data.epoch, version: e.data.version, kind: 'rejected' },
      } };
    case 'LoadBalancerDeleted':
      return { status: 'deleted', lbId: s.lbId, placement: s.placement, versions: s.versions };
    default:
      return s.status === 'live' ? applyToTree(s, e) : s;
  }
};

const applyToTree = (s: Live, e: LoadBalancerEvent): Live => {
  switch (e.type) {
    case 'LoadBalancerSettingsChanged':
      return { ...s, settings: { ...s.settings, ...e.data.changes } };
    case 'ListenerCreated': {
      const { lbId: _l, listenerId, protocol, protocolPort, at: _a, ...settings } = e.data;
      return { ...s, listeners: setMap(s.listeners, listenerId, { protocol, protocolPort, settings }) };
    }
    case 'ListenerSettingsChanged': {
      const l = s.listeners.get(e.data.listenerId);
      if (!l) return s;
      return { ...s, listeners: setMap(s.listeners, e.data.listenerId, { ...l, settings: { ...l.settings, ...e.data.changes } }) };
    }
    case 'ListenerDeleted': {
      const pools = new Map(s.pools);
      for (const [id, p] of pools) if (p.listenerId === e.data.listenerId) pools.set(id, { ...p, listenerId: null });
      return { ...s, listeners: delMap(s.listeners, e.data.listenerId), pools, l7Policies: dropListenerPolicies(s.l7Policies, e.data.listenerId) };
    }
    case 'PoolCreated': {
      const { lbId: _l, poolId, listenerId, protocol, at: _a, ...settings } = e.data;
      const pool: PoolState = { protocol, listenerId, settings, members: new Map(), healthMonitorId: null, memberKeys: new Map() };
      const listener = listenerId ? s.listeners.get(listenerId) : undefined;
      const listeners = listener && listenerId
        ? setMap(s.listeners, listenerId, { ...listener, settings: { ...listener.settings, defaultPoolId: poolId } })
        : s.listeners;
      return { ...s, pools: setMap(s.pools, poolId, pool), listeners };
    }
    case 'PoolSettingsChanged':
      return updatePool(s, e.data.poolId, (p) => ({ ...p, settings: { ...p.settings, ...e.data.changes } }));
    case 'PoolDeleted': {
      const pool = s.pools.get(e.data.poolId);
      const listeners = new Map(s.listeners);
      for (const [id, l] of listeners) {
        if (l.settings.defaultPoolId === e.data.poolId) listeners.set(id, { ...l, settings: { ...l.settings, defaultPoolId: null } });
      }
      const monitors = pool?.healthMonitorId ? delMap(s.monitors, pool.healthMonitorId) : s.monitors;
      return { ...s, pools: delMap(s.pools, e.data.poolId), listeners, monitors };
    }
    case 'MemberCreated': {
      const { lbId: _l, poolId, memberId, address, protocolPort, subnetId: _s, at: _a, ...settings } = e.data;
      const member: MemberState = { address, protocolPort, key: memberKey(address, protocolPort), settings, status: null };
      return updatePool(s, poolId, (p) => ({ ...p, members: setMap(p.members, memberId, member), memberKeys: setMap(p.memberKeys, member.key, memberId) }));
    }
    case 'MemberSettingsChanged':
      return updateMember(s, e.data.poolId, e.data.memberId, (m) => ({ ...m, settings: { ...m.settings, ...e.data.changes } }));
    case 'MemberDeleted':
      return updatePool(s, e.data.poolId, (p) => {
        const key = p.members.get(e.data.memberId)?.key;
        return { ...p, members: delMap(p.members, e.data.memberId), memberKeys: key === undefined ? p.memberKeys : delMap(p.memberKeys, key) };
      });
    case 'MemberOperatingStatusChanged':
      return updateMember(s, e.data.poolId, e.data.memberId, (m) => ({ ...m, status: { epoch: e.data.epoch, value: e.data.status } }));
    case 'HealthMonitorCreated': {
      const { lbId: _l, poolId, healthMonitorId, type, at: _a, ...settings } = e.data;
      const withPool = updatePool(s, poolId, (p) => ({ ...p, healthMonitorId }));
      return { ...withPool, monitors: setMap(s.monitors, healthMonitorId, { poolId, type, settings }) };
    }
    case 'HealthMonitorSettingsChanged': {
      const m = s.monitors.get(e.data.healthMonitorId);
      if (!m) return s;
      return { ...s, monitors: setMap(s.monitors, e.data.healthMonitorId, { ...m, settings: { ...m.settings, ...e.data.changes } }) };
    }
    case 'HealthMonitorDeleted': {
      const m = s.monitors.get(e.data.healthMonitorId);
      const withPool = m ? updatePool(s, m.poolId, (p) => ({ ...p, healthMonitorId: null })) : s;
      return { ...withPool, monitors: delMap(s.monitors, e.data.healthMonitorId) };
    }
    case 'L7PolicyCreated': case 'L7PolicySettingsChanged': case 'L7PolicyDeleted':
    case 'L7RuleCreated': case 'L7RuleSettingsChanged': case 'L7RuleDeleted':
      return { ...s, l7Policies: evolveL7(s.l7Policies, e) };
    default:
      return s;
  }
};

const updatePool = (s: Live, poolId: string, f: (p: PoolState) => PoolState): Live => {
  const p = s.pools.get(poolId);
  return p ? { ...s, pools: setMap(s.pools, poolId, f(p)) } : s;
};
const updateMember = (s: Live, poolId: string, memberId: string, f: (m: MemberState) => MemberState): Live =>
  updatePool(s, poolId, (p) => {
    const m = p.members.get(memberId);
    return m ? { ...p, members: setMap(p.members, memberId, f(m)) } : p;
  });

/** Folds an L7 event into the tree's policy map. */
const evolveL7 = (policies: ReadonlyMap<string, L7PolicyState>, e: L7Event): ReadonlyMap<string, L7PolicyState> => {
  const upd = (id: string, f: (p: L7PolicyState) => L7PolicyState) => {
    const p = policies.get(id);
    return p ? new Map(policies).set(id, f(p)) : policies;
  };
  switch (e.type) {
    case 'L7PolicyCreated': {
      const { lbId: _l, listenerId, l7PolicyId, at: _a, ...settings } = e.data;
      return new Map(policies).set(l7PolicyId, { listenerId, settings, rules: new Map() });
    }
    case 'L7PolicySettingsChanged':
      return upd(e.data.l7PolicyId, (p) => ({ ...p, settings: { ...p.settings, ...e.data.changes } }));
    case 'L7PolicyDeleted':
      return delMap(policies, e.data.l7PolicyId);
    case 'L7RuleCreated': {
      const { lbId: _l, l7PolicyId, l7RuleId, at: _a, ...settings } = e.data;
      return upd(l7PolicyId, (p) => ({ ...p, rules: new Map(p.rules).set(l7RuleId, settings) }));
    }
    case 'L7RuleSettingsChanged':
      return upd(e.data.l7PolicyId, (p) => {
        const r = p.rules.get(e.data.l7RuleId);
        return r ? { ...p, rules: new Map(p.rules).set(e.data.l7RuleId, { ...r, ...e.data.changes }) } : p;
      });
    case 'L7RuleDeleted':
      return upd(e.data.l7PolicyId, (p) => ({ ...p, rules: delMap(p.rules, e.data.l7RuleId) }));
    default:
      return assertNever(e);
  }
};

/** Drops the policies of a deleted listener (Octavia deletes them with it). */
const dropListenerPolicies = (policies: ReadonlyMap<string, L7PolicyState>, listenerId: string): ReadonlyMap<string, L7PolicyState> =>
  new Map([...policies].filter(([, p]) => p.listenerId !== listenerId));

/** Folds one event into the state; the desired version advances by the shared rule. */
export const evolve = (s: LoadBalancer, e: LoadBalancerEvent): LoadBalancer => {
  const next = applyEvent(s, e);
  if (next.status === 'none') return next;
  const version = desiredVersionAfter(next.versions.version, e);
  return version === next.versions.version ? next : { ...next, versions: { ...next.versions, version } };
};

/**
 * Runs `work` as one fold: maps it makes may be changed in place until it returns (see `draft`). Nested runs share the
 * outer one. `work` must not keep a state it produced halfway: only its result leaves.
 */
export const inOneFold = <T>(work: () => T): T => {
  if (draft) return work();
  draft = new WeakSet();
  try {
    return work();
  } finally {
    draft = null;
  }
};

/** Folds the events of one commit (or a whole history): the same as evolve one by one, in linear time. */
export const evolveAll = (s: LoadBalancer, events: readonly LoadBalancerEvent[]): LoadBalancer =>
  inOneFold(() => events.reduce(evolve, s));
