import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from './load-balancer';
import {
  active, createListener, createPool, listenerCreated, listenerSettingsChanged, poolCreated, updateListener, updatePool,
} from './load-balancer/load-balancer.fixtures';
import { cipherStringProblem } from './tls-rules';

const given = deciderSpec(loadBalancer);
const REF = 'http://127.0.0.1:9876/v1/secrets/7c2e9a81-6d0f-4e7e-9e77-2e4f0a913c03';
const CA = 'http://127.0.0.1:9876/v1/secrets/8d3fab92-7e1a-4f8f-8f88-3f5a1ba24d04';
const https = { protocol: 'TERMINATED_HTTPS' as const, protocolPort: 443, defaultTlsContainerRef: REF };
const withHttps = () => active(listenerCreated(https));

describe('tls_ciphers: checked against what this OpenSSL accepts', () => {
  it.each([
    'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384', 'HIGH:!aNULL:!MD5', 'DEFAULT:@SECLEVEL=2', 'ECDHE+AESGCM:-SHA1:@STRENGTH',
    'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
  ])('accepts %s', (s) => expect(cipherStringProblem(s)).toBeNull());
  it.each([
    ['a newline (config injection)', 'HIGH\n    bind :80', /Invalid characters/],
    ['a space', 'HIGH MEDIUM', /Invalid characters/],
    ['a quote', 'HIGH"', /Invalid characters/],
    ['a cipher OpenSSL does not know', 'HIGH:NOPE-CIPHER-SHA', /Unknown to this OpenSSL: NOPE-CIPHER-SHA/],
    ['an alias that selects nothing here', 'RC4', /Unknown to this OpenSSL: RC4/],
    ['an empty element', 'HIGH::MEDIUM', /empty cipher/],
    ['an empty string', '', /non-empty/],
    ['more than 2048 characters', 'HIGH:'.repeat(500) + 'HIGH', /maximum character requirement of 2048/],
  ])('refuses %s', (_why, s, reason) => expect(cipherStringProblem(s)).toMatch(reason));
});

describe('listener TLS settings (TERMINATED_HTTPS only)', () => {
  const tls = { tlsVersions: ['TLSv1.2', 'TLSv1.3'] as const, tlsCiphers: 'HIGH:!aNULL', alpnProtocols: ['h2', 'http/1.1'] as const };
  it('accepts versions, ciphers, ALPN, HSTS and client authentication', () => {
    const data = { ...https, ...tls, hstsMaxAge: 31536000, hstsIncludeSubdomains: true, hstsPreload: true, clientAuthentication: 'MANDATORY' as const, clientCaTlsContainerRef: CA, clientCrlContainerRef: CA };
    given(active()).when(createListener(data)).then([listenerCreated(data)]);
  });
  it.each([
    ['tls_versions', { tlsVersions: ['TLSv1.2'] }], ['tls_ciphers', { tlsCiphers: 'HIGH' }], ['alpn_protocols', { alpnProtocols: ['h2'] }],
    ['hsts_max_age', { hstsMaxAge: 10 }], ['client_authentication', { clientAuthentication: 'OPTIONAL' }],
    ['client_ca_tls_container_ref', { clientCaTlsContainerRef: CA }],
  ] as const)('refuses %s on an HTTP listener', (field, o) =>
    given(active()).when(createListener(o)).thenThrows('Invalid', new RegExp(`${field} is only valid for TERMINATED_HTTPS listeners, not HTTP`)));
  it.each([
    ['an unknown TLS version', { tlsVersions: ['TLSv1.4'] }, 'Validation failure: Invalid TLS version: TLSv1.4'],
    ['an empty version list', { tlsVersions: [] }, /Empty TLS version list/],
    ['versions with a hole (haproxy would serve it)', { tlsVersions: ['TLSv1', 'TLSv1.2'] }, 'Validation failure: tls_versions must be a contiguous range of versions (missing TLSv1.1).'],
    ['SSLv3 alone (this OpenSSL has none)', { tlsVersions: ['SSLv3'] }, /SSLv3 alone cannot be served/],
    ['an unknown ALPN protocol', { alpnProtocols: ['spdy/3'] }, 'Validation failure: Invalid ALPN protocol: spdy/3'],
    ['an unknown cipher', { tlsCiphers: 'HIGH:BOGUS' }, /tls_ciphers.*Unknown to this OpenSSL: BOGUS/],
    ['a cipher string with a newline', { tlsCiphers: 'HIGH\nstats enable' }, /tls_ciphers.*Invalid characters/],
    ['a negative HSTS max age', { hstsMaxAge: -1 }, /hsts_max_age/],
    ['HSTS preload without a max age', { hstsPreload: true }, /only make sense if hsts_max_age is set/],
    ['client authentication without a CA', { clientAuthentication: 'MANDATORY' }, /requires a client CA container reference/],
    ['a CRL without a CA', { clientCrlContainerRef: CA }, /CA reference is required to specify a client authentication revocation list/],
    ['a client authentication mode that does not exist', { clientAuthentication: 'ALWAYS' }, /client_authentication/],
    ['a CA reference that is not a reference', { clientCaTlsContainerRef: '-----BEGIN CERTIFICATE-----' }, /not a valid certificate reference/],
  ] as const)('refuses %s, naming the field, and stores nothing', (_why, o, message) =>
    given(active()).when(createListener({ ...https, ...o } as never)).thenThrows('Invalid', message));
  it('checks an update against the merged settings', () =>
    given(withHttps()).when(updateListener({ clientAuthentication: 'OPTIONAL' })).thenThrows('Invalid', /requires a client CA/));
  it('changes the ciphers of a listener', () =>
    given(withHttps()).when(updateListener({ tlsCiphers: 'ECDHE+AESGCM' })).then([listenerSettingsChanged({ tlsCiphers: 'ECDHE+AESGCM' })]));
});

describe('pool re-encryption settings', () => {
  const tls = { tlsEnabled: true, caTlsContainerRef: CA, crlContainerRef: CA, tlsContainerRef: REF, tlsVersions: ['TLSv1.3'] as const, alpnProtocols: ['http/1.1'] as const };
  it('accepts TLS to the members with a client certificate, a CA and its CRL', () =>
    given(active(listenerCreated())).when(createPool(tls)).then([poolCreated(tls)]));
  it.each([
    ['a CRL without a CA', { crlContainerRef: CA }, /A CA certificate reference is required to specify a revocation list/],
    ['an unknown version', { tlsEnabled: true, tlsVersions: ['SSLv2'] }, /Invalid TLS version: SSLv2/],
    ['versions with a hole', { tlsEnabled: true, tlsVersions: ['TLSv1.1', 'TLSv1.3'] }, /contiguous range of versions \(missing TLSv1.2\)/],
    ['ciphers OpenSSL does not know', { tlsEnabled: true, tlsCiphers: 'AES:NULL-CIPHER' }, /Unknown to this OpenSSL: NULL-CIPHER/],
    ['a client certificate that is not a reference', { tlsContainerRef: 'not a ref' }, /tls_container_ref/],
    ['tls_enabled that is not a boolean', { tlsEnabled: 'yes' }, /tls_enabled/],
  ] as const)('refuses %s', (_why, o, message) =>
    given(active(listenerCreated())).when(createPool(o as never)).thenThrows('Invalid', message));
  it('checks an update against the merged settings', () =>
    given(active(listenerCreated(), poolCreated())).when(updatePool({ crlContainerRef: CA })).thenThrows('Invalid', /CA certificate reference is required/));
});
