import {
  DESIRED_STATE_EVENTS,
  type CreateHealthMonitor, type CreateListener, type CreateLoadBalancer, type CreateMember, type CreatePool,
  type Decider, type DeleteHealthMonitor, type DeleteListener, type DeleteLoadBalancer, type DeleteMember, type DeletePool,
  type FailPlacement, type HealthMonitorSettings, type ListenerProtocol, type ListenerSettings, type LoadBalancerCommand,
  type LoadBalancerEvent, type LoadBalancerSettings, type MemberSettings, type MonitorType, type OperatingStatus,
  type PlaceLoadBalancer, type PoolProtocol, type PoolSettings, type ReportApplied, type ReportMemberStatus,
  type ReportRejected, type UpdateHealthMonitor, type UpdateListener, type UpdateLoadBalancer, type UpdateMember,
  type UpdatePool, HTTP_METHODS, LB_ALGORITHMS, PERSISTENCE_TYPES,
} from '@lbaas/events';
import { assertNever, DomainError } from './domain-error';
import {
  checkBool, checkInt, checkOneOf, checkPort, checkTags, checkText, COOKIE_NAME, effectiveChanges, invalidField,
  isEmpty, isExpectedCodes, isHostname, URL_PATH, validationFailure,
} from './field-rules';
import { isIpCidr, parseIpAddress } from './ip-address';
import { checkTlsSettings } from './tls-rules';
import { decideL7, dropListenerPolicies, evolveL7, policyUsingPool, type L7PolicyState } from './l7';
import {
  checkListenerPoolProtocols, checkListenerProtocol, checkMonitorType, checkPoolProtocol,
} from './protocol-rules';

// ---------------------------------------------------------------- state

/** A listener as decide sees it. */
export type ListenerState = Readonly<{ protocol: ListenerProtocol; protocolPort: number; settings: ListenerSettings }>;
/** A member as decide sees it; `key` is its canonical address and port (duplicate detection). */
export type MemberState = Readonly<{
  address: string; protocolPort: number; key: string; settings: MemberSettings; status: OperatingStatus | null;
}>;
/** A pool as decide sees it. */
export type PoolState = Readonly<{
  protocol: PoolProtocol; listenerId: string | null; settings: PoolSettings;
  members: ReadonlyMap<string, MemberState>; healthMonitorId: string | null;
}>;
/** A health monitor as decide sees it. */
export type MonitorState = Readonly<{ poolId: string; type: MonitorType; settings: HealthMonitorSettings }>;
/** Where the tree runs: `epoch` 0 = never placed; `failedReason` set while unplaced after a failed placement. */
export type Placement = Readonly<{ agentId: string | null; epoch: number; failedReason: string | null }>;
/**
 * The version rule shared with views and agents: `version` counts this LB's events whose type is in
 * DESIRED_STATE_EVENTS; `appliedVersion`/`rejectedVersion` are the highest versions agents reported.
 */
export type Versions = Readonly<{ version: number; appliedVersion: number; rejectedVersion: number }>;

/** The load-balancer aggregate's state: only what decide reads. */
export type LoadBalancer =
  | Readonly<{ status: 'none' }>
  | Readonly<{
    status: 'live'; lbId: string; settings: LoadBalancerSettings;
    listeners: ReadonlyMap<string, ListenerState>; pools: ReadonlyMap<string, PoolState>;
    monitors: ReadonlyMap<string, MonitorState>; placement: Placement; versions: Versions;
    l7Policies: ReadonlyMap<string, L7PolicyState>;
  }>
  | Readonly<{ status: 'deleted'; lbId: string; placement: Placement; versions: Versions }>;

type Live = Extract<LoadBalancer, { status: 'live' }>;
type Deleted = Extract<LoadBalancer, { status: 'deleted' }>;

export const initialState = (): LoadBalancer => ({ status: 'none' });

/** PENDING_*: a desired version newer than the applied one, not rejected, and not waiting after a failed placement. */
export const isPending = (s: Live | Deleted): boolean => {
  const { version, appliedVersion, rejectedVersion } = s.versions;
  const placementFailed = s.placement.agentId === null && s.placement.failedReason !== null;
  return version > appliedVersion && rejectedVersion !== version && !placementFailed;
};

/** True once the agent reported the teardown of a deleted LB applied (or the LB was never placed: nothing to tear down). */
export const isTornDown = (s: Deleted): boolean => s.placement.epoch === 0 || s.versions.appliedVersion >= s.versions.version;

// ---------------------------------------------------------------- evolve

const setMap = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => new Map(m).set(k, v);
const delMap = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  const next = new Map(m);
  next.delete(k);
  return next;
};
const memberKey = (address: string, port: number): string => `${parseIpAddress(address)?.canonical ?? address}|${port}`;

const applyEvent = (s: LoadBalancer, e: LoadBalancerEvent): LoadBalancer => {
  if (e.type === 'LoadBalancerCreated') {
    const { name, description, adminStateUp, tags } = e.data;
    return {
      status: 'live', lbId: e.data.lbId, settings: { name, description, adminStateUp, tags },
      listeners: new Map(), pools: new Map(), monitors: new Map(), l7Policies: new Map(),
      placement: { agentId: null, epoch: 0, failedReason: null },
      versions: { version: 0, appliedVersion: 0, rejectedVersion: 0 },
    };
  }
  if (s.status === 'none') return s;
  switch (e.type) {
    case 'LoadBalancerPlaced':
      return { ...s, placement: { agentId: e.data.agentId, epoch: e.data.epoch, failedReason: null } };
    case 'LoadBalancerPlacementFailed':
      return { ...s, placement: { ...s.placement, failedReason: e.data.reason } };
    case 'DesiredStateApplied':
      return { ...s, versions: { ...s.versions, appliedVersion: Math.max(s.versions.appliedVersion, e.data.version) } };
    case 'DesiredStateRejected':
      return { ...s, versions: { ...s.versions, rejectedVersion: Math.max(s.versions.rejectedVersion, e.data.version) } };
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
      const pool: PoolState = { protocol, listenerId, settings, members: new Map(), healthMonitorId: null };
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
      return updatePool(s, poolId, (p) => ({ ...p, members: setMap(p.members, memberId, member) }));
    }
    case 'MemberSettingsChanged':
      return updateMember(s, e.data.poolId, e.data.memberId, (m) => ({ ...m, settings: { ...m.settings, ...e.data.changes } }));
    case 'MemberDeleted':
      return updatePool(s, e.data.poolId, (p) => ({ ...p, members: delMap(p.members, e.data.memberId) }));
    case 'MemberOperatingStatusChanged':
      return updateMember(s, e.data.poolId, e.data.memberId, (m) => ({ ...m, status: e.data.status }));
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

export const evolve = (s: LoadBalancer, e: LoadBalancerEvent): LoadBalancer => {
  const next = applyEvent(s, e);
  if (next.status === 'none' || !DESIRED_STATE_EVENTS.has(e.type)) return next;
  return { ...next, versions: { ...next.versions, version: next.versions.version + 1 } };
};

// ---------------------------------------------------------------- decide

export const decide = (c: LoadBalancerCommand, s: LoadBalancer): LoadBalancerEvent[] => {
  switch (c.type) {
    case 'CreateLoadBalancer': return createLoadBalancer(c, s);
    case 'UpdateLoadBalancer': return updateLoadBalancer(c, s);
    case 'DeleteLoadBalancer': return deleteLoadBalancer(c, s);
    case 'PlaceLoadBalancer': return placeLoadBalancer(c, s);
    case 'FailPlacement': return failPlacement(c, s);
    case 'CreateListener': return createListener(c, s);
    case 'UpdateListener': return updateListener(c, s);
    case 'DeleteListener': return deleteListener(c, s);
    case 'CreatePool': return createPool(c, s);
    case 'UpdatePool': return updatePoolCommand(c, s);
    case 'DeletePool': return deletePool(c, s);
    case 'CreateMember': return createMember(c, s);
    case 'UpdateMember': return updateMemberCommand(c, s);
    case 'DeleteMember': return deleteMember(c, s);
    case 'CreateHealthMonitor': return createHealthMonitor(c, s);
    case 'UpdateHealthMonitor': return updateHealthMonitor(c, s);
    case 'DeleteHealthMonitor': return deleteHealthMonitor(c, s);
    case 'ReportApplied': return reportApplied(c, s);
    case 'ReportRejected': return reportRejected(c, s);
    case 'ReportMemberStatus': return reportMemberStatus(c, s);
    case 'CreateL7Policy': case 'UpdateL7Policy': case 'DeleteL7Policy':
    case 'CreateL7Rule': case 'UpdateL7Rule': case 'DeleteL7Rule': {
      const lb = live(s, c.data.lbId);
      return decideL7(c, lb, () => assertMutable(lb));
    }
    default: return assertNever(c);
  }
};

const notFound = (resource: string, id: string): DomainError => new DomainError('NotFound', `${resource} ${id} not found.`);

const live = (s: LoadBalancer, lbId: string): Live => {
  if (s.status !== 'live') throw notFound('Load Balancer', lbId);
  return s;
};

/** Octavia's ImmutableObject: the tree is PENDING_*, so no child (or the LB) may change until the agent catches up. */
const assertMutable = (s: Live): void => {
  if (isPending(s)) throw new DomainError('IllegalState', `Load Balancer ${s.lbId} is immutable and cannot be updated.`);
};

/** Octavia's LBPendingStateError, which PUT and DELETE of the LB itself answer while it is PENDING_*. */
const assertNotPendingForLbChange = (s: Live): void => {
  if (!isPending(s)) return;
  const state = s.versions.appliedVersion > 0 ? 'PENDING_UPDATE' : 'PENDING_CREATE';
  throw new DomainError('IllegalState', `Invalid state ${state} of loadbalancer resource ${s.lbId}`);
};

const listenerOf = (s: Live, id: string): ListenerState => {
  const l = s.listeners.get(id);
  if (!l) throw notFound('Listener', id);
  return l;
};
const poolOf = (s: Live, id: string): PoolState => {
  const p = s.pools.get(id);
  if (!p) throw notFound('Pool', id);
  return p;
};
const memberOf = (p: PoolState, id: string): MemberState => {
  const m = p.members.get(id);
  if (!m) throw notFound('Member', id);
  return m;
};
const monitorOf = (s: Live, id: string): MonitorState => {
  const m = s.monitors.get(id);
  if (!m) throw notFound('Health Monitor', id);
  return m;
};

// ---- load balancer

const checkLoadBalancerSettings = (x: LoadBalancerSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
};

const createLoadBalancer = ({ data, metadata }: CreateLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status === 'live') return []; // the same request, retried
  if (s.status === 'deleted') throw new DomainError('IllegalState', 'Already an entity with that specified id.');
  checkLoadBalancerSettings(data);
  if (!parseIpAddress(data.vipAddress)) throw invalidField('vip_address', data.vipAddress, 'Value should be IPv4 or IPv6 format');
  return [{ type: 'LoadBalancerCreated', v: 1, data: { ...data, at: metadata.now } }];
};

const updateLoadBalancer = ({ data, metadata }: UpdateLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const changes = effectiveChanges(lb.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertNotPendingForLbChange(lb);
  checkLoadBalancerSettings({ ...lb.settings, ...changes });
  return [{ type: 'LoadBalancerSettingsChanged', v: 1, data: { lbId: data.lbId, changes, at: metadata.now } }];
};

const deleteLoadBalancer = ({ data, metadata }: DeleteLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  assertNotPendingForLbChange(lb);
  if (!data.cascade && (lb.listeners.size > 0 || lb.pools.size > 0)) {
    throw validationFailure(`Cannot delete Load Balancer ${data.lbId} - it has children`);
  }
  return [{ type: 'LoadBalancerDeleted', v: 1, data: { lbId: data.lbId, cascade: data.cascade, at: metadata.now } }];
};

// ---- placement

/** The LB exists for placement: live, or deleted with a teardown some agent still has to apply. */
const placeable = (s: LoadBalancer, lbId: string): Live | Deleted => {
  if (s.status === 'live') return s;
  if (s.status === 'deleted' && !isTornDown(s)) return s;
  throw notFound('Load Balancer', lbId);
};

const placeLoadBalancer = ({ data, metadata }: PlaceLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = placeable(s, data.lbId);
  const { epoch, agentId } = lb.placement;
  if (data.expectedEpoch === epoch - 1 && data.agentId === agentId) return []; // this placement already happened
  if (data.expectedEpoch !== epoch) {
    throw new DomainError('Conflict', `Load Balancer ${data.lbId} is at placement epoch ${epoch}, not ${data.expectedEpoch}`);
  }
  return [{
    type: 'LoadBalancerPlaced', v: 1,
    data: { lbId: data.lbId, agentId: data.agentId, epoch: epoch + 1, reason: data.reason, at: metadata.now },
  }];
};

const failPlacement = ({ data, metadata }: FailPlacement, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.placement.agentId !== null) {
    throw new DomainError('IllegalState', `Load Balancer ${data.lbId} is already placed on agent ${lb.placement.agentId}`);
  }
  if (lb.placement.failedReason === data.reason) return [];
  return [{ type: 'LoadBalancerPlacementFailed', v: 1, data: { lbId: data.lbId, reason: data.reason, at: metadata.now } }];
};

// ---- listeners

const INSERT_HEADERS = ['X-Forwarded-For', 'X-Forwarded-Port', 'X-Forwarded-Proto'];
const MAX_TIMEOUT = 2073600000;

const checkListenerSettings = (protocol: ListenerProtocol, x: ListenerSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  if (!Number.isInteger(x.connectionLimit) || x.connectionLimit === 0 || x.connectionLimit < -1) {
    throw invalidField('connection_limit', x.connectionLimit, 'Value should be -1 (unlimited) or greater than 0');
  }
  checkInt('timeout_client_data', x.timeoutClientData, 0, MAX_TIMEOUT);
  checkInt('timeout_member_connect', x.timeoutMemberConnect, 0, MAX_TIMEOUT);
  checkInt('timeout_member_data', x.timeoutMemberData, 0, MAX_TIMEOUT);
  checkInt('timeout_tcp_inspect', x.timeoutTcpInspect, 0, MAX_TIMEOUT);
  const headers = Object.keys(x.insertHeaders ?? {});
  if (headers.length > 0 && protocol !== 'HTTP' && protocol !== 'TERMINATED_HTTPS') {
    throw validationFailure(`The following headers are not supported for the ${protocol} protocol: ${headers.join(', ')}.`);
  }
  for (const header of headers) {
    if (!INSERT_HEADERS.includes(header)) throw new DomainError('Invalid', `${header} is not a valid option for insert_headers`);
    const value = x.insertHeaders[header];
    if (value !== 'true' && value !== 'false') {
      throw new DomainError('Invalid', `${String(value)} is not a valid option for insert_headers ${header}`);
    }
  }
  for (const cidr of x.allowedCidrs ?? []) {
    if (!isIpCidr(cidr)) throw invalidField('allowed_cidrs', cidr, 'Value should be a valid CIDR');
  }
  checkTlsSettings(protocol, x);
};

const checkDefaultPool = (s: Live, protocol: ListenerProtocol, poolId: string | null): void => {
  if (poolId === null) return;
  checkListenerPoolProtocols(protocol, poolOf(s, poolId).protocol);
};

const createListener = ({ data, metadata }: CreateListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.listeners.has(data.listenerId)) return [];
  checkListenerProtocol(data.protocol);
  checkPort('protocol_port', data.protocolPort);
  checkListenerSettings(data.protocol, data);
  assertMutable(lb);
  checkDefaultPool(lb, data.protocol, data.defaultPoolId);
  if ([...lb.listeners.values()].some((l) => l.protocolPort === data.protocolPort)) {
    throw new DomainError('Conflict',
      `Another Listener on this Load Balancer is already using protocol ${data.protocol} and protocol_port ${data.protocolPort}`);
  }
  return [{ type: 'ListenerCreated', v: 1, data: { ...data, at: metadata.now } }];
};

const updateListener = ({ data, metadata }: UpdateListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const listener = listenerOf(lb, data.listenerId);
  const changes = effectiveChanges(listener.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  const merged = { ...listener.settings, ...changes };
  checkListenerSettings(listener.protocol, merged);
  if (changes.defaultPoolId !== undefined) checkDefaultPool(lb, listener.protocol, merged.defaultPoolId);
  return [{
    type: 'ListenerSettingsChanged', v: 1, data: { lbId: data.lbId, listenerId: data.listenerId, changes, at: metadata.now },
  }];
};

const deleteListener = ({ data, metadata }: DeleteListener, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  listenerOf(lb, data.listenerId);
  assertMutable(lb);
  return [{ type: 'ListenerDeleted', v: 1, data: { lbId: data.lbId, listenerId: data.listenerId, at: metadata.now } }];
};

// ---- pools

const checkPoolSettings = (x: PoolSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  checkOneOf('lb_algorithm', x.lbAlgorithm, LB_ALGORITHMS);
  const sp = x.sessionPersistence;
  if (!sp) return;
  checkOneOf('type', sp.type, PERSISTENCE_TYPES);
  // Octavia's wording (common/validate.py check_session_persistence).
  if (sp.cookieName !== null && sp.cookieName !== undefined) {
    if (sp.type !== 'APP_COOKIE') {
      throw validationFailure('Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".');
    }
    if (!COOKIE_NAME.test(sp.cookieName)) throw validationFailure('Supplied "cookie_name" is invalid.');
  } else if (sp.type === 'APP_COOKIE') {
    throw validationFailure('Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.');
  }
  if ((sp.persistenceTimeout ?? null) !== null || (sp.persistenceGranularity ?? null) !== null) {
    throw validationFailure('persistence_timeout and persistence_granularity is only for UDP and SCTP protocol pools.');
  }
};

const createPool = ({ data, metadata }: CreatePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.pools.has(data.poolId)) return [];
  checkPoolProtocol(data.protocol);
  checkPoolSettings(data);
  assertMutable(lb);
  if (data.listenerId !== null) {
    const listener = listenerOf(lb, data.listenerId);
    if (listener.settings.defaultPoolId !== null) {
      throw new DomainError('Conflict', `Listener ${data.listenerId} already has a default pool`);
    }
    checkListenerPoolProtocols(listener.protocol, data.protocol);
  }
  return [{ type: 'PoolCreated', v: 1, data: { ...data, at: metadata.now } }];
};

const updatePoolCommand = ({ data, metadata }: UpdatePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  const changes = effectiveChanges(pool.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkPoolSettings({ ...pool.settings, ...changes });
  return [{ type: 'PoolSettingsChanged', v: 1, data: { lbId: data.lbId, poolId: data.poolId, changes, at: metadata.now } }];
};

const deletePool = ({ data, metadata }: DeletePool, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  poolOf(lb, data.poolId);
  assertMutable(lb);
  const user = policyUsingPool(lb.l7Policies, data.poolId);
  if (user) throw new DomainError('Conflict', `Pool ${data.poolId} is in use by L7 policy ${user}`);
  return [{ type: 'PoolDeleted', v: 1, data: { lbId: data.lbId, poolId: data.poolId, at: metadata.now } }];
};

// ---- members

/** Octavia's `[networking] reserved_ips` default: the metadata service address. */
const RESERVED_IPS = ['169.254.169.254'];

const checkMemberSettings = (x: MemberSettings): void => {
  checkText('name', x.name);
  checkBool('admin_state_up', x.adminStateUp);
  checkBool('backup', x.backup);
  checkTags(x.tags);
  checkInt('weight', x.weight, 0, 256);
  if (x.monitorPort !== null) checkPort('monitor_port', x.monitorPort);
  if (x.monitorAddress !== null && !parseIpAddress(x.monitorAddress)) {
    throw invalidField('monitor_address', x.monitorAddress, 'Value should be IPv4 or IPv6 format');
  }
};

const createMember = ({ data, metadata }: CreateMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  if (pool.members.has(data.memberId)) return [];
  const ip = parseIpAddress(data.address);
  if (!ip) throw invalidField('address', data.address, 'Value should be IPv4 or IPv6 format');
  if (RESERVED_IPS.includes(ip.canonical)) throw new DomainError('Invalid', `${data.address} is not a valid option for member address`);
  checkPort('protocol_port', data.protocolPort);
  checkMemberSettings(data);
  assertMutable(lb);
  const key = memberKey(data.address, data.protocolPort);
  if ([...pool.members.values()].some((m) => m.key === key)) {
    throw new DomainError('Conflict',
      `Another member on this pool is already using ip ${data.address} on protocol_port ${data.protocolPort}`);
  }
  return [{ type: 'MemberCreated', v: 1, data: { ...data, at: metadata.now } }];
};

const updateMemberCommand = ({ data, metadata }: UpdateMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const member = memberOf(poolOf(lb, data.poolId), data.memberId);
  const changes = effectiveChanges(member.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkMemberSettings({ ...member.settings, ...changes });
  return [{
    type: 'MemberSettingsChanged', v: 1,
    data: { lbId: data.lbId, poolId: data.poolId, memberId: data.memberId, changes, at: metadata.now },
  }];
};

const deleteMember = ({ data, metadata }: DeleteMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  memberOf(poolOf(lb, data.poolId), data.memberId);
  assertMutable(lb);
  return [{ type: 'MemberDeleted', v: 1, data: { lbId: data.lbId, poolId: data.poolId, memberId: data.memberId, at: metadata.now } }];
};

// ---- health monitors

const HTTP_MONITORS: readonly MonitorType[] = ['HTTP', 'HTTPS'];

const checkMonitorSettings = (type: MonitorType, x: HealthMonitorSettings): void => {
  checkText('name', x.name);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  checkInt('delay', x.delay, 1, 2147483647);
  checkInt('timeout', x.timeout, 1, 2147483647);
  if (x.timeout > x.delay) throw invalidField('timeout', x.timeout, `Value should be lower or equal to delay (${x.delay})`);
  checkInt('max_retries', x.maxRetries, 1, 10);
  checkInt('max_retries_down', x.maxRetriesDown, 1, 10);
  const http = HTTP_MONITORS.includes(type);
  const httpOnly = { http_method: x.httpMethod, url_path: x.urlPath, expected_codes: x.expectedCodes, http_version: x.httpVersion, domain_name: x.domainName };
  for (const [field, value] of Object.entries(httpOnly)) {
    if (!http && value !== null && value !== undefined) {
      throw validationFailure(`${field} is only valid for HTTP and HTTPS health monitors, not ${type}.`);
    }
  }
  if (!http) return;
  if (x.httpMethod !== null) checkOneOf('http_method', x.httpMethod, HTTP_METHODS);
  if (x.urlPath !== null && (x.urlPath.length > 255 || !URL_PATH.test(x.urlPath))) {
    throw invalidField('url_path', x.urlPath, 'Value should be a URL path starting with / (no spaces)');
  }
  if (x.expectedCodes !== null && !isExpectedCodes(x.expectedCodes)) {
    throw invalidField('expected_codes', x.expectedCodes, 'Value should be a code (200), a list (200,202) or a range (200-204)');
  }
  if (x.httpVersion !== null && x.httpVersion !== 1.0 && x.httpVersion !== 1.1) {
    throw invalidField('http_version', x.httpVersion, 'Value should be one of: 1.0, 1.1');
  }
  if (x.domainName !== null) {
    if (!isHostname(x.domainName)) throw invalidField('domain_name', x.domainName, 'Value should be a valid hostname');
    if (x.httpVersion !== 1.1) throw validationFailure('http_version 1.1 is required when domain_name is specified.');
  }
};

const createHealthMonitor = ({ data, metadata }: CreateHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.monitors.has(data.healthMonitorId)) return [];
  const pool = poolOf(lb, data.poolId);
  checkMonitorType(data.type);
  checkMonitorSettings(data.type, data);
  assertMutable(lb);
  if (pool.healthMonitorId !== null) throw new DomainError('Conflict', 'This pool already has a health monitor');
  return [{ type: 'HealthMonitorCreated', v: 1, data: { ...data, at: metadata.now } }];
};

const updateHealthMonitor = ({ data, metadata }: UpdateHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const monitor = monitorOf(lb, data.healthMonitorId);
  const changes = effectiveChanges(monitor.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkMonitorSettings(monitor.type, { ...monitor.settings, ...changes });
  return [{
    type: 'HealthMonitorSettingsChanged', v: 1,
    data: { lbId: data.lbId, healthMonitorId: data.healthMonitorId, changes, at: metadata.now },
  }];
};

const deleteHealthMonitor = ({ data, metadata }: DeleteHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  monitorOf(lb, data.healthMonitorId);
  assertMutable(lb);
  return [{ type: 'HealthMonitorDeleted', v: 1, data: { lbId: data.lbId, healthMonitorId: data.healthMonitorId, at: metadata.now } }];
};

// ---- agent reports

/** Fencing: only the agent named by the current placement, at that epoch, may report. */
const hostedBy = (s: LoadBalancer, d: { lbId: string; agentId: string; epoch: number }): Live | Deleted => {
  if (s.status === 'none') throw notFound('Load Balancer', d.lbId);
  if (s.placement.agentId !== d.agentId || s.placement.epoch !== d.epoch) {
    throw new DomainError('Forbidden', `agent ${d.agentId} does not host load balancer ${d.lbId} (epoch ${d.epoch})`);
  }
  return s;
};

const checkReportedVersion = (s: Live | Deleted, lbId: string, version: number): void => {
  if (!Number.isInteger(version) || version < 1 || version > s.versions.version) {
    throw new DomainError('Invalid', `version ${version} is not a desired version of load balancer ${lbId} (latest ${s.versions.version})`);
  }
};

const reportApplied = ({ data, metadata }: ReportApplied, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (data.version <= lb.versions.appliedVersion) return [];
  return [{ type: 'DesiredStateApplied', v: 1, data: { ...data, at: metadata.now } }];
};

const reportRejected = ({ data, metadata }: ReportRejected, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  checkReportedVersion(lb, data.lbId, data.version);
  if (data.version <= lb.versions.appliedVersion || data.version <= lb.versions.rejectedVersion) return [];
  return [{ type: 'DesiredStateRejected', v: 1, data: { ...data, at: metadata.now } }];
};

const reportMemberStatus = ({ data, metadata }: ReportMemberStatus, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = hostedBy(s, data);
  if (lb.status !== 'live') return [];
  const member = lb.pools.get(data.poolId)?.members.get(data.memberId);
  if (!member || member.status === data.status) return []; // deleted since the agent looked, or nothing new
  return [{ type: 'MemberOperatingStatusChanged', v: 1, data: { ...data, at: metadata.now } }];
};

/** The load-balancer tree (`lbaas.evt.lb.<lbId>`) as a decider. */
export const loadBalancer = { decide, evolve, initialState } satisfies Decider<LoadBalancer, LoadBalancerCommand, LoadBalancerEvent>;
