import type {
  AdditionalVip, HealthMonitorSettings, L7PolicySettings, L7RuleSettings, ListenerProtocol, ListenerSettings, LoadBalancerCreated,
  LoadBalancerFlavor, LoadBalancerZone, MemberSettings, MonitorType, OperatingStatus, PlacedPair, PoolProtocol, PoolSettings,
} from '@lbaas/events';

/** Views own their objects and update them in place. */
export type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * When a child was created and last changed: timestamps for the API, versions for its provisioning status.
 * `updatedAt` is Octavia's: set by a change, then again when the agent applied the version holding it (null until a
 * new object was first applied).
 */
export type Stamps = { createdAt: string; updatedAt: string | null; createdVersion: number; updatedVersion: number };

export type ListenerView = Mutable<ListenerSettings> & Stamps & { lbId: string; listenerId: string; protocol: ListenerProtocol; protocolPort: number };
export type PoolView = Mutable<PoolSettings> & Stamps & {
  lbId: string; poolId: string; listenerId: string | null; protocol: PoolProtocol; memberIds: string[]; healthMonitorId: string | null;
};
export type MemberView = Mutable<MemberSettings> & Stamps & {
  lbId: string; poolId: string; memberId: string; address: string; protocolPort: number; subnetId: string | null;
  /**
   * The last status a hosting agent reported from haproxy, if any, and the placement epoch it came from: a new placement
   * keeps the last known status until its own agent reports (the decider accepts that first report even when equal).
   */
  reportedStatus: OperatingStatus | null;
  reportedEpoch?: number;
};
export type HealthMonitorView = Mutable<HealthMonitorSettings> & Stamps & { lbId: string; poolId: string; healthMonitorId: string; type: MonitorType };

/** An L7 policy as every app sees it; `position` is its 1-based place in its listener's ordered list (kept dense). */
export type L7PolicyView = Mutable<L7PolicySettings> & Stamps & { lbId: string; listenerId: string; l7PolicyId: string; ruleIds: string[] };
/** An L7 rule. */
export type L7RuleView = Mutable<L7RuleSettings> & Stamps & { lbId: string; l7PolicyId: string; l7RuleId: string };

/**
 * A child deleted from its tree, kept until the hosting agent reported the deletion applied: Octavia shows it in
 * PENDING_DELETE until then (`openstack ... delete --wait` polls it until 404). Every api replica folds the same
 * history, so each shows the same thing. `version` is the tree's desired version that no longer has the child.
 */
export type DeletedChild =
  | { kind: 'listener'; version: number; view: ListenerView }
  | { kind: 'pool'; version: number; view: PoolView }
  | { kind: 'member'; version: number; view: MemberView }
  | { kind: 'healthMonitor'; version: number; view: HealthMonitorView };

/** One load-balancer tree as every app sees it, folded from `lbaas.evt.lb.<lbId>`. */
export type LoadBalancerView = Mutable<Omit<LoadBalancerCreated['data'], 'at' | 'additionalVips' | 'flavor' | 'availabilityZone'>> & Stamps & {
  /** As created (none / null when the event has none). */
  additionalVips: AdditionalVip[];
  flavor: LoadBalancerFlavor | null;
  availabilityZone: LoadBalancerZone | null;
  listeners: Map<string, ListenerView>;
  pools: Map<string, PoolView>;
  members: Map<string, MemberView>;
  healthMonitors: Map<string, HealthMonitorView>;
  l7Policies: Map<string, L7PolicyView>;
  l7Rules: Map<string, L7RuleView>;
  /** Children deleted (listener, pool, member, health monitor) whose deletion is not applied yet, by id. */
  deletedChildren: Map<string, DeletedChild>;
  /** The desired version (the version agents apply; `desiredVersionAfter` counts it). */
  version: number;
  /** Highest version the hosting agent reported applied. */
  appliedVersion: number;
  rejected: { version: number; reason: string } | null;
  /**
   * The latest placement: `version` is the desired version it made (the new host has built the tree once it applied
   * that), `appliedAt` when its agent first applied it (null: still building).
   */
  placement: {
    agentId: string; epoch: number; at: string; version: number; appliedAt: string | null;
    /** ACTIVE_STANDBY: both sides under this epoch (issue 14); absent or null for SINGLE. */
    pair?: PlacedPair | null;
    /** ACTIVE_STANDBY: the VRRP address of the last side the master had beside it (kept while it has none). */
    lastPeer?: string | null;
    /** ACTIVE_STANDBY: a planned move (operator failover, drain) made the previous standby the master: it preempts. */
    promoted?: boolean;
  } | null;
  /** A planned move (operator failover, drain) from the previous placement to this one, while it is the latest. */
  handover?: LoadBalancerHandover | null;
  placementFailed: string | null;
  /** Set once the load balancer is deleted; it disappears from the API when the teardown is applied. */
  deleted: { version: number; cascade: boolean; at: string } | null;
  /** Stream sequence of the last commit on this load balancer. */
  seq: number;
};

/**
 * A planned move: the previous agent keeps its copy until the new one is prepared (VIP held back), then stops answering
 * ARP (released) and drains its connections; the new one announces the VIP once released.
 */
export type LoadBalancerHandover = {
  fromAgentId: string; fromEpoch: number; toAgentId: string; toEpoch: number; placedAt: string;
  preparedAt: string | null; releasedAt: string | null;
  /** A pair's old master ended its release (it drained): LoadBalancerHandoverDrained's time (absent: not yet). */
  drainedAt?: string | null;
};

/** Every load-balancer tree, plus reverse indexes from child ids to their load balancer. */
export type LoadBalancersView = {
  lbs: Map<string, LoadBalancerView>;
  /** listener, pool, member and health-monitor id -> lbId (kept while the child exists, or is a deleted child). */
  owner: Map<string, string>;
};

/** The stamps of a child created now. */
export const stamp = (lb: LoadBalancerView, at: string): Stamps => ({ createdAt: at, updatedAt: null, createdVersion: lb.version, updatedVersion: lb.version });
/** Marks a child (or the load balancer itself) as changed now. */
export const touch = (x: Stamps, lb: LoadBalancerView, at: string): void => {
  x.updatedAt = at;
  x.updatedVersion = lb.version;
};
/** The changes without their undefined values (an absent change is no change). */
export const clean = <T extends object>(changes: Partial<T>): Partial<T> =>
  Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)) as Partial<T>;
