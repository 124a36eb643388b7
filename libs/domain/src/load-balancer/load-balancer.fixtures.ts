import {
  desiredVersionAfter,
  type CommandMetadata, type LoadBalancerCommand, type LoadBalancerEvent, type ReportMemberStatus,
} from '@lbaas/events';

/** Builders for load-balancer tests: defaults that pass every rule, and overrides. */
export const LB = '207836d5-f265-47ee-bb75-4bce0651c354';
export const LISTENER = '4afeb72a-7a58-4d74-80b6-29f51aab6091';
export const POOL = '73445ad6-dcc6-4346-9bd6-542e91d79575';
export const MEMBER = '854dd2cd-bcd2-4b84-ac66-322779e47e51';
export const HM = '24c465d2-cf02-411a-ad94-87c4a176d8ac';
export const AGENT = 'agent-a';
export const NOW = '2026-03-01T12:00:00.000Z';
export const metadata: CommandMetadata = { commandId: 'cmd-1', now: NOW };

type Cmd<T extends LoadBalancerCommand['type']> = Extract<LoadBalancerCommand, { type: T }>;
type Evt<T extends LoadBalancerEvent['type']> = Extract<LoadBalancerEvent, { type: T }>;
const cmd = <T extends LoadBalancerCommand['type']>(type: T, data: Cmd<T>['data']): Cmd<T> =>
  ({ type, data, metadata }) as unknown as Cmd<T>;
const evt = <T extends LoadBalancerEvent['type']>(type: T, data: Omit<Evt<T>['data'], 'at'>): Evt<T> =>
  ({ type, v: 1, data: { ...data, at: NOW } }) as unknown as Evt<T>;

const lbData = {
  lbId: LB, projectId: 'e3cd678b11784734bc366148aa37580e', name: 'lb', description: '', adminStateUp: true, tags: [] as string[],
  vipAddress: '198.51.100.10', vipSubnetId: 'subnet-1', vipNetworkId: 'net-1', vipPortId: 'port-1', provider: 'lbaas',
};
const listenerData = {
  lbId: LB, listenerId: LISTENER, protocol: 'HTTP' as const, protocolPort: 80, name: 'web', description: '', adminStateUp: true,
  connectionLimit: -1, defaultPoolId: null as string | null, insertHeaders: {} as Record<string, string>, timeoutClientData: 50000,
  timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0, allowedCidrs: null as string[] | null, tags: [] as string[],
};
const poolData = {
  lbId: LB, poolId: POOL, listenerId: LISTENER as string | null, protocol: 'HTTP' as const, name: 'pool', description: '',
  adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN' as const, sessionPersistence: null, tags: [] as string[],
};
const memberData = {
  lbId: LB, poolId: POOL, memberId: MEMBER, address: '192.0.2.11', protocolPort: 8080, subnetId: null, name: 'm1',
  adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [] as string[],
};
const monitorData = {
  lbId: LB, poolId: POOL, healthMonitorId: HM, type: 'HTTP' as const, name: 'hm', adminStateUp: true, delay: 5, timeout: 3,
  maxRetries: 3, maxRetriesDown: 3, httpMethod: 'GET' as const, urlPath: '/', expectedCodes: '200', httpVersion: null,
  domainName: null, tags: [] as string[],
};

export const createLb = (o: Partial<Cmd<'CreateLoadBalancer'>['data']> = {}) => cmd('CreateLoadBalancer', { ...lbData, ...o });
export const lbCreated = (o: Partial<Cmd<'CreateLoadBalancer'>['data']> = {}) => evt('LoadBalancerCreated', { ...lbData, ...o });
export const updateLb = (changes: Cmd<'UpdateLoadBalancer'>['data']['changes']) => cmd('UpdateLoadBalancer', { lbId: LB, changes });
export const lbSettingsChanged = (changes: Evt<'LoadBalancerSettingsChanged'>['data']['changes']) =>
  evt('LoadBalancerSettingsChanged', { lbId: LB, changes });
export const deleteLb = (cascade = false) => cmd('DeleteLoadBalancer', { lbId: LB, cascade });
export const lbDeleted = (cascade = false) => evt('LoadBalancerDeleted', { lbId: LB, cascade });

export const placeLb = (o: Partial<Cmd<'PlaceLoadBalancer'>['data']> = {}) =>
  cmd('PlaceLoadBalancer', { lbId: LB, agentId: AGENT, expectedEpoch: 0, reason: 'initial', ...o });
export const lbPlaced = (o: Partial<Evt<'LoadBalancerPlaced'>['data']> = {}) =>
  evt('LoadBalancerPlaced', { lbId: LB, agentId: AGENT, epoch: 1, reason: 'initial', ...o });
export const failPlacement = (reason = 'no live agent') => cmd('FailPlacement', { lbId: LB, reason });
export const placementFailed = (reason = 'no live agent') => evt('LoadBalancerPlacementFailed', { lbId: LB, reason });

export const createListener = (o: Partial<Cmd<'CreateListener'>['data']> = {}) => cmd('CreateListener', { ...listenerData, ...o });
export const listenerCreated = (o: Partial<Cmd<'CreateListener'>['data']> = {}) => evt('ListenerCreated', { ...listenerData, ...o });
export const updateListener = (changes: Cmd<'UpdateListener'>['data']['changes'], listenerId = LISTENER) =>
  cmd('UpdateListener', { lbId: LB, listenerId, changes });
export const listenerSettingsChanged = (changes: Cmd<'UpdateListener'>['data']['changes'], listenerId = LISTENER) =>
  evt('ListenerSettingsChanged', { lbId: LB, listenerId, changes });
export const deleteListener = (listenerId = LISTENER) => cmd('DeleteListener', { lbId: LB, listenerId });
export const listenerDeleted = (listenerId = LISTENER) => evt('ListenerDeleted', { lbId: LB, listenerId });

export const createPool = (o: Partial<Cmd<'CreatePool'>['data']> = {}) => cmd('CreatePool', { ...poolData, ...o });
export const poolCreated = (o: Partial<Cmd<'CreatePool'>['data']> = {}) => evt('PoolCreated', { ...poolData, ...o });
export const updatePool = (changes: Cmd<'UpdatePool'>['data']['changes'], poolId = POOL) => cmd('UpdatePool', { lbId: LB, poolId, changes });
export const poolSettingsChanged = (changes: Cmd<'UpdatePool'>['data']['changes'], poolId = POOL) =>
  evt('PoolSettingsChanged', { lbId: LB, poolId, changes });
export const deletePool = (poolId = POOL) => cmd('DeletePool', { lbId: LB, poolId });
export const poolDeleted = (poolId = POOL) => evt('PoolDeleted', { lbId: LB, poolId });

export const createMember = (o: Partial<Cmd<'CreateMember'>['data']> = {}) => cmd('CreateMember', { ...memberData, ...o });
export const memberCreated = (o: Partial<Cmd<'CreateMember'>['data']> = {}) => evt('MemberCreated', { ...memberData, ...o });
export const updateMember = (changes: Cmd<'UpdateMember'>['data']['changes'], memberId = MEMBER) =>
  cmd('UpdateMember', { lbId: LB, poolId: POOL, memberId, changes });
export const memberSettingsChanged = (changes: Cmd<'UpdateMember'>['data']['changes'], memberId = MEMBER) =>
  evt('MemberSettingsChanged', { lbId: LB, poolId: POOL, memberId, changes });
export const deleteMember = (memberId = MEMBER) => cmd('DeleteMember', { lbId: LB, poolId: POOL, memberId });
export const memberDeleted = (memberId = MEMBER) => evt('MemberDeleted', { lbId: LB, poolId: POOL, memberId });

export const createMonitor = (o: Partial<Cmd<'CreateHealthMonitor'>['data']> = {}) => cmd('CreateHealthMonitor', { ...monitorData, ...o });
export const monitorCreated = (o: Partial<Cmd<'CreateHealthMonitor'>['data']> = {}) => evt('HealthMonitorCreated', { ...monitorData, ...o });
export const updateMonitor = (changes: Cmd<'UpdateHealthMonitor'>['data']['changes'], healthMonitorId = HM) =>
  cmd('UpdateHealthMonitor', { lbId: LB, healthMonitorId, changes });
export const monitorSettingsChanged = (changes: Cmd<'UpdateHealthMonitor'>['data']['changes'], healthMonitorId = HM) =>
  evt('HealthMonitorSettingsChanged', { lbId: LB, healthMonitorId, changes });
export const deleteMonitor = (healthMonitorId = HM) => cmd('DeleteHealthMonitor', { lbId: LB, healthMonitorId });
export const monitorDeleted = (healthMonitorId = HM) => evt('HealthMonitorDeleted', { lbId: LB, healthMonitorId });

export const reportApplied = (version: number, o: Partial<Cmd<'ReportApplied'>['data']> = {}) =>
  cmd('ReportApplied', { lbId: LB, agentId: AGENT, epoch: 1, version, ...o });
export const applied = (version: number, o: Partial<Evt<'DesiredStateApplied'>['data']> = {}) =>
  evt('DesiredStateApplied', { lbId: LB, agentId: AGENT, epoch: 1, version, ...o });
export const reportRejected = (version: number, o: Partial<Cmd<'ReportRejected'>['data']> = {}) =>
  cmd('ReportRejected', { lbId: LB, agentId: AGENT, epoch: 1, version, reason: 'haproxy -c failed', ...o });
export const rejected = (version: number, o: Partial<Evt<'DesiredStateRejected'>['data']> = {}) =>
  evt('DesiredStateRejected', { lbId: LB, agentId: AGENT, epoch: 1, version, reason: 'haproxy -c failed', ...o });
/** A member status report: decided on the agent's member report subject (agent-reports.ts), not by the LB decider. */
export const reportMemberStatus = (status: ReportMemberStatus['data']['status'], o: Partial<ReportMemberStatus['data']> = {}): ReportMemberStatus =>
  ({ type: 'ReportMemberStatus', data: { lbId: LB, poolId: POOL, memberId: MEMBER, agentId: AGENT, epoch: 1, status, ...o }, metadata });
export const memberStatusChanged = (status: Evt<'MemberOperatingStatusChanged'>['data']['status'], o: Partial<Evt<'MemberOperatingStatusChanged'>['data']> = {}) =>
  evt('MemberOperatingStatusChanged', { lbId: LB, poolId: POOL, memberId: MEMBER, agentId: AGENT, epoch: 1, status, ...o });

export const reportPrepared = (o: Partial<Cmd<'ReportHandoverPrepared'>['data']> = {}) =>
  cmd('ReportHandoverPrepared', { lbId: LB, agentId: 'agent-b', epoch: 2, ...o });
export const handoverPrepared = (o: Partial<Evt<'LoadBalancerHandoverPrepared'>['data']> = {}) =>
  evt('LoadBalancerHandoverPrepared', { lbId: LB, agentId: 'agent-b', epoch: 2, ...o });
export const reportReleased = (o: Partial<Cmd<'ReportHandoverReleased'>['data']> = {}) =>
  cmd('ReportHandoverReleased', { lbId: LB, agentId: AGENT, epoch: 1, ...o });
export const handoverReleased = (o: Partial<Evt<'LoadBalancerHandoverReleased'>['data']> = {}) =>
  evt('LoadBalancerHandoverReleased', { lbId: LB, agentId: AGENT, epoch: 1, ...o });
export const reportDrained = (o: Partial<Cmd<'ReportHandoverDrained'>['data']> = {}) =>
  cmd('ReportHandoverDrained', { lbId: LB, agentId: AGENT, epoch: 2, ...o });
export const handoverDrained = (o: Partial<Evt<'LoadBalancerHandoverDrained'>['data']> = {}) =>
  evt('LoadBalancerHandoverDrained', { lbId: LB, agentId: AGENT, epoch: 2, ...o });

/** The desired version after these events (the shared rule, desiredVersionAfter). */
export const versionOf = (events: readonly LoadBalancerEvent[]): number => events.reduce(desiredVersionAfter, 0);

/** A history where everything so far is applied by the hosting agent: the tree is ACTIVE (mutable). */
export const settled = (...events: LoadBalancerEvent[]): LoadBalancerEvent[] => [...events, applied(versionOf(events))];

/** An ACTIVE load balancer, placed on AGENT at epoch 1, with these children applied. */
export const active = (...children: LoadBalancerEvent[]): LoadBalancerEvent[] => settled(lbCreated(), lbPlaced(), ...children);

/** Another id, for a second object of any kind. */
export const OTHER = '11111111-2222-4333-8444-555555555555';
/** Octavia's ImmutableObject message for LB (guards.ts). */
export const IMMUTABLE = `Load Balancer ${LB} is immutable and cannot be updated.`;
/** ACTIVE trees with a listener and a pool, plus a member or a monitor. */
export const withPool = () => active(listenerCreated(), poolCreated());
export const withMember = () => active(listenerCreated(), poolCreated(), memberCreated());
export const withMonitor = () => active(listenerCreated(), poolCreated(), monitorCreated());
