import type { Command } from './event';
import type { L7Command } from './l7';
import type {
  AdditionalVip, HealthMonitorSettings, ListenerSettings, LoadBalancerFlavor, LoadBalancerSettings, LoadBalancerZone,
  MemberSettings, PlacedPair, PlacementReason, PoolSettings,
} from './load-balancer';
import type { ListenerProtocol, MonitorType, PoolProtocol, AllocationPool } from './values';

// ---- load-balancer aggregate (`lbaas.evt.lb.<lbId>`) ----
/** Create a load balancer whose VIP was already allocated (step 2 of the create saga). */
export type CreateLoadBalancer = Command<'CreateLoadBalancer', LoadBalancerSettings & {
  lbId: string; projectId: string; vipAddress: string; vipSubnetId: string; vipNetworkId: string; vipPortId: string; provider: string;
  additionalVips?: readonly AdditionalVip[]; flavor?: LoadBalancerFlavor | null; availabilityZone?: LoadBalancerZone | null;
}>;
/** Change settings of a load balancer. */
export type UpdateLoadBalancer = Command<'UpdateLoadBalancer', { lbId: string; changes: Partial<LoadBalancerSettings> }>;
/**
 * How strictly a parent refuses deletion while children exist: `strict` (the default, the seed's and neutron-lbaas's
 * bottom-up rule: health monitor, members, pool, listener, load balancer) or `octavia` (a pool takes its members and
 * monitor with it, a listener its L7 policies). The api passes its DELETE_POLICY.
 */
export type DeletePolicy = 'strict' | 'octavia';

/** Delete a load balancer; without cascade it must have no listeners or pools. */
export type DeleteLoadBalancer = Command<'DeleteLoadBalancer', { lbId: string; cascade: boolean }>;
/** Place (or re-place) a load balancer on an agent; `expectedEpoch` is the epoch the scheduler saw (fencing). */
export type PlaceLoadBalancer = Command<'PlaceLoadBalancer', {
  lbId: string; agentId: string; expectedEpoch: number; reason: PlacementReason;
  /** ACTIVE_STANDBY: both sides (master.agentId = agentId); absent for a SINGLE load balancer. */
  pair?: PlacedPair | null;
}>;
/** Mark a load balancer as not placeable (no live agent within the timeout). */
export type FailPlacement = Command<'FailPlacement', { lbId: string; reason: string }>;
/** Add a listener. */
export type CreateListener = Command<'CreateListener', ListenerSettings & {
  lbId: string; listenerId: string; protocol: ListenerProtocol; protocolPort: number;
}>;
/** Change settings of a listener. */
export type UpdateListener = Command<'UpdateListener', { lbId: string; listenerId: string; changes: Partial<ListenerSettings> }>;
/** Delete a listener. */
export type DeleteListener = Command<'DeleteListener', { lbId: string; listenerId: string; policy?: DeletePolicy }>;
/** Add a pool (to a listener as its default pool, or to the load balancer alone). */
export type CreatePool = Command<'CreatePool', PoolSettings & {
  lbId: string; poolId: string; listenerId: string | null; protocol: PoolProtocol;
}>;
/** Change settings of a pool. */
export type UpdatePool = Command<'UpdatePool', { lbId: string; poolId: string; changes: Partial<PoolSettings> }>;
/** Delete a pool. */
export type DeletePool = Command<'DeletePool', { lbId: string; poolId: string; policy?: DeletePolicy }>;
/** Add a member to a pool. */
export type CreateMember = Command<'CreateMember', MemberSettings & {
  lbId: string; poolId: string; memberId: string; address: string; protocolPort: number; subnetId: string | null;
}>;
/** Change settings of a member. */
export type UpdateMember = Command<'UpdateMember', { lbId: string; poolId: string; memberId: string; changes: Partial<MemberSettings> }>;
/** Delete a member. */
export type DeleteMember = Command<'DeleteMember', { lbId: string; poolId: string; memberId: string }>;
/** Attach a health monitor to a pool. */
export type CreateHealthMonitor = Command<'CreateHealthMonitor', HealthMonitorSettings & {
  lbId: string; poolId: string; healthMonitorId: string; type: MonitorType;
}>;
/** Change settings of a health monitor. */
export type UpdateHealthMonitor = Command<'UpdateHealthMonitor', { lbId: string; healthMonitorId: string; changes: Partial<HealthMonitorSettings> }>;
/** Delete a health monitor. */
export type DeleteHealthMonitor = Command<'DeleteHealthMonitor', { lbId: string; healthMonitorId: string }>;
/** An agent reports that it applied a desired version. */
export type ReportApplied = Command<'ReportApplied', { lbId: string; agentId: string; epoch: number; version: number }>;
/** An agent reports that it could not apply a desired version. */
export type ReportRejected = Command<'ReportRejected', { lbId: string; agentId: string; epoch: number; version: number; reason: string }>;
/** An agent reports a member's operating status (from haproxy's stats), on its own report subject (agent-reports). */
export type ReportMemberStatus = Command<'ReportMemberStatus', {
  lbId: string; poolId: string; memberId: string; agentId: string; epoch: number;
  status: 'ONLINE' | 'OFFLINE' | 'DEGRADED' | 'ERROR' | 'DRAINING' | 'NO_MONITOR';
}>;

/** The new placement's agent of a planned move reports its copy built with the VIP held back. */
export type ReportHandoverPrepared = Command<'ReportHandoverPrepared', { lbId: string; agentId: string; epoch: number }>;
/** The previous placement's agent of a planned move reports that its copy stopped answering ARP for the VIP. */
export type ReportHandoverReleased = Command<'ReportHandoverReleased', { lbId: string; agentId: string; epoch: number }>;
/**
 * The old master of an ACTIVE_STANDBY pair's planned promotion reports that its release ended: its copy carries no
 * connection any more (or its drain timed out, or it is VRRP master again), so the scheduler may replace it.
 */
export type ReportHandoverDrained = Command<'ReportHandoverDrained', { lbId: string; agentId: string; epoch: number }>;

// ---- commands on several objects of the tree at once (one commit each)

/** One child of a graph create, in the order it is built (listeners, then pools, members, monitors). */
export type GraphStep =
  | Readonly<{ type: 'CreateListener'; data: CreateListener['data'] }>
  | Readonly<{ type: 'CreatePool'; data: CreatePool['data'] }>
  | Readonly<{ type: 'CreateMember'; data: CreateMember['data'] }>
  | Readonly<{ type: 'CreateHealthMonitor'; data: CreateHealthMonitor['data'] }>;

/** Octavia's single-call create: a load balancer and its whole tree, decided and stored as one commit. */
export type CreateLoadBalancerGraph = Command<'CreateLoadBalancerGraph', {
  loadBalancer: CreateLoadBalancer['data']; steps: readonly GraphStep[];
}>;

/** One member of a batch update: matched to an existing member by address and port, else created with `memberId`. */
export type BatchMember = Readonly<{
  memberId: string; address: string; protocolPort: number; subnetId: string | null;
  /** Only the attributes the request named (a matched member keeps the others). */
  settings: Partial<MemberSettings>;
}>;

/**
 * Octavia's batch member update (PUT /pools/{id}/members): the pool's members become `members` (matched by address and
 * port); with `additiveOnly` members not named are kept, otherwise they are deleted. One commit.
 */
export type BatchUpdateMembers = Command<'BatchUpdateMembers', {
  lbId: string; poolId: string; additiveOnly: boolean; members: readonly BatchMember[];
}>;

/** Every command the load-balancer decider takes: the single-object ones and the batch ones above. */
export type LoadBalancerCommand =
  | CreateLoadBalancer | UpdateLoadBalancer | DeleteLoadBalancer | PlaceLoadBalancer | FailPlacement
  | CreateListener | UpdateListener | DeleteListener
  | CreatePool | UpdatePool | DeletePool
  | CreateMember | UpdateMember | DeleteMember
  | CreateHealthMonitor | UpdateHealthMonitor | DeleteHealthMonitor
  | ReportApplied | ReportRejected | ReportHandoverPrepared | ReportHandoverReleased | ReportHandoverDrained
  | L7Command
  | CreateLoadBalancerGraph | BatchUpdateMembers;

// ---- agent aggregate (`lbaas.evt.agent.<agentId>`) ----
/** An agent registers itself (idempotent: the same registration again yields nothing). */
export type RegisterAgent = Command<'RegisterAgent', {
  agentId: string; host: string; bridgeMappings: Readonly<Record<string, string>>; leaseMs: number;
  availabilityZone?: string | null; managementAddress?: string | null;
}>;
/** The failover-watcher declares an agent down. */
export type DeclareAgentDown = Command<'DeclareAgentDown', { agentId: string; lastHeartbeatAt: string | null }>;
/** The failover-watcher declares an agent up again. */
export type DeclareAgentUp = Command<'DeclareAgentUp', { agentId: string }>;
/** An operator enables or disables an agent. */
export type SetAgentAdminState = Command<'SetAgentAdminState', { agentId: string; adminStateUp: boolean }>;
/** Every command the agent decider takes. */
export type AgentCommand = RegisterAgent | DeclareAgentDown | DeclareAgentUp | SetAgentAdminState;

// ---- network and subnet aggregates ----
/** Define a network. */
export type CreateNetwork = Command<'CreateNetwork', {
  networkId: string; projectId: string; name: string; physicalNetwork: string; shared: boolean;
  /** The live networks (every project's) the api's view shows on this physical network: a flat one takes it whole. */
  networksOnPhysicalNetwork?: readonly string[];
}>;
/** Remove a network; `subnetCount` is how many live subnets the caller's view shows on it (must be 0). */
export type DeleteNetwork = Command<'DeleteNetwork', { networkId: string; subnetCount: number }>;
/** Every command the network decider takes. */
export type NetworkCommand = CreateNetwork | DeleteNetwork;

/** Define a subnet of a network. */
export type CreateSubnet = Command<'CreateSubnet', {
  subnetId: string; networkId: string; projectId: string; name: string; cidr: string; gatewayIp: string | null;
  allocationPools: readonly AllocationPool[] | null;
  /** Neutron's ip_version as the caller gave it; the cidr must be of that family. Absent: the cidr's. */
  ipVersion?: 4 | 6;
  /** The live subnets (every project's) on the same layer-2 segment (the network's physical network): none may overlap. */
  segmentSubnets?: readonly Readonly<{ subnetId: string; cidr: string }>[];
}>;
/** Remove a subnet (refused while VIPs are allocated on it). */
export type DeleteSubnet = Command<'DeleteSubnet', { subnetId: string }>;
/** Allocate a VIP for a load balancer: the given address if free, else the next free one (idempotent per lbId). */
export type AllocateVip = Command<'AllocateVip', {
  subnetId: string; lbId: string; portId: string; address: string | null;
  /**
   * Addresses in use on the subnet's layer-2 segment that its own allocations do not show: VIPs on the segment's other
   * subnets, other projects' member addresses. A VIP there would be announced (gratuitous ARP) over someone else's.
   */
  taken?: readonly string[];
  /** The caller may request an address outside the allocation pools (an admin, as in Neutron). */
  anyAddress?: boolean;
}>;
/** Return a load balancer's VIP to the pool (idempotent). */
export type ReleaseVip = Command<'ReleaseVip', { subnetId: string; lbId: string; reason: 'deleted' | 'abandoned' }>;
/** Every command the subnet decider takes. */
export type SubnetCommand = CreateSubnet | DeleteSubnet | AllocateVip | ReleaseVip;
