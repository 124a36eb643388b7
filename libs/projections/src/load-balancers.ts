import { desiredVersionAfter, handoverFrom, isTornDown, PLANNED_MOVES, type LoadBalancerEvent, type PlacedPair } from '@lbaas/events';
import { dropL7Policy, evolveL7 } from './l7';
import { clean, stamp, touch, type DeletedChild, type LoadBalancersView, type LoadBalancerView, type Stamps } from './load-balancer-view';

export type {
  DeletedChild, HealthMonitorView, ListenerView, LoadBalancersView, LoadBalancerView, MemberView, PoolView, Stamps,
} from './load-balancer-view';

export const initialLoadBalancers = (): LoadBalancersView => ({ lbs: new Map(), owner: new Map() });

/** True once a deleted load balancer's teardown was applied, or it was deleted before any agent held it. */
export const isGone = (lb: LoadBalancerView): boolean =>
  isTornDown({
    deleted: lb.deleted !== null, placed: lb.placement !== null, version: lb.deleted?.version ?? lb.version, appliedVersion: lb.appliedVersion,
  });

/** Drops a load balancer whose teardown is done: nothing is left of it on any host. */
const forget = (view: LoadBalancersView, lb: LoadBalancerView): void => {
  view.lbs.delete(lb.lbId);
  for (const m of [lb.listeners, lb.pools, lb.members, lb.healthMonitors, lb.l7Policies, lb.l7Rules, lb.deletedChildren]) {
    for (const id of m.keys()) view.owner.delete(id);
  }
};

/** Keeps a deleted child (and its owner entry) until the deletion is applied (DeletedChild). */
const bury = (view: LoadBalancersView, lb: LoadBalancerView, child: Omit<DeletedChild, 'version'> | undefined, id: string): void => {
  if (!child?.view) return;
  lb.deletedChildren.set(id, { ...child, version: lb.version } as DeletedChild);
  view.owner.set(id, lb.lbId);
};

/** Drops the deleted children whose deletion the hosting agent has applied. */
const exhume = (view: LoadBalancersView, lb: LoadBalancerView): void => {
  for (const [id, d] of lb.deletedChildren) {
    if (d.version <= lb.appliedVersion) { lb.deletedChildren.delete(id); view.owner.delete(id); }
  }
};

/** A child's settings changed: apply what changed, stamp the child and its load balancer. */
const changed = (lb: LoadBalancerView, child: Stamps | undefined, changes: object, at: string): void => {
  if (child) { Object.assign(child, clean(changes)); touch(child, lb, at); }
  touch(lb, lb, at);
};

/**
 * Octavia sets `updated_at` when a change is applied (the worker marks the object ACTIVE): every object whose last
 * change lies in the versions an applied report covers, (`from`, `to`], is stamped with the report's time.
 */
const stampApplied = (lb: LoadBalancerView, from: number, to: number, at: string): void => {
  const covered = (x: Stamps) => x.updatedVersion > from && x.updatedVersion <= to;
  for (const x of [lb, ...lb.listeners.values(), ...lb.pools.values(), ...lb.members.values(), ...lb.healthMonitors.values(),
    ...lb.l7Policies.values(), ...lb.l7Rules.values()]) if (covered(x)) x.updatedAt = at;
};

/**
 * The VRRP address a pair's master keeps as its unicast peer while it has no standby: the other side it had last. A
 * keepalived reload that drops its only unicast peer (or adds one to none) resets the instance (VIP dropped, FAULT,
 * re-elected: ~0.4 s without the VIP, measured in test/active-standby.e2e.spec.ts); a dead peer's address costs nothing.
 */
const lastPeerOf = (prev: LoadBalancerView['placement'], pair: PlacedPair): string | null => {
  if (pair.standby) return pair.standby.vrrpAddress;
  const before = prev?.pair;
  const other = [before?.master, before?.standby].find((x) => x && x.amphora !== pair.master.amphora);
  return other?.vrrpAddress ?? prev?.lastPeer ?? null;
};

/**
 * Folds one load-balancer event into the view. Views are owned by one runner and updated in place for speed
 * (a fleet of 10,000 trees cannot be copied per event); evolve is still deterministic and does no I/O.
 */
export function evolveLoadBalancers(view: LoadBalancersView, event: LoadBalancerEvent, seq: number): LoadBalancersView {
  const d = event.data as { lbId: string };
  if (event.type === 'LoadBalancerCreated') {
    const e = event.data;
    if (view.lbs.has(e.lbId)) return view;
    const version = desiredVersionAfter(0, event);
    const lb: LoadBalancerView = {
      lbId: e.lbId, projectId: e.projectId, name: e.name, description: e.description, adminStateUp: e.adminStateUp, tags: [...e.tags],
      vipAddress: e.vipAddress, vipSubnetId: e.vipSubnetId, vipNetworkId: e.vipNetworkId, vipPortId: e.vipPortId, provider: e.provider,
      additionalVips: (e.additionalVips ?? []).map((v) => ({ ...v })), flavor: e.flavor ?? null, availabilityZone: e.availabilityZone ?? null,
      listeners: new Map(), pools: new Map(), members: new Map(), healthMonitors: new Map(), l7Policies: new Map(), l7Rules: new Map(),
      deletedChildren: new Map(), version, appliedVersion: 0, rejected: null, placement: null, placementFailed: null, deleted: null, seq,
      createdAt: e.at, updatedAt: null, createdVersion: version, updatedVersion: version,
    };
    view.lbs.set(e.lbId, lb);
    return view;
  }
  const lb = view.lbs.get(d.lbId);
  if (!lb) return view;
  lb.seq = seq;
  lb.version = desiredVersionAfter(lb.version, event);
  switch (event.type) {
    case 'LoadBalancerSettingsChanged':
      Object.assign(lb, clean(event.data.changes));
      touch(lb, lb, event.data.at);
      break;
    case 'LoadBalancerDeleted':
      lb.deleted = { version: lb.version, cascade: event.data.cascade, at: event.data.at };
      if (isGone(lb)) forget(view, lb);
      break;
    case 'LoadBalancerPlaced': {
      const prev = lb.placement;
      // A planned move hands over from the previous agent (the decider's rule, state.ts); members keep their last
      // known status until the new agent reports (a serving member is never shown OFFLINE because its LB moved).
      const from = handoverFrom(prev, event.data);
      lb.handover = prev && from !== null
        ? { fromAgentId: from, fromEpoch: prev.epoch, toAgentId: event.data.agentId, toEpoch: event.data.epoch, placedAt: event.data.at, preparedAt: null, releasedAt: null, drainedAt: null }
        : null;
      lb.placement = {
        agentId: event.data.agentId, epoch: event.data.epoch, at: event.data.at, version: lb.version, appliedAt: null,
        ...(event.data.pair ? {
          pair: event.data.pair, lastPeer: lastPeerOf(prev, event.data.pair),
          promoted: PLANNED_MOVES.has(event.data.reason) && prev?.pair?.standby?.agentId === event.data.agentId,
        } : {}),
      };
      touch(lb, lb, event.data.at);
      lb.placementFailed = null;
      lb.rejected = null;
      break;
    }
    case 'LoadBalancerHandoverPrepared':
      if (lb.handover && lb.handover.toEpoch === event.data.epoch) lb.handover.preparedAt = event.data.at;
      break;
    case 'LoadBalancerHandoverReleased':
      // A pair's old master releases as the standby of the new placement (the decider's rule, hosting.ts).
      if (lb.handover && (lb.handover.fromEpoch === event.data.epoch || lb.handover.toEpoch === event.data.epoch)) lb.handover.releasedAt = event.data.at;
      break;
    case 'LoadBalancerHandoverDrained':
      // Only a pair's old master drains, as the standby of the current placement (hosting.ts).
      if (lb.handover && lb.handover.toEpoch === event.data.epoch) lb.handover.drainedAt = event.data.at;
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
    case 'ListenerDeleted': {
      const listener = lb.listeners.get(event.data.listenerId);
      lb.listeners.delete(event.data.listenerId);
      view.owner.delete(event.data.listenerId);
      for (const p of lb.pools.values()) if (p.listenerId === event.data.listenerId) p.listenerId = null;
      for (const p of [...lb.l7Policies.values()]) if (p.listenerId === event.data.listenerId) dropL7Policy(view, lb, p.l7PolicyId);
      bury(view, lb, listener && { kind: 'listener', view: listener }, event.data.listenerId);
      touch(lb, lb, event.data.at);
      break;
    }
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
        bury(view, lb, { kind: 'pool', view: p }, p.poolId);
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
      const member = lb.members.get(event.data.memberId);
      lb.members.delete(event.data.memberId);
      view.owner.delete(event.data.memberId);
      const p = lb.pools.get(event.data.poolId);
      // In place: a batch that deletes half of 5,000 members must not copy the list 2,500 times.
      const i = p ? p.memberIds.indexOf(event.data.memberId) : -1;
      if (p && i >= 0) p.memberIds.splice(i, 1);
      bury(view, lb, member && { kind: 'member', view: member }, event.data.memberId);
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
        for (const m of lb.members.values()) if (m.poolId === h.poolId) { m.reportedStatus = null; m.reportedEpoch = undefined; }
        bury(view, lb, { kind: 'healthMonitor', view: h }, h.healthMonitorId);
      }
      touch(lb, lb, event.data.at);
      break;
    }
    case 'DesiredStateApplied':
      // The same version again is news after a rejection of it (the decider's per (epoch, version) rule): ACTIVE again.
      if (lb.placement && event.data.epoch === lb.placement.epoch && event.data.version >= lb.appliedVersion) {
        stampApplied(lb, lb.appliedVersion, event.data.version, event.data.at);
        lb.appliedVersion = event.data.version;
        if (lb.placement.appliedAt === null && event.data.version >= lb.placement.version) lb.placement.appliedAt = event.data.at;
        if (lb.rejected && lb.rejected.version <= event.data.version) lb.rejected = null;
        exhume(view, lb);
        if (isGone(lb)) forget(view, lb);
      }
      break;
    case 'DesiredStateRejected':
      if (lb.placement && event.data.epoch === lb.placement.epoch) lb.rejected = { version: event.data.version, reason: event.data.reason };
      break;
    case 'MemberOperatingStatusChanged': {
      const m = lb.members.get(event.data.memberId);
      if (m && lb.placement && event.data.epoch === lb.placement.epoch) { m.reportedStatus = event.data.status; m.reportedEpoch = event.data.epoch; }
      break;
    }
    case 'L7PolicyCreated': case 'L7PolicySettingsChanged': case 'L7PolicyDeleted':
    case 'L7RuleCreated': case 'L7RuleSettingsChanged': case 'L7RuleDeleted':
      evolveL7(view, lb, event);
      break;
  }
  return view;
}
