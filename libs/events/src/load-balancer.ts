import type { Event } from './event';
import { L7_EVENT_TYPES, type L7Event } from './l7';
import type {
  AlpnProtocol, ClientAuthentication, HttpMethod, LbAlgorithm, LbTopology, ListenerProtocol, MonitorType, OperatingStatus,
  PoolProtocol, SessionPersistence, TlsVersion,
} from './values';

/** The settable attributes of a load balancer (PUT may change these). */
export type LoadBalancerSettings = Readonly<{ name: string; description: string; adminStateUp: boolean; tags: readonly string[] }>;

/** The attributes of a listener that PUT may change. */
export type ListenerSettings = Readonly<{
  name: string;
  description: string;
  adminStateUp: boolean;
  connectionLimit: number;
  defaultPoolId: string | null;
  insertHeaders: Readonly<Record<string, string>>;
  timeoutClientData: number;
  timeoutMemberConnect: number;
  timeoutMemberData: number;
  timeoutTcpInspect: number;
  allowedCidrs: readonly string[] | null;
  tags: readonly string[];
  /**
   * TERMINATED_HTTPS only: references (`.../v1/secrets/<id>` or `.../v1/containers/<id>`) into the secret store, never
   * the PEM itself. Optional and additive to v1: an event without them means none.
   */
  defaultTlsContainerRef?: string | null;
  sniContainerRefs?: readonly string[];
  /**
   * TERMINATED_HTTPS only, optional and additive to v1 (absent = null): the TLS versions and OpenSSL cipher string the
   * listener accepts and the ALPN protocols it offers (null = the data plane's defaults), HSTS (API 2.27), and client
   * certificate authentication with a CA and an optional CRL (secret references).
   */
  tlsVersions?: readonly TlsVersion[] | null;
  tlsCiphers?: string | null;
  alpnProtocols?: readonly AlpnProtocol[] | null;
  hstsMaxAge?: number | null;
  hstsIncludeSubdomains?: boolean;
  hstsPreload?: boolean;
  clientAuthentication?: ClientAuthentication;
  clientCaTlsContainerRef?: string | null;
  clientCrlContainerRef?: string | null;
}>;

/** The attributes of a pool that PUT may change. */
export type PoolSettings = Readonly<{
  name: string;
  description: string;
  adminStateUp: boolean;
  lbAlgorithm: LbAlgorithm;
  sessionPersistence: SessionPersistence | null;
  tags: readonly string[];
  /**
   * Re-encryption to the members, optional and additive to v1 (absent = off / null): `tlsEnabled` makes the pool speak
   * TLS to its members, with a client certificate (`tlsContainerRef`), a CA to verify them and its CRL (secret
   * references), and the TLS versions, OpenSSL cipher string and ALPN protocols it offers (null = the defaults).
   */
  tlsEnabled?: boolean;
  tlsContainerRef?: string | null;
  caTlsContainerRef?: string | null;
  crlContainerRef?: string | null;
  tlsVersions?: readonly TlsVersion[] | null;
  tlsCiphers?: string | null;
  alpnProtocols?: readonly AlpnProtocol[] | null;
}>;

/** One more VIP of a load balancer, on another subnet (API 2.26), allocated like the first. */
export type AdditionalVip = Readonly<{ subnetId: string; ipAddress: string; portId: string }>;

/**
 * What a load balancer's flavor said when it was created (Octavia copies it then too): the flavor, the topology, and
 * the limits the domain enforces on its tree (null: no limit).
 */
export type LoadBalancerFlavor = Readonly<{
  flavorId: string;
  topology: LbTopology;
  /** At most this many listeners. */
  maxListeners: number | null;
  /** Every listener's connection_limit is at most this (a listener asking for unlimited gets this). */
  maxListenerConnections: number | null;
}>;

/** The availability zone a load balancer was created in, and the agents' zone it may be placed in (from its profile). */
export type LoadBalancerZone = Readonly<{ name: string; agentZone: string }>;

/** The attributes of a member that PUT may change. */
export type MemberSettings = Readonly<{
  name: string;
  adminStateUp: boolean;
  weight: number;
  backup: boolean;
  monitorAddress: string | null;
  monitorPort: number | null;
  tags: readonly string[];
}>;

/** The attributes of a health monitor that PUT may change. */
export type HealthMonitorSettings = Readonly<{
  name: string;
  adminStateUp: boolean;
  delay: number;
  timeout: number;
  maxRetries: number;
  maxRetriesDown: number;
  httpMethod: HttpMethod | null;
  urlPath: string | null;
  expectedCodes: string | null;
  httpVersion: number | null;
  domainName: string | null;
  tags: readonly string[];
}>;

/** A tenant asked for a load balancer; its VIP was allocated on the subnet beforehand. Written by the api. */
export type LoadBalancerCreated = Event<'LoadBalancerCreated', 1, LoadBalancerSettings & {
  lbId: string;
  projectId: string;
  vipAddress: string;
  vipSubnetId: string;
  vipNetworkId: string;
  vipPortId: string;
  provider: string;
  /** Optional and additive to v1 (absent = none / no flavor / no zone). */
  additionalVips?: readonly AdditionalVip[];
  flavor?: LoadBalancerFlavor | null;
  availabilityZone?: LoadBalancerZone | null;
  at: string;
}>;

/** Some settings of a load balancer changed (only the changed ones are carried). Written by the api. */
export type LoadBalancerSettingsChanged = Event<'LoadBalancerSettingsChanged', 1, {
  lbId: string; changes: Partial<LoadBalancerSettings>; at: string;
}>;

/** The load balancer (and, with cascade, its whole tree) is no longer wanted; the agent tears it down. Written by the api. */
export type LoadBalancerDeleted = Event<'LoadBalancerDeleted', 1, { lbId: string; cascade: boolean; at: string }>;

/**
 * One side of an ACTIVE_STANDBY pair (issue 14): the agent and its host, the amphora's ordinal in the LB's life (0 and 1
 * for the first pair, each replacement side the next), and its VRRP address on the VIP's subnet (allocated under the
 * holder key `vrrpHolderKey(lbId, amphora)` through AllocateVip, released when the side is replaced or the LB is gone).
 */
export type PairSide = { agentId: string; host: string; amphora: number; vrrpAddress: string; vrrpPortId: string };

/** Both sides of a pair under one placement epoch: `master.agentId` is the placement's agentId; `standby` null = degraded. */
export type PlacedPair = { master: PairSide; standby: PairSide | null };

/** Why a placement was made: `standby` (issue 14) keeps the master and gives an ACTIVE_STANDBY pair a new standby. */
export type PlacementReason = 'initial' | 'failover' | 'drain' | 'operator' | 'standby';

/**
 * The load balancer was placed on an agent; a higher epoch supersedes every earlier placement (fencing). Written by the
 * scheduler. `pair` (optional and additive to v1; absent = SINGLE) names both sides of an ACTIVE_STANDBY pair, fenced by
 * the same epoch.
 */
export type LoadBalancerPlaced = Event<'LoadBalancerPlaced', 1, {
  lbId: string; agentId: string; epoch: number; reason: PlacementReason; pair?: PlacedPair | null; at: string;
}>;

/** No live agent could host the load balancer within the scheduling timeout; it shows ERROR until placed. Written by the scheduler. */
export type LoadBalancerPlacementFailed = Event<'LoadBalancerPlacementFailed', 1, { lbId: string; reason: string; at: string }>;

/** A listener was added to the load balancer. Written by the api. */
export type ListenerCreated = Event<'ListenerCreated', 1, ListenerSettings & {
  lbId: string; listenerId: string; protocol: ListenerProtocol; protocolPort: number; at: string;
}>;
/** Some settings of a listener changed. Written by the api. */
export type ListenerSettingsChanged = Event<'ListenerSettingsChanged', 1, {
  lbId: string; listenerId: string; changes: Partial<ListenerSettings>; at: string;
}>;
/** A listener was removed. Written by the api. */
export type ListenerDeleted = Event<'ListenerDeleted', 1, { lbId: string; listenerId: string; at: string }>;

/** A pool was added; with a listenerId it becomes that listener's default pool. Written by the api. */
export type PoolCreated = Event<'PoolCreated', 1, PoolSettings & {
  lbId: string; poolId: string; listenerId: string | null; protocol: PoolProtocol; at: string;
}>;
/** Some settings of a pool changed. Written by the api. */
export type PoolSettingsChanged = Event<'PoolSettingsChanged', 1, {
  lbId: string; poolId: string; changes: Partial<PoolSettings>; at: string;
}>;
/** A pool (with its members and monitor) was removed. Written by the api. */
export type PoolDeleted = Event<'PoolDeleted', 1, { lbId: string; poolId: string; at: string }>;

/** A member was added to a pool. Written by the api. */
export type MemberCreated = Event<'MemberCreated', 1, MemberSettings & {
  lbId: string; poolId: string; memberId: string; address: string; protocolPort: number; subnetId: string | null; at: string;
}>;
/** Some settings of a member changed. Written by the api. */
export type MemberSettingsChanged = Event<'MemberSettingsChanged', 1, {
  lbId: string; poolId: string; memberId: string; changes: Partial<MemberSettings>; at: string;
}>;
/** A member was removed from its pool. Written by the api. */
export type MemberDeleted = Event<'MemberDeleted', 1, { lbId: string; poolId: string; memberId: string; at: string }>;

/** A health monitor was attached to a pool (one per pool). Written by the api. */
export type HealthMonitorCreated = Event<'HealthMonitorCreated', 1, HealthMonitorSettings & {
  lbId: string; poolId: string; healthMonitorId: string; type: MonitorType; at: string;
}>;
/** Some settings of a health monitor changed. Written by the api. */
export type HealthMonitorSettingsChanged = Event<'HealthMonitorSettingsChanged', 1, {
  lbId: string; healthMonitorId: string; changes: Partial<HealthMonitorSettings>; at: string;
}>;
/** A health monitor was removed. Written by the api. */
export type HealthMonitorDeleted = Event<'HealthMonitorDeleted', 1, { lbId: string; healthMonitorId: string; at: string }>;

/**
 * The hosting agent made the data plane match desired version `version` (the count of desired-state events in
 * the LB's history, see DESIRED_STATE_EVENTS). Reported by the agent that the placement with `epoch` names, on its own
 * report subject; the scheduler relays it into the LB's history.
 */
export type DesiredStateApplied = Event<'DesiredStateApplied', 1, { lbId: string; agentId: string; epoch: number; version: number; at: string }>;

/**
 * The hosting agent could not apply desired version `version` (haproxy -c refused it, plumbing failed for good). Reported
 * by the agent on its report subject; the scheduler relays it into the LB's history.
 */
export type DesiredStateRejected = Event<'DesiredStateRejected', 1, {
  lbId: string; agentId: string; epoch: number; version: number; reason: string; at: string;
}>;

/**
 * haproxy's health checks moved a member to another operating status (UP→ONLINE, DOWN→ERROR, ...). Written by the hosting
 * agent on its member report subject (latest value; older histories hold it on the LB's subject).
 */
export type MemberOperatingStatusChanged = Event<'MemberOperatingStatusChanged', 1, {
  lbId: string; poolId: string; memberId: string; agentId: string; epoch: number; status: OperatingStatus; at: string;
}>;

/**
 * A planned move (placement reason `operator` or `drain`): the new placement's agent has built its copy and holds the VIP
 * back (answers no ARP for it), so the previous agent may let go. Reported by the agent of placement `epoch` on its report
 * subject; relayed into the LB's history by the scheduler.
 */
export type LoadBalancerHandoverPrepared = Event<'LoadBalancerHandoverPrepared', 1, { lbId: string; agentId: string; epoch: number; at: string }>;

/**
 * A planned move: the previous placement's copy stopped answering ARP for the VIP (it still serves its open connections
 * while they drain), so the new copy may announce the VIP. Reported by the agent of the previous placement, `epoch`, on its
 * report subject; relayed into the LB's history by the scheduler.
 */
export type LoadBalancerHandoverReleased = Event<'LoadBalancerHandoverReleased', 1, { lbId: string; agentId: string; epoch: number; at: string }>;

/**
 * An ACTIVE_STANDBY pair's planned promotion: the old master (now the standby) ended its release, once its copy carried no
 * connection any more (or its drain timeout passed, or it became VRRP master again), so the scheduler may replace it by
 * a new standby. Reported by the old master's agent, at the current `epoch`, on its report subject; relayed into the LB's
 * history by the scheduler.
 */
export type LoadBalancerHandoverDrained = Event<'LoadBalancerHandoverDrained', 1, { lbId: string; agentId: string; epoch: number; at: string }>;

/** Every event of the load-balancer aggregate (`lbaas.evt.lb.<lbId>`). */
export type LoadBalancerEvent =
  | LoadBalancerCreated | LoadBalancerSettingsChanged | LoadBalancerDeleted
  | LoadBalancerPlaced | LoadBalancerPlacementFailed | LoadBalancerHandoverPrepared | LoadBalancerHandoverReleased | LoadBalancerHandoverDrained
  | ListenerCreated | ListenerSettingsChanged | ListenerDeleted
  | PoolCreated | PoolSettingsChanged | PoolDeleted
  | MemberCreated | MemberSettingsChanged | MemberDeleted
  | HealthMonitorCreated | HealthMonitorSettingsChanged | HealthMonitorDeleted
  | DesiredStateApplied | DesiredStateRejected | MemberOperatingStatusChanged
  | L7Event;

/** The event types that change what the data plane must run (they advance an LB's desired version). */
export const DESIRED_STATE_EVENTS: ReadonlySet<LoadBalancerEvent['type']> = new Set<LoadBalancerEvent['type']>([
  'LoadBalancerCreated', 'LoadBalancerSettingsChanged', 'LoadBalancerDeleted', 'LoadBalancerPlaced',
  'ListenerCreated', 'ListenerSettingsChanged', 'ListenerDeleted',
  'PoolCreated', 'PoolSettingsChanged', 'PoolDeleted',
  'MemberCreated', 'MemberSettingsChanged', 'MemberDeleted',
  'HealthMonitorCreated', 'HealthMonitorSettingsChanged', 'HealthMonitorDeleted',
  ...L7_EVENT_TYPES,
]);

/** The placement reasons that are planned moves: the old copy hands over to the new one (make before break). */
export const PLANNED_MOVES: ReadonlySet<LoadBalancerPlaced['data']['reason']> = new Set(['operator', 'drain'] as const);

/**
 * Whether a placement hands over from the previous one (the SINGLE copy's planned move, or an ACTIVE_STANDBY pair's
 * planned promotion: the previous standby made master while the previous master stays on as its standby), and from
 * which agent.
 * The hand-over is the same three steps either way: the new side prepared (VIP held back), the old side released
 * (ARP held back, still serving what reaches it), the new side announced.
 */
export const handoverFrom = (
  prev: Readonly<{ agentId: string | null; pair?: PlacedPair | null }> | null | undefined,
  placed: Readonly<{ agentId: string; reason: LoadBalancerPlaced['data']['reason']; pair?: PlacedPair | null }>,
): string | null => {
  if (!prev || prev.agentId === null || prev.agentId === placed.agentId || !PLANNED_MOVES.has(placed.reason)) return null;
  if (!placed.pair) return prev.agentId;
  return prev.pair?.standby?.agentId === placed.agentId && placed.pair.standby?.agentId === prev.agentId ? prev.agentId : null;
};

/** The events of a planned move's hand-over: they change what the two agents do, not the desired version. */
export const HANDOVER_EVENTS: ReadonlySet<LoadBalancerEvent['type']> = new Set<LoadBalancerEvent['type']>([
  'LoadBalancerHandoverPrepared', 'LoadBalancerHandoverReleased', 'LoadBalancerHandoverDrained',
]);

/**
 * An LB's desired version after `event`: one more for each event whose type is in DESIRED_STATE_EVENTS (the rule the
 * decider, the scheduler, the views and the agents share; LoadBalancerCreated makes it 1).
 */
export const desiredVersionAfter = (version: number, event: Readonly<{ type: LoadBalancerEvent['type'] }>): number =>
  DESIRED_STATE_EVENTS.has(event.type) ? version + 1 : version;

/** What decides whether a load balancer is torn down, as each reader tracks it. */
export type TeardownFacts = Readonly<{
  deleted: boolean;
  /** Some agent was ever told to host it (epoch > 0). */
  placed: boolean;
  /** The desired version its teardown must reach. */
  version: number;
  /** The highest version its hosting agent reported applied. */
  appliedVersion: number;
}>;

/** A deleted load balancer is torn down once its agent applied the teardown, or at once if no agent ever held it. */
export const isTornDown = (f: TeardownFacts): boolean => f.deleted && (!f.placed || f.appliedVersion >= f.version);

/**
 * The holder key of an ACTIVE_STANDBY side's VRRP address on the VIP's subnet (the `lbId` field of AllocateVip,
 * VipAllocated, ReleaseVip, VipReleased): `<lbId>_vrrp<amphora>`, an id like any (1..64 of A-Z a-z 0-9 _ -). The LB's
 * own VIP is held under its bare id.
 */
export const vrrpHolderKey = (lbId: string, amphora: number): string => `${lbId}_vrrp${amphora}`;

/** The LB and amphora ordinal of a VRRP holder key, or null for any other holder (a VIP: the bare LB id). */
export const parseVrrpHolderKey = (key: string): { lbId: string; amphora: number } | null => {
  const m = /^(.+)_vrrp(\d{1,6})$/.exec(key);
  return m ? { lbId: m[1], amphora: Number(m[2]) } : null;
};
