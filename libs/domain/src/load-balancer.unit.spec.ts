import { deciderSpec } from './decider-spec';
import { loadBalancer } from './load-balancer';
import {
  active, AGENT, applied, createListener, createLb, createMember, createMonitor, createPool, deleteLb, deleteListener,
  deleteMember, deleteMonitor, deletePool, failPlacement, HM, LB, lbCreated, lbDeleted, lbPlaced, lbSettingsChanged,
  LISTENER, listenerCreated, listenerDeleted, listenerSettingsChanged, memberCreated, memberDeleted,
  memberSettingsChanged, memberStatusChanged, monitorCreated, monitorDeleted, monitorSettingsChanged, placeLb, placementFailed, POOL,
  poolCreated, poolDeleted, poolSettingsChanged, rejected, reportApplied, reportMemberStatus, reportRejected, settled,
  updateLb, updateListener, updateMember, updateMonitor, updatePool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);
const OTHER = '11111111-2222-4333-8444-555555555555';
const IMMUTABLE = `Load Balancer ${LB} is immutable and cannot be updated.`;
const withPool = () => active(listenerCreated(), poolCreated());
const withMember = () => active(listenerCreated(), poolCreated(), memberCreated());
const withMonitor = () => active(listenerCreated(), poolCreated(), monitorCreated());

describe('LoadBalancer: create', () => {
  it('creates a load balancer', () => given([]).when(createLb()).then([lbCreated()]));
  it('treats a retried create as already done', () => given([lbCreated()]).when(createLb()).then([]));
  it('refuses to reuse the id of a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(createLb()).thenThrows('IllegalState', 'Already an entity with that specified id.'));
  it('refuses a name longer than 255 characters', () =>
    given([]).when(createLb({ name: 'x'.repeat(256) })).thenThrows('Invalid', /field\/attribute name/));
  it('accepts a name of exactly 255 characters', () =>
    given([]).when(createLb({ name: 'x'.repeat(255) })).then([lbCreated({ name: 'x'.repeat(255) })]));
  it('refuses control characters in a description, naming the field', () =>
    given([]).when(createLb({ description: 'a\nb' })).thenThrows('Invalid', /field\/attribute description/));
  it('refuses control characters in a tag', () =>
    given([]).when(createLb({ tags: ['ok', 'bad\x00'] })).thenThrows('Invalid', /field\/attribute tags/));
  it('refuses more than 50 tags', () =>
    given([]).when(createLb({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).thenThrows('Invalid', /tags/));
  it('refuses a tag longer than 255 characters', () =>
    given([]).when(createLb({ tags: ['x'.repeat(256)] })).thenThrows('Invalid', /tags/));
  it('refuses a VIP that is not an IP address', () =>
    given([]).when(createLb({ vipAddress: '198.51.100.300' })).thenThrows('Invalid', /vip_address/));
});

describe('LoadBalancer: unknown objects', () => {
  it.each([
    ['update', updateLb({ name: 'x' })], ['delete', deleteLb()], ['listener create', createListener()],
    ['pool create', createPool()], ['placement', placeLb()],
  ])('answers NotFound to %s on a load balancer that does not exist', (_what, command) =>
    given([]).when(command).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('answers NotFound for a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(updateLb({ name: 'x' })).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('names an unknown listener', () =>
    given(active()).when(updateListener({ name: 'x' }, OTHER)).thenThrows('NotFound', `Listener ${OTHER} not found.`));
  it('names an unknown pool', () =>
    given(active()).when(updatePool({ name: 'x' }, OTHER)).thenThrows('NotFound', `Pool ${OTHER} not found.`));
  it('names an unknown member', () =>
    given(withPool()).when(updateMember({ weight: 2 }, OTHER)).thenThrows('NotFound', `Member ${OTHER} not found.`));
  it('names an unknown health monitor', () =>
    given(withPool()).when(updateMonitor({ delay: 9 }, OTHER)).thenThrows('NotFound', `Health Monitor ${OTHER} not found.`));
  it('names an unknown listener given for a new pool', () =>
    given(active()).when(createPool({ listenerId: OTHER })).thenThrows('NotFound', `Listener ${OTHER} not found.`));
});

describe('LoadBalancer: immutability while PENDING', () => {
  it('refuses a child while the load balancer is being created', () =>
    given([lbCreated()]).when(createListener()).thenThrows('IllegalState', IMMUTABLE));
  it('refuses a child while it is placed but not yet applied', () =>
    given([lbCreated(), lbPlaced()]).when(createListener()).thenThrows('IllegalState', IMMUTABLE));
  it('refuses a second change before the first is applied', () =>
    given([...active(), listenerCreated()]).when(createPool()).thenThrows('IllegalState', IMMUTABLE));
  it.each([
    ['update a listener', updateListener({ name: 'x' })], ['delete a listener', deleteListener()],
    ['update a pool', updatePool({ name: 'x' })], ['delete a pool', deletePool()],
    ['update a member', updateMember({ weight: 3 })], ['delete a member', deleteMember()],
    ['update a monitor', updateMonitor({ delay: 9 })], ['delete a monitor', deleteMonitor()],
  ])('refuses to %s while pending', (_what, command) =>
    given([...active(listenerCreated(), poolCreated(), memberCreated(), monitorCreated()), lbSettingsChanged({ name: 'n' })])
      .when(command).thenThrows('IllegalState', IMMUTABLE));
  it('refuses to delete a load balancer being created (Octavia: Invalid state PENDING_CREATE)', () =>
    given([lbCreated(), lbPlaced()]).when(deleteLb()).thenThrows('IllegalState', `Invalid state PENDING_CREATE of loadbalancer resource ${LB}`));
  it('refuses to delete a load balancer being updated (PENDING_UPDATE once a version was applied)', () =>
    given([...active(), lbSettingsChanged({ name: 'n' })]).when(deleteLb())
      .thenThrows('IllegalState', `Invalid state PENDING_UPDATE of loadbalancer resource ${LB}`));
  it('refuses to update a load balancer being created, as Octavia does', () =>
    given([lbCreated()]).when(updateLb({ name: 'n' })).thenThrows('IllegalState', `Invalid state PENDING_CREATE of loadbalancer resource ${LB}`));
  it('allows changes again once the agent applied the latest version', () =>
    given(active(listenerCreated())).when(createPool()).then([poolCreated()]));
  it('stays pending when only an older version was applied', () =>
    given([...active(), listenerCreated(), lbSettingsChanged({ name: 'n' }), applied(3)]).when(createPool())
      .thenThrows('IllegalState', IMMUTABLE));
  it('lets a load balancer whose latest version was rejected (ERROR) be updated', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3)]).when(updateLb({ name: 'fixed' }))
      .then([lbSettingsChanged({ name: 'fixed' })]));
  it('lets a load balancer in ERROR get children changed', () =>
    given([...active(listenerCreated()), poolCreated(), rejected(4)]).when(deletePool()).then([poolDeleted()]));
  it('lets a load balancer in ERROR be deleted', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3)]).when(deleteLb()).then([lbDeleted()]));
  it('is pending again after a rejected version is followed by a new one', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3), lbSettingsChanged({ name: 'm' })]).when(createListener())
      .thenThrows('IllegalState', IMMUTABLE));
  it('lets a load balancer nobody could host (placement failed) be deleted', () =>
    given([lbCreated(), placementFailed()]).when(deleteLb()).then([lbDeleted()]));
});

describe('LoadBalancer: update and delete', () => {
  it('records only the settings that change', () =>
    given(active()).when(updateLb({ name: 'lb', description: 'new' })).then([lbSettingsChanged({ description: 'new' })]));
  it('treats an update that changes nothing as done', () =>
    given(active()).when(updateLb({ name: 'lb', tags: [] })).then([]));
  it('answers an update that changes nothing with [] even while pending', () =>
    given([lbCreated()]).when(updateLb({ name: 'lb' })).then([]));
  it('validates the merged settings', () =>
    given(active()).when(updateLb({ name: 'a\tb' })).thenThrows('Invalid', /name/));
  it('deletes a load balancer without children', () => given(active()).when(deleteLb()).then([lbDeleted()]));
  it('refuses to delete a load balancer with children without cascade', () =>
    given(active(listenerCreated())).when(deleteLb())
      .thenThrows('Invalid', `Validation failure: Cannot delete Load Balancer ${LB} - it has children`));
  it('counts a pool without listener as a child', () =>
    given(active(poolCreated({ listenerId: null }))).when(deleteLb()).thenThrows('Invalid', /it has children/));
  it('deletes the whole tree with cascade in one event', () =>
    given(withMember()).when(deleteLb(true)).then([lbDeleted(true)]));
});

describe('LoadBalancer: listeners', () => {
  it('adds an HTTP listener', () => given(active()).when(createListener()).then([listenerCreated()]));
  it.each(['TCP', 'HTTPS'] as const)('adds a %s listener', (protocol) =>
    given(active()).when(createListener({ protocol })).then([listenerCreated({ protocol })]));
  it('treats a retried create as already done', () =>
    given([...active(), listenerCreated()]).when(createListener()).then([]));
  it('refuses TERMINATED_HTTPS without a default certificate', () =>
    given(active()).when(createListener({ protocol: 'TERMINATED_HTTPS' }))
      .thenThrows('Invalid', 'Validation failure: A default_tls_container_ref is required for TERMINATED_HTTPS listeners.'));
  it('creates TERMINATED_HTTPS with certificate references (never PEMs) and insert_headers', () => {
    const tls = { protocol: 'TERMINATED_HTTPS' as const, protocolPort: 443, insertHeaders: { 'X-Forwarded-Proto': 'true' },
      defaultTlsContainerRef: 'http://127.0.0.1:9876/v1/secrets/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02',
      sniContainerRefs: ['http://127.0.0.1:9876/v1/containers/7b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02'] };
    given(active()).when(createListener(tls)).then([listenerCreated(tls)]);
  });
  it('refuses a PEM where a certificate reference belongs', () =>
    given(active()).when(createListener({ protocol: 'TERMINATED_HTTPS', defaultTlsContainerRef: '-----BEGIN PRIVATE KEY-----' }))
      .thenThrows('Invalid', /not a valid certificate reference/));
  it('refuses certificate references on an HTTP listener', () =>
    given(active()).when(createListener({ sniContainerRefs: ['http://h/v1/secrets/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02'] }))
      .thenThrows('Invalid', /only valid for TERMINATED_HTTPS/));
  it.each(['UDP', 'SCTP', 'PROMETHEUS'] as const)('refuses %s as unsupported by this provider', (protocol) =>
    given(active()).when(createListener({ protocol }))
      .thenThrows('Invalid', `Provider 'lbaas' does not support a requested option: listener protocol ${protocol} is not supported.`));
  it.each([0, 65536, 1.5])('refuses protocol_port %p', (protocolPort) =>
    given(active()).when(createListener({ protocolPort })).thenThrows('Invalid', /protocol_port/));
  it('refuses a port another listener uses (Octavia message)', () =>
    given(active(listenerCreated())).when(createListener({ listenerId: OTHER, protocol: 'TCP' }))
      .thenThrows('Conflict', 'Another Listener on this Load Balancer is already using protocol TCP and protocol_port 80'));
  it('accepts another port', () =>
    given(active(listenerCreated())).when(createListener({ listenerId: OTHER, protocolPort: 81 }))
      .then([listenerCreated({ listenerId: OTHER, protocolPort: 81 })]));
  it.each([-1, 1, 100000])('accepts connection_limit %p', (connectionLimit) =>
    given(active()).when(createListener({ connectionLimit })).then([listenerCreated({ connectionLimit })]));
  it.each([0, -2])('refuses connection_limit %p', (connectionLimit) =>
    given(active()).when(createListener({ connectionLimit })).thenThrows('Invalid', /connection_limit/));
  it.each(['timeoutClientData', 'timeoutMemberConnect', 'timeoutMemberData', 'timeoutTcpInspect'] as const)(
    'refuses %s above 2073600000 ms', (field) =>
      given(active()).when(createListener({ [field]: 2073600001 })).thenThrows('Invalid', /timeout_/));
  it('accepts the largest timeout', () =>
    given(active()).when(createListener({ timeoutClientData: 2073600000 })).then([listenerCreated({ timeoutClientData: 2073600000 })]));
  it('accepts the three forwarding headers on HTTP', () => {
    const insertHeaders = { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'false', 'X-Forwarded-Proto': 'true' };
    given(active()).when(createListener({ insertHeaders })).then([listenerCreated({ insertHeaders })]);
  });
  it('refuses insert_headers on a TCP listener', () =>
    given(active()).when(createListener({ protocol: 'TCP', insertHeaders: { 'X-Forwarded-For': 'true' } }))
      .thenThrows('Invalid', /not supported for the TCP protocol/));
  it('refuses an unknown header', () =>
    given(active()).when(createListener({ insertHeaders: { 'X-Evil': 'true' } }))
      .thenThrows('Invalid', 'X-Evil is not a valid option for insert_headers'));
  it('refuses a header value other than "true"/"false"', () =>
    given(active()).when(createListener({ insertHeaders: { 'X-Forwarded-For': 'yes\nbind :1' } })).thenThrows('Invalid', /insert_headers/));
  it('refuses an allowed_cidrs entry that is not a CIDR', () =>
    given(active()).when(createListener({ allowedCidrs: ['10.0.0.0/8', '10.0.0.0/33'] })).thenThrows('Invalid', /allowed_cidrs/));
  it('accepts a default pool of this load balancer with a compatible protocol', () =>
    given(active(poolCreated({ listenerId: null }))).when(createListener({ defaultPoolId: POOL }))
      .then([listenerCreated({ defaultPoolId: POOL })]));
  it('refuses an unknown default pool', () =>
    given(active()).when(createListener({ defaultPoolId: OTHER })).thenThrows('NotFound', `Pool ${OTHER} not found.`));
  it('refuses a default pool of an incompatible protocol', () =>
    given(active(poolCreated({ listenerId: null, protocol: 'TCP' }))).when(createListener({ defaultPoolId: POOL }))
      .thenThrows('Invalid', "Validation failure: The pool protocol 'TCP' is invalid while the listener protocol is 'HTTP'."));
  it('records only changed listener settings', () =>
    given(active(listenerCreated())).when(updateListener({ name: 'web', connectionLimit: 500 }))
      .then([listenerSettingsChanged({ connectionLimit: 500 })]));
  it('treats a listener update that changes nothing as done', () =>
    given(active(listenerCreated())).when(updateListener({ insertHeaders: {}, allowedCidrs: null })).then([]));
  it('validates the merged listener', () =>
    given(active(listenerCreated({ protocol: 'TCP' }))).when(updateListener({ insertHeaders: { 'X-Forwarded-For': 'true' } }))
      .thenThrows('Invalid', /not supported for the TCP protocol/));
  it('checks a new default pool on update', () =>
    given(active(listenerCreated({ protocol: 'HTTPS', protocolPort: 443 }), poolCreated({ listenerId: null })))
      .when(updateListener({ defaultPoolId: POOL }))
      .thenThrows('Invalid', "Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'HTTPS'."));
  it('unsets the default pool', () =>
    given(withPool()).when(updateListener({ defaultPoolId: null })).then([listenerSettingsChanged({ defaultPoolId: null })]));
  it('deletes a listener', () => given(active(listenerCreated())).when(deleteListener()).then([listenerDeleted()]));
  it('keeps the default pool of a deleted listener, unlinked', () =>
    given(active(listenerCreated(), poolCreated(), listenerDeleted())).when(createListener({ listenerId: OTHER, defaultPoolId: POOL }))
      .then([listenerCreated({ listenerId: OTHER, defaultPoolId: POOL })]));
  it('frees the port of a deleted listener', () =>
    given(active(listenerCreated(), listenerDeleted())).when(createListener({ listenerId: OTHER }))
      .then([listenerCreated({ listenerId: OTHER })]));
});

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
  it.each(['UDP', 'SCTP'] as const)('refuses a %s pool as unsupported', (protocol) =>
    given(active()).when(createPool({ listenerId: null, protocol }))
      .thenThrows('Invalid', `Provider 'lbaas' does not support a requested option: pool protocol ${protocol} is not supported.`));
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

describe('LoadBalancer: members', () => {
  it('adds a member', () => given(withPool()).when(createMember()).then([memberCreated()]));
  it('adds an IPv6 member', () =>
    given(withPool()).when(createMember({ address: '2001:db8::11' })).then([memberCreated({ address: '2001:db8::11' })]));
  it('treats a retried create as already done', () => given(withMember()).when(createMember()).then([]));
  it.each(['192.0.2', '192.0.2.256', '010.0.0.1', 'example.com', '2001:db8:::1', '192.0.2.1 ', ''])('refuses address %p', (address) =>
    given(withPool()).when(createMember({ address })).thenThrows('Invalid', /field\/attribute address/));
  it('refuses the metadata address', () =>
    given(withPool()).when(createMember({ address: '169.254.169.254' }))
      .thenThrows('Invalid', '169.254.169.254 is not a valid option for member address'));
  it.each([0, 65536])('refuses protocol_port %p', (protocolPort) =>
    given(withPool()).when(createMember({ protocolPort })).thenThrows('Invalid', /protocol_port/));
  it.each([0, 256])('accepts weight %p', (weight) =>
    given(withPool()).when(createMember({ weight })).then([memberCreated({ weight })]));
  it.each([-1, 257])('refuses weight %p', (weight) =>
    given(withPool()).when(createMember({ weight })).thenThrows('Invalid', /weight/));
  it('refuses a duplicate address and port (Octavia message)', () =>
    given(withMember()).when(createMember({ memberId: OTHER }))
      .thenThrows('Conflict', 'Another member on this pool is already using ip 192.0.2.11 on protocol_port 8080'));
  it('sees through IPv6 spellings when looking for duplicates', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated({ address: '2001:db8::1' })))
      .when(createMember({ memberId: OTHER, address: '2001:0DB8:0:0::1' })).thenThrows('Conflict', /already using ip/));
  it('accepts the same address on another port', () =>
    given(withMember()).when(createMember({ memberId: OTHER, protocolPort: 8081 }))
      .then([memberCreated({ memberId: OTHER, protocolPort: 8081 })]));
  it.each([0, 65536])('refuses monitor_port %p', (monitorPort) =>
    given(withPool()).when(createMember({ monitorPort })).thenThrows('Invalid', /monitor_port/));
  it('refuses a monitor_address that is not an IP', () =>
    given(withPool()).when(createMember({ monitorAddress: 'localhost' })).thenThrows('Invalid', /monitor_address/));
  it('accepts a monitor address and port', () =>
    given(withPool()).when(createMember({ monitorAddress: '192.0.2.12', monitorPort: 9000 }))
      .then([memberCreated({ monitorAddress: '192.0.2.12', monitorPort: 9000 })]));
  it('records only changed member settings', () =>
    given(withMember()).when(updateMember({ weight: 5, name: 'm1' })).then([memberSettingsChanged({ weight: 5 })]));
  it('treats a member update that changes nothing as done', () => given(withMember()).when(updateMember({ weight: 1 })).then([]));
  it('validates the merged member', () => given(withMember()).when(updateMember({ weight: 1000 })).thenThrows('Invalid', /weight/));
  it('deletes a member', () => given(withMember()).when(deleteMember()).then([memberDeleted()]));
  it('frees the address and port of a deleted member', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated(), memberDeleted())).when(createMember({ memberId: OTHER }))
      .then([memberCreated({ memberId: OTHER })]));
});

describe('LoadBalancer: health monitors', () => {
  it('adds an HTTP monitor', () => given(withPool()).when(createMonitor()).then([monitorCreated()]));
  it.each(['PING', 'TCP', 'TLS-HELLO'] as const)('adds a %s monitor without HTTP fields', (type) => {
    const o = { type, httpMethod: null, urlPath: null, expectedCodes: null };
    given(withPool()).when(createMonitor(o)).then([monitorCreated(o)]);
  });
  it('treats a retried create as already done', () => given(withMonitor()).when(createMonitor()).then([]));
  it('refuses a second monitor on a pool (Octavia message)', () =>
    given(withMonitor()).when(createMonitor({ healthMonitorId: OTHER })).thenThrows('Conflict', 'This pool already has a health monitor'));
  it('accepts a monitor again after the first was deleted', () =>
    given(active(listenerCreated(), poolCreated(), monitorCreated(), monitorDeleted())).when(createMonitor({ healthMonitorId: OTHER }))
      .then([monitorCreated({ healthMonitorId: OTHER })]));
  it.each(['UDP-CONNECT', 'SCTP'] as const)('refuses a %s monitor as unsupported', (type) =>
    given(withPool()).when(createMonitor({ type, httpMethod: null, urlPath: null, expectedCodes: null }))
      .thenThrows('Invalid', `Provider 'lbaas' does not support a requested option: health monitor type ${type} is not supported.`));
  it('refuses a timeout longer than the delay, naming timeout', () =>
    given(withPool()).when(createMonitor({ delay: 3, timeout: 5 })).thenThrows('Invalid', /timeout/));
  it('accepts a timeout equal to the delay', () =>
    given(withPool()).when(createMonitor({ delay: 3, timeout: 3 })).then([monitorCreated({ delay: 3, timeout: 3 })]));
  it.each([['delay', 0], ['timeout', 0], ['maxRetries', 0], ['maxRetries', 11], ['maxRetriesDown', 0], ['maxRetriesDown', 11]] as const)(
    'refuses %s %p', (field, value) => given(withPool()).when(createMonitor({ [field]: value })).thenThrows('Invalid'));
  it.each([['httpMethod', 'GET'], ['urlPath', '/'], ['expectedCodes', '200']] as const)('refuses %s on a TCP monitor', (field, value) =>
    given(withPool()).when(createMonitor({ type: 'TCP', httpMethod: null, urlPath: null, expectedCodes: null, [field]: value }))
      .thenThrows('Invalid', /only valid for HTTP and HTTPS health monitors/));
  it.each(['/a b', 'health', '/x\nHTTP/1.1', `/${'a'.repeat(255)}`])('refuses url_path %p', (urlPath) =>
    given(withPool()).when(createMonitor({ urlPath })).thenThrows('Invalid', /url_path/));
  it('accepts a url path with a query', () =>
    given(withPool()).when(createMonitor({ urlPath: '/healthz?full=1&x=%20' })).then([monitorCreated({ urlPath: '/healthz?full=1&x=%20' })]));
  it.each(['200', '200,202', '200-204', '100', '599'])('accepts expected_codes %p', (expectedCodes) =>
    given(withPool()).when(createMonitor({ expectedCodes })).then([monitorCreated({ expectedCodes })]));
  it.each(['2000', '200-', '600', '099', '204-200', '200;202', '', '200, 202'])('refuses expected_codes %p', (expectedCodes) =>
    given(withPool()).when(createMonitor({ expectedCodes })).thenThrows('Invalid', /expected_codes/));
  it('refuses http_version 2', () => given(withPool()).when(createMonitor({ httpVersion: 2 })).thenThrows('Invalid', /http_version/));
  it('accepts a domain name with HTTP/1.1', () =>
    given(withPool()).when(createMonitor({ httpVersion: 1.1, domainName: 'www.example.com' }))
      .then([monitorCreated({ httpVersion: 1.1, domainName: 'www.example.com' })]));
  it('refuses a domain name without HTTP/1.1', () =>
    given(withPool()).when(createMonitor({ httpVersion: 1.0, domainName: 'www.example.com' })).thenThrows('Invalid', /http_version 1.1/));
  it.each(['-bad.example', 'a b', 'a..b', 'x'.repeat(64)])('refuses domain name %p', (domainName) =>
    given(withPool()).when(createMonitor({ httpVersion: 1.1, domainName })).thenThrows('Invalid', /domain_name/));
  it('records only changed monitor settings', () =>
    given(withMonitor()).when(updateMonitor({ delay: 10, timeout: 3 })).then([monitorSettingsChanged({ delay: 10 })]));
  it('validates the merged monitor (timeout against the current delay)', () =>
    given(withMonitor()).when(updateMonitor({ timeout: 6 })).thenThrows('Invalid', /timeout/));
  it('deletes a monitor', () => given(withMonitor()).when(deleteMonitor()).then([monitorDeleted()]));
});

describe('LoadBalancer: placement', () => {
  it('places an unplaced load balancer at epoch 1', () => given([lbCreated()]).when(placeLb()).then([lbPlaced()]));
  it('places again with the next epoch (fencing)', () =>
    given(active()).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'failover' }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]));
  it('refuses a placement decided on a stale epoch', () =>
    given([...active(), lbPlaced({ agentId: 'agent-b', epoch: 2 })]).when(placeLb({ agentId: 'agent-c', expectedEpoch: 1 }))
      .thenThrows('Conflict', /epoch 2, not 1/));
  it('treats a retried placement as already done', () => given([lbCreated(), lbPlaced()]).when(placeLb()).then([]));
  it('re-places a deleted load balancer whose teardown is not applied yet', () =>
    given([...active(), lbDeleted()]).when(placeLb({ agentId: 'agent-b', expectedEpoch: 1, reason: 'failover' }))
      .then([lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' })]));
  it('does not place a deleted load balancer that was torn down', () =>
    given(settled(lbCreated(), lbPlaced(), lbDeleted())).when(placeLb({ expectedEpoch: 1 })).thenThrows('NotFound'));
  it('does not place a deleted load balancer that was never placed', () =>
    given([lbCreated(), lbDeleted()]).when(placeLb()).thenThrows('NotFound'));
  it('fails the placement of an unplaced load balancer', () =>
    given([lbCreated()]).when(failPlacement()).then([placementFailed()]));
  it('fails it only once for the same reason', () => given([lbCreated(), placementFailed()]).when(failPlacement()).then([]));
  it('records a new reason', () =>
    given([lbCreated(), placementFailed()]).when(failPlacement('network unknown')).then([placementFailed('network unknown')]));
  it('refuses to fail a placed load balancer', () => given(active()).when(failPlacement()).thenThrows('IllegalState'));
  it('places a load balancer whose placement failed, once a candidate appears', () =>
    given([lbCreated(), placementFailed()]).when(placeLb()).then([lbPlaced()]));
});

describe('LoadBalancer: agent reports', () => {
  it('records an applied version (created + placed = version 2)', () =>
    given([lbCreated(), lbPlaced()]).when(reportApplied(2)).then([applied(2)]));
  it('refuses a version the load balancer has not reached', () =>
    given([lbCreated(), lbPlaced()]).when(reportApplied(3)).thenThrows('Invalid', /version 3/));
  it('treats an old or repeated applied version as done', () => given(active()).when(reportApplied(1)).then([]));
  it('refuses a report from an agent that does not host it', () =>
    given(active()).when(reportApplied(2, { agentId: 'agent-b' }))
      .thenThrows('Forbidden', `agent agent-b does not host load balancer ${LB} (epoch 1)`));
  it('refuses a report from an earlier placement of the same agent', () =>
    given([...active(), lbPlaced({ epoch: 2 })]).when(reportApplied(3, { epoch: 1 }))
      .thenThrows('Forbidden', `agent ${AGENT} does not host load balancer ${LB} (epoch 1)`));
  it('refuses reports for an unplaced load balancer', () =>
    given([lbCreated()]).when(reportApplied(1)).thenThrows('Forbidden'));
  it('refuses reports for an unknown load balancer', () =>
    given([]).when(reportApplied(1)).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('records a rejected version', () =>
    given([lbCreated(), lbPlaced()]).when(reportRejected(2)).then([rejected(2)]));
  it('treats a repeated rejection as done', () => given([lbCreated(), lbPlaced(), rejected(2)]).when(reportRejected(2)).then([]));
  it('ignores a rejection of an applied version', () => given(active()).when(reportRejected(2)).then([]));
  it('accepts the teardown report of a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(reportApplied(3)).then([applied(3)]));
  it('treats a repeated teardown report as done', () =>
    given(settled(lbCreated(), lbPlaced(), lbDeleted())).when(reportApplied(3)).then([]));
  it('records a member status change', () => given(withMember()).when(reportMemberStatus('ONLINE')).then([memberStatusChanged('ONLINE')]));
  it('ignores a member status equal to the last one', () =>
    given([...withMember(), memberStatusChanged('ONLINE')]).when(reportMemberStatus('ONLINE')).then([]));
  it('records a member going down after being up', () =>
    given([...withMember(), memberStatusChanged('ONLINE')]).when(reportMemberStatus('ERROR')).then([memberStatusChanged('ERROR')]));
  it('ignores a status of a member deleted since', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated(), memberDeleted())).when(reportMemberStatus('ONLINE')).then([]));
  it('fences member status reports too', () =>
    given(withMember()).when(reportMemberStatus('ONLINE', { epoch: 7 })).thenThrows('Forbidden'));
  it('accepts member status while a change is pending (status is not desired state)', () =>
    given([...withMember(), lbSettingsChanged({ name: 'n' })]).when(reportMemberStatus('ONLINE')).then([memberStatusChanged('ONLINE')]));
});
