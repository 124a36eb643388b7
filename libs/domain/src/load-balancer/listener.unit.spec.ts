import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, createListener, deleteListener, listenerCreated, listenerDeleted, listenerSettingsChanged, OTHER, POOL,
  poolCreated, updateListener, withPool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

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
  it('accepts a PROMETHEUS listener (haproxy\'s exporter), which takes no pool', () => {
    given(active()).when(createListener({ protocol: 'PROMETHEUS', protocolPort: 9100 })).then([listenerCreated({ protocol: 'PROMETHEUS', protocolPort: 9100 })]);
    given(active(poolCreated())).when(createListener({ protocol: 'PROMETHEUS', protocolPort: 9100, defaultPoolId: POOL }))
      .thenThrows('Invalid', "Validation failure: The pool protocol 'HTTP' is invalid while the listener protocol is 'PROMETHEUS'.");
  });
  it.each(['UDP', 'SCTP'] as const)('refuses %s as unsupported by this provider', (protocol) =>
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
  it('refuses the X-SSL-Client-* headers on a listener that does not terminate TLS (Octavia: TERMINATED_HTTPS only)', () =>
    given(active()).when(createListener({ insertHeaders: { 'X-SSL-Client-CN': 'true' } }))
      .thenThrows('Invalid', 'Validation failure: The following headers are not supported for the HTTP protocol: X-SSL-Client-CN.'));
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
