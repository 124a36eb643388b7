import {
  DESIRED_STATE_EVENTS,
  type HealthMonitorSettings, type ListenerProtocol, type ListenerSettings, type LoadBalancerEvent, type LoadBalancerSettings,
  type MemberSettings, type MonitorType, type OperatingStatus, type PoolProtocol, type PoolSettings,
} from '@lbaas/events';
import { dropL7Policy, evolveL7, type L7PolicyView, type L7RuleView } from './l7';

/** Views own their objects and update them in place. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** When a child was created and last changed: timestamps for the API, versions for its provisioning status. */
export type Stamps = { createdAt: string; updatedAt: string | null; createdVersion: number; updatedVersion: number };

export type ListenerView = Mutable<ListenerSettings> & Stamps & { lbId: string; listenerId: string; protocol: ListenerProtocol; protocolPort: number };
export type PoolView = Mutable<PoolSettings> & Stamps & {
  lbId: string; poolId: string; listenerId: string | null; protocol: PoolProtocol; memberIds: string[]; healthMonitorId: string | null;
};
export type MemberView = Mutable<MemberSettings> & Stamps & {
  lbId: string; poolId: string; memberId: string; address: string; protocolPort: number; subnetId: string | null;
  /** The last status the hosting agent reported from haproxy, if any. */
  reportedStatus: OperatingStatus | null;
};
export type HealthMonitorView = Mutable<HealthMonitorSettings> & Stamps & { lbId: string; poolId: string; healthMonitorId: string; type: MonitorType };

/** One load-balancer tree as every app sees it, folded from `lbaas.evt.lb.<lbId>`. */
export type LoadBalancerView = Mutable<LoadBalancerSettings> & Stamps & {
  lbId: string;
  projectId: string;
  vipAddress: string;
  vipSubnetId: string;
  vipNetworkId: string;
  vipPortId: string;
  provider: string;
  listeners: Map<string, ListenerView>;
  pools: Map<string, PoolView>;
  members: Map<string, MemberView>;
  healthMonitors: Map<string, HealthMonitorView>;
  l7Policies: Map<string, L7PolicyView>;
  l7Rules: Map<string, L7RuleView>;
  /** Count of desired-state events so far (the version agents apply; see DESIRED_STATE_EVENTS). */
  version: number;
  /** Highest version the hosting agent reported applied. */
  appliedVersion: number;
  rejected: { version: number; reason: string } | null;
  placement: { agentId: string; epoch: number; at: string } | null;
  placementFailed: string | null;
  /** Set once the load balancer is deleted; it disappears from the API when the teardown is applied. */
  deleted: { version: number; cascade: boolean; at: string } | null;
  /** Stream sequence of the last commit on this load balancer. */
  seq: number;
};

/** Every load-balancer tree, plus reverse indexes from child ids to their load balancer. */
export type LoadBalancersView = {
  lbs: Map<string, LoadBalancerView>;
  /** listener, pool, member and health-monitor id -> lbId (kept while the child exists). */
  owner: Map<string, string>;
};

export const initialLoadBalancers = (): LoadBalancersView => ({ lbs: new Map(), owner: new Map() });

/** True once a deleted load balancer's teardown was applied, or it was deleted before any agent held it. */
export const isGone = (lb: LoadBalancerView): boolean =>
  lb.deleted !== null && (lb.placement === null || lb.appliedVersion >= lb.deleted.version);

/** Drops a load balancer whose teardown is done: nothing is left of it on any host. */
const forget = (view: LoadBalancersView, lb: LoadBalancerView): void => {
  view.lbs.delete(lb.lbId);
  for (const m of [lb.listeners, lb.pools, lb.members, lb.healthMonitors, lb.l7Policies, lb.l7Rules]) for (const id of m.keys()) view.owner.delete(id);
};

const stamp = (lb: LoadBalancerView, at: string): Stamps => ({ createdAt: at, updatedAt: null, createdVersion: lb.version, updatedVersion: lb.version });
const touch = <T extends Stamps>(x: T, lb: LoadBalancerView, at: string): void => {
  x.updatedAt = at;
  x.updatedVersion = lb.version;
};
/** A child's settings changed: apply what changed, stamp the child and its load balancer. */
const changed = (lb: LoadBalancerView, child: Stamps | undefined, changes: object, at: string): void => {
  if (child) { Object.assign(child, clean(changes)); touch(child, lb, at); }
  touch(lb, lb, at);
};
const clean = <T extends object>(changes: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;

/**
 * Folds one load-balancer event into the view. Views are owned by one runner and updated in place for speed
 * (a fleet of 10,000 trees cannot be copied per event); evolve is still deterministic and does no I/O.
 */
export function evolveLoadBalancers(view: LoadBalancersView, event: LoadBalancerEvent, seq: number): LoadBalancersView {
  const d = event.data as { lbId: string };
  if (event.type === 'LoadBalancerCreated') {
    const e = event.data;
    if (view.lbs.has(e.lbId)) return view;
    const lb: LoadBalancerView = {
      lbId: e.lbId, projectId: e.projectId, name: e.name, description: e.description, adminStateUp: e.adminStateUp, tags: [...e.tags],
      vipAddress: e.vipAddress, vipSubnetId: e.vipSubnetId, vipNetworkId: e.vipNetworkId, vipPortId: e.vipPortId, provider: e.provider,
      listeners: new Map(), pools: new Map(), members: new Map(), healthMonitors: new Map(), l7Policies: new Map(), l7Rules: new Map(),
      version: 1, appliedVersion: 0, rejected: null, placement: null, placementFailed: null, deleted: null, seq,
      createdAt: e.at, updatedAt: null, createdVersion: 1, updatedVersion: 1,
    };
    view.lbs.set(e.lbId, lb);
    return view;
  }
  const lb = view.lbs.get(d.lbId);
  if (!lb) return view;
  lb.seq = seq;
  if (DESIRED_STATE_EVENTS.has(event.type)) lb.version += 1;
  switch (event.type) {
    case 'LoadBalancerSettingsChanged':
      Object.assign(lb, clean(event.data.changes));
      touch(lb, lb, event.data.at);
      break;
    case 'LoadBalancerDeleted':
      lb.deleted = { version: lb.version, cascade: event.data.cascade, at: event.data.at };
      if (isGone(lb)) forget(view, lb);
      break;
    case 'LoadBalancerPlaced':
      lb.placement = { agentId: event.data.agentId, epoch: event.data.epoch, at: event.data.at };
      lb.placementFailed = null;
      lb.rejected = null;
      for (const m of lb.members.values()) m.reportedStatus = null;
      break;
    case 'LoadBalancerPlacementFailed':
      lb.placementFailed = event.data.reason;
      break;
    case 'ListenerCreated': {
      const { at, ...rest } = event.data;
      lb.listeners.set(rest.listenerId, { ...rest, tags: [...rest.tags], ...stamp(lb, at) });
      view.owner.set(rest.listenerId, lb.lbId);
      touch(lb, lb, at);
      break;
    }
    case 'ListenerSettingsChanged': {
      changed(lb, lb.listeners.get(event.data.listenerId), event.data.changes, event.data.at);
      break;
    }
    case 'ListenerDeleted':
      lb.listeners.delete(event.data.listenerId);
      view.owner.delete(event.data.listenerId);
      for (const p of lb.pools.values()) if (p.listenerId === event.data.listenerId) p.listenerId = null;
      for (const p of [...lb.l7Policies.values()]) if (p.listenerId === event.data.listenerId) dropL7Policy(view, lb, p.l7PolicyId);
      touch(lb, lb, event.data.at);
      break;
    case 'PoolCreated': {
      const { at, ...rest } = event.data;
      lb.pools.set(rest.poolId, { ...rest, tags: [...rest.tags], memberIds: [], healthMonitorId: null, ...stamp(lb, at) });
      view.owner.set(rest.poolId, lb.lbId);
      if (rest.listenerId) {
        const l = lb.listeners.get(rest.listenerId);
        if (l) l.defaultPoolId = rest.poolId;
      }
      touch(lb, lb, at);
      break;
    }
    case 'PoolSettingsChanged': {
      changed(lb, lb.pools.get(event.data.poolId), event.data.changes, event.data.at);
      break;
    }
    case 'PoolDeleted': {
      const p = lb.pools.get(event.data.poolId);
      if (p) {
        for (const id of p.memberIds) { lb.members.delete(id); view.owner.delete(id); }
        if (p.healthMonitorId) { lb.healthMonitors.delete(p.healthMonitorId); view.owner.delete(p.healthMonitorId); }
        lb.pools.delete(p.poolId);
        view.owner.delete(p.poolId);
        for (const l of lb.listeners.values()) if (l.defaultPoolId === p.poolId) l.defaultPoolId = null;
      }
      touch(lb, lb, event.data.at);
      break;
    }
    case 'MemberCreated': {
      const { at, ...rest } = event.data;
      lb.members.set(rest.memberId, { ...rest, tags: [...rest.tags], reportedStatus: null, ...stamp(lb, at) });
      lb.pools.get(rest.poolId)?.memberIds.push(rest.memberId);
      view.owner.set(rest.memberId, lb.lbId);
      touch(lb, lb, at);
      break;
    }
    case 'MemberSettingsChanged': {
      changed(lb, lb.members.get(event.data.memberId), event.data.changes, event.data.at);
      break;
    }
    case 'MemberDeleted': {
      lb.members.delete(event.data.memberId);
      view.owner.delete(event.data.memberId);
      const p = lb.pools.get(event.data.poolId);
      if (p) p.memberIds = p.memberIds.filter((id) => id !== event.data.memberId);
      touch(lb, lb, event.data.at);
      break;
    }
    case 'HealthMonitorCreated': {
      const { at, ...rest } = event.data;
      lb.healthMonitors.set(rest.healthMonitorId, { ...rest, tags: [...rest.tags], ...stamp(lb, at) });
      const p = lb.pools.get(rest.poolId);
      if (p) p.healthMonitorId = rest.healthMonitorId;
      view.owner.set(rest.healthMonitorId, lb.lbId);
      touch(lb, lb, at);
      break;
    }
    case 'HealthMonitorSettingsChanged': {
      changed(lb, lb.healthMonitors.get(event.data.healthMonitorId), event.data.changes, event.data.at);
      break;
    }
    case 'HealthMonitorDeleted': {
      const h = lb.healthMonitors.get(event.data.healthMonitorId);
      if (h) {
        lb.healthMonitors.delete(h.healthMonitorId);
        view.owner.delete(h.healthMonitorId);
        const p = lb.pools.get(h.poolId);
        if (p) p.healthMonitorId = null;
        for (const m of lb.members.values()) if (m.poolId === h.poolId) m.reportedStatus = null;
      }
      touch(lb, lb, event.data.at);
      break;
    }
    case 'DesiredStateApplied':
      if (lb.placement && event.data.epoch === lb.placement.epoch && event.data.version > lb.appliedVersion) {
        lb.appliedVersion = event.data.version;
        if (lb.rejected && lb.rejected.version <= event.data.version) lb.rejected = null;
        if (isGone(lb)) forget(view, lb);
      }
      break;
    case 'DesiredStateRejected':
      if (lb.placement && event.data.epoch === lb.placement.epoch) lb.rejected = { version: event.data.version, reason: event.data.reason };
      break;
    case 'MemberOperatingStatusChanged': {
      const m = lb.members.get(event.data.memberId);
      if (m && lb.placement && event.data.epoch === lb.placement.epoch) m.reportedStatus = event.data.status;
      break;
    }
    case 'L7PolicyCreated': case 'L7PolicySettingsChanged': case 'L7PolicyDeleted':
    case 'L7RuleCreated': case 'L7RuleSettingsChanged': case 'L7RuleDeleted':
      evolveL7(view, lb, event);
      break;
  }
  return view;
}
