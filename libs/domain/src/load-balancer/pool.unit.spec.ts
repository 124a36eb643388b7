import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, createPool, deletePool, HM, LISTENER, listenerCreated, listenerSettingsChanged, memberCreated,
  monitorCreated, OTHER, POOL, poolCreated, poolDeleted, poolSettingsChanged, updateMember, updateMonitor, updatePool,
  withPool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: pools', () => {
  it('adds a pool as a listener default pool', () => given(active(listenerCreated())).when(createPool()).then([poolCreated()]));
  it('adds a pool to the load balancer alone', () =>
    given(active()).when(createPool({ listenerId: null })).then([poolCreated({ listenerId: null })]));
  it('treats a retried create as already done', () => given(withPool()).when(createPool()).then([]));
  it('refuses a second default pool for a listener', () =>
    given(withPool()).when(createPool({ poolId: OTHER }))
      .thenThrows('Conflict', `Listener ${LISTENER} already has a default pool`));
  it('refuses a default pool set by listener update the same way as by pool create', () =>
    given(active(listenerCreated({ defaultPoolId: null }), poolCreated({ listenerId: null }), listenerSettingsChanged({ defaultPoolId: POOL })))
      .when(createPool({ poolId: OTHER })).thenThrows('Conflict', `Listener ${LISTENER} already has a default pool`));
  it.each([
    ['HTTP', 'HTTPS'], ['HTTP', 'TCP'], ['HTTPS', 'HTTP'],
  ] as const)('refuses listener %s with pool %s (Octavia matrix)', (l, p) =>
    given(active(listenerCreated({ protocol: l }))).when(createPool({ protocol: p }))
      .thenThrows('Invalid', `Validation failure: The pool protocol '${p}' is invalid while the listener protocol is '${l}'.`));
  it.each([
    ['HTTP', 'HTTP'], ['HTTP', 'PROXY'], ['HTTP', 'PROXYV2'], ['TCP', 'HTTP'], ['TCP', 'HTTPS'], ['TCP', 'TCP'],
    ['TCP', 'PROXY'], ['HTTPS', 'HTTPS'], ['HTTPS', 'TCP'], ['HTTPS', 'PROXYV2'],
  ] as const)('accepts listener %s with pool %s', (l, p) =>
    given(active(listenerCreated({ protocol: l }))).when(createPool({ protocol: p })).then([poolCreated({ protocol: p })]));
  it('adds a UDP pool to a UDP listener', () =>
    given(active(listenerCreated({ protocol: 'UDP' }))).when(createPool({ protocol: 'UDP' })).then([poolCreated({ protocol: 'UDP' })]));
  it.each([['UDP', 'TCP'], ['UDP', 'HTTP'], ['TCP', 'UDP'], ['HTTP', 'UDP']] as const)('refuses listener %s with pool %s (Octavia matrix)', (l, p) =>
    given(active(listenerCreated({ protocol: l }))).when(createPool({ protocol: p }))
      .thenThrows('Invalid', `Validation failure: The pool protocol '${p}' is invalid while the listener protocol is '${l}'.`));
  it('refuses an SCTP pool as unsupported, naming the kernel', () =>
    given(active()).when(createPool({ listenerId: null, protocol: 'SCTP' }))
      .thenThrows('Invalid', "Provider 'lbaas' does not support a requested option: pool protocol SCTP (this kernel has no SCTP: CONFIG_IP_SCTP is not set) is not supported."));
  const sp = (type: 'SOURCE_IP' | 'HTTP_COOKIE' | 'APP_COOKIE', cookieName: string | null) =>
    ({ type, cookieName, persistenceTimeout: null, persistenceGranularity: null });
  it('accepts APP_COOKIE persistence with a cookie name', () =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: sp('APP_COOKIE', 'JSESSIONID') }))
      .then([poolCreated({ sessionPersistence: sp('APP_COOKIE', 'JSESSIONID') })]));
  it('refuses APP_COOKIE without a cookie name', () =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: sp('APP_COOKIE', null) }))
      .thenThrows('Invalid', 'Validation failure: Field "cookie_name" must be specified when using the "APP_COOKIE" session persistence type.'));
  it('refuses a cookie name with another persistence type', () =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: sp('HTTP_COOKIE', 'x') }))
      .thenThrows('Invalid', 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'));
  it.each(['a b', 'a;b', 'a\nb', 'a,b', '', 'x'.repeat(256), 'a"b'])('refuses cookie name %p', (cookieName) =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: sp('APP_COOKIE', cookieName) }))
      .thenThrows('Invalid', /cookie_name/));
  it('refuses persistence_timeout on a TCP-family pool', () =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: { ...sp('SOURCE_IP', null), persistenceTimeout: 60 } }))
      .thenThrows('Invalid', /persistence_timeout/));
  const udp = (sessionPersistence: ReturnType<typeof sp> | null) => ({ listenerId: null, protocol: 'UDP' as const, sessionPersistence });
  it.each([
    ['SOURCE_IP', { ...sp('SOURCE_IP', null) }],
    ['SOURCE_IP with persistence_timeout', { ...sp('SOURCE_IP', null), persistenceTimeout: 360 }],
    ['SOURCE_IP with a one-address granularity', { ...sp('SOURCE_IP', null), persistenceTimeout: 60, persistenceGranularity: '255.255.255.255' }],
  ] as const)('accepts %s on a UDP pool', (_what, persistence) =>
    given(active()).when(createPool(udp(persistence))).then([poolCreated(udp(persistence))]));
  it.each(['HTTP_COOKIE', 'APP_COOKIE'] as const)('refuses %s persistence on a UDP pool (Octavia message)', (type) =>
    given(active()).when(createPool(udp(sp(type, type === 'APP_COOKIE' ? 'JSESSIONID' : null))))
      .thenThrows('Invalid', `Validation failure: Session persistence of type ${type} is not supported for UDP protocol pools.`));
  it.each(['255.255.255.0', '0.0.0.0'])('refuses persistence_granularity %p, which the kernel hash cannot honour', (g) =>
    given(active()).when(createPool(udp({ ...sp('SOURCE_IP', null), persistenceGranularity: g })))
      .thenThrows('Invalid', `Provider 'lbaas' does not support a requested option: persistence_granularity ${g} (only a single address, 255.255.255.255) is not supported.`));
  it('refuses persistence_granularity on a TCP-family pool', () =>
    given(active(listenerCreated())).when(createPool({ sessionPersistence: { ...sp('SOURCE_IP', null), persistenceGranularity: '255.255.255.255' } }))
      .thenThrows('Invalid', /only for UDP and SCTP protocol pools/));
  it('checks a UDP pool update against the UDP rules', () =>
    given(active(poolCreated(udp(null)))).when(updatePool({ sessionPersistence: sp('HTTP_COOKIE', null) }))
      .thenThrows('Invalid', /not supported for UDP protocol pools/));
  it('records only changed pool settings', () =>
    given(withPool()).when(updatePool({ lbAlgorithm: 'LEAST_CONNECTIONS', name: 'pool' }))
      .then([poolSettingsChanged({ lbAlgorithm: 'LEAST_CONNECTIONS' })]));
  it('treats a pool update that changes nothing as done', () => given(withPool()).when(updatePool({ sessionPersistence: null })).then([]));
  it('validates the merged pool', () =>
    given(withPool()).when(updatePool({ sessionPersistence: sp('APP_COOKIE', null) })).thenThrows('Invalid', /cookie_name/));
  it('deletes a pool', () => given(withPool()).when(deletePool()).then([poolDeleted()]));
  it('drops the members of a deleted pool', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated(), poolDeleted())).when(updateMember({ weight: 2 }))
      .thenThrows('NotFound', `Pool ${POOL} not found.`));
  it('drops the monitor of a deleted pool', () =>
    given(active(listenerCreated(), poolCreated(), monitorCreated(), poolDeleted())).when(updateMonitor({ delay: 9 }))
      .thenThrows('NotFound', `Health Monitor ${HM} not found.`));
  it('unlinks a deleted pool from its listener', () =>
    given(active(listenerCreated(), poolCreated(), poolDeleted())).when(createPool({ poolId: OTHER }))
      .then([poolCreated({ poolId: OTHER })]));
});
