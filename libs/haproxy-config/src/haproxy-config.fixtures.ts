import type { DesiredL7Policy, DesiredL7Rule, DesiredLb } from '@lbaas/projections';
import { desiredLb, listener, member, monitor, pool, WEB1, WEB2 } from '@lbaas/testing';

const POOL2 = 'c0ffee00-2222-4222-8333-444455556666';
const CERT_REF = 'http://api/v1/containers/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
const CA_REF = 'http://api/v1/secrets/7c1d8f7a-5c1f-4c6d-8d66-1d3e9f802b03';
const CRL_REF = 'http://api/v1/secrets/8d1d8f7a-5c1f-4c6d-8d66-1d3e9f802b04';
const NO_TLS_OPTIONS = { versions: null, ciphers: null, alpn: null, hsts: null, clientAuth: null };
const rule = (l7RuleId: string, type: DesiredL7Rule['type'], compareType: DesiredL7Rule['compareType'], value: string, o: Partial<DesiredL7Rule> = {}): DesiredL7Rule =>
  ({ l7RuleId, type, compareType, key: null, value, invert: false, adminStateUp: true, ...o });
const l7p = (l7PolicyId: string, action: DesiredL7Policy['action'], o: Partial<DesiredL7Policy>, rules: DesiredL7Rule[]): DesiredL7Policy =>
  ({ l7PolicyId, action, adminStateUp: true, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, rules, ...o });

/** The trees every golden file is rendered from: name -> desired load balancer. */
export const GOLDEN_CASES: Record<string, DesiredLb> = {
  'seed-http-monitor': desiredLb({
    listeners: [listener({ insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' } })],
  }),
  'tcp-leastconn': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 5432, connectionLimit: 2000, timeoutTcpInspect: 0 })],
    pools: [pool({ protocol: 'TCP', lbAlgorithm: 'LEAST_CONNECTIONS', monitor: monitor({ type: 'TCP', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  'persistence-source-ip': desiredLb({
    pools: [pool({ lbAlgorithm: 'SOURCE_IP', sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'persistence-http-cookie': desiredLb({
    pools: [pool({ sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'persistence-app-cookie': desiredLb({
    pools: [pool({ sessionPersistence: { type: 'APP_COOKIE', cookieName: 'JSESSIONID', persistenceTimeout: null, persistenceGranularity: null } })],
  }),
  'monitor-http11-host-range': desiredLb({
    pools: [pool({
      members: [member({ monitorAddress: '10.231.1.21', monitorPort: 9000 }), member({ memberId: WEB2, address: '10.231.1.12' })],
      monitor: monitor({ httpMethod: 'HEAD', urlPath: '/healthz?full=1', expectedCodes: '200-204', httpVersion: 1.1, domainName: 'app.example.com', delay: 5, timeout: 3, maxRetries: 3, maxRetriesDown: 3 }),
    })],
  }),
  'monitor-ping': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 5432 })],
    pools: [pool({ protocol: 'TCP', monitor: monitor({ type: 'PING', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  'monitor-tls-hello': desiredLb({
    listeners: [listener({ protocol: 'HTTPS', protocolPort: 443 })],
    pools: [pool({ protocol: 'HTTPS', monitor: monitor({ type: 'TLS-HELLO', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  'disabled-members': desiredLb({
    pools: [pool({ members: [member(), member({ memberId: WEB2, address: '10.231.1.12', adminStateUp: false })] })],
  }),
  'backup-member': desiredLb({
    pools: [pool({ members: [member({ weight: 10 }), member({ memberId: WEB2, address: '10.231.1.12', backup: true })] })],
  }),
  'no-members': desiredLb({ pools: [pool({ members: [], monitor: null })] }),
  'no-monitor-proxy': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 8443 })],
    pools: [pool({ protocol: 'PROXY', monitor: null })],
  }),
  'disabled-lb': desiredLb({ adminStateUp: false }),
  'terminated-https-sni': desiredLb({
    listeners: [listener({
      protocol: 'TERMINATED_HTTPS', protocolPort: 443, insertHeaders: { 'X-Forwarded-For': 'true', 'X-Forwarded-Proto': 'true' },
      tls: { defaultRef: 'http://api/v1/secrets/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02', sniRefs: ['http://api/v1/containers/7b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02'] },
    })],
  }),
  'l7-redirect-to-proxy-pool': desiredLb({
    listeners: [listener({ l7Policies: [l7p('d0000009-0000-4000-8000-000000000009', 'REDIRECT_TO_POOL', { redirectPoolId: POOL2 }, [rule('e0000010-0000-4000-8000-000000000010', 'PATH', 'STARTS_WITH', '/p')])] })],
    pools: [pool(), pool({ poolId: POOL2, protocol: 'PROXY', members: [member({ memberId: WEB2, address: '10.231.1.12' })], monitor: null })],
  }),
  'source-ip-port': desiredLb({ pools: [pool({ lbAlgorithm: 'SOURCE_IP_PORT' })] }),
  'allowed-cidrs': desiredLb({
    listeners: [listener({ allowedCidrs: ['10.231.1.0/24', '192.0.2.7/32'] }), listener({ listenerId: 'aaaaaaaa-0000-4000-8000-00000000000a', protocol: 'TCP', protocolPort: 5432, allowedCidrs: ['198.51.100.0/24'] })],
  }),
  // IPv6 end to end (issue 13): an IPv6 VIP with an IPv4 additional VIP, IPv6 members with an IPv6 monitor address,
  // IPv6 allowed_cidrs. haproxy takes `ipv6@addr:port` for binds and servers (the last colon is the port's).
  'ipv6-vip-members-monitor': desiredLb({
    vip: { ...desiredLb().vip, address: '2001:db8:6::2', prefixLen: 64, gatewayIp: '2001:db8:6::1', subnetId: 'sub6' },
    additionalVips: [{ address: '198.51.100.2', subnetId: 'sub4', prefixLen: 24 }],
    listeners: [listener({ insertHeaders: { 'X-Forwarded-For': 'true' }, allowedCidrs: ['2001:db8:6::/64', '198.51.100.0/24'] })],
    pools: [pool({
      members: [member({ address: '2001:db8:6::1:10', monitorAddress: '2001:db8:6::1:11', monitorPort: 8081 }), member({ memberId: WEB2, address: '2001:db8:6::1:12' })],
    })],
  }),
  'l7-every-rule-and-action': desiredLb({
    listeners: [listener({ l7Policies: [
      l7p('d0000001-0000-4000-8000-000000000001', 'REJECT', {}, [rule('e0000001-0000-4000-8000-000000000001', 'PATH', 'STARTS_WITH', '/admin'), rule('e0000002-0000-4000-8000-000000000002', 'HEADER', 'EQUAL_TO', 'trusted', { key: 'X-Client', invert: true })]),
      l7p('d0000002-0000-4000-8000-000000000002', 'REDIRECT_TO_URL', { redirectUrl: 'https://www.example.com/moved?x=1#top', redirectHttpCode: 301 }, [rule('e0000003-0000-4000-8000-000000000003', 'HOST_NAME', 'ENDS_WITH', '.old.example.com')]),
      l7p('d0000003-0000-4000-8000-000000000003', 'REDIRECT_PREFIX', { redirectPrefix: 'https://secure.example.com' }, [rule('e0000004-0000-4000-8000-000000000004', 'COOKIE', 'CONTAINS', 'legacy', { key: 'mode' })]),
      l7p('d0000004-0000-4000-8000-000000000004', 'REDIRECT_TO_POOL', { redirectPoolId: POOL2 }, [rule('e0000005-0000-4000-8000-000000000005', 'FILE_TYPE', 'EQUAL_TO', 'jpg'), rule('e0000006-0000-4000-8000-000000000006', 'PATH', 'REGEX', '^/img/[a-z]+ (x|y)$')]),
      l7p('d0000005-0000-4000-8000-000000000005', 'REDIRECT_TO_POOL', { redirectPoolId: POOL2 }, [rule('e0000007-0000-4000-8000-000000000007', 'FILE_TYPE', 'REGEX', '\\.(png|gif)$')]),
      l7p('d0000006-0000-4000-8000-000000000006', 'REJECT', {}, []),
      l7p('d0000007-0000-4000-8000-000000000007', 'REJECT', { adminStateUp: false }, [rule('e0000008-0000-4000-8000-000000000008', 'PATH', 'EQUAL_TO', '/off')]),
      l7p('d0000008-0000-4000-8000-000000000008', 'REJECT', {}, [rule('e0000009-0000-4000-8000-000000000009', 'PATH', 'EQUAL_TO', '/rule-off', { adminStateUp: false })]),
    ] })],
    pools: [pool(), pool({ poolId: POOL2, members: [member({ memberId: WEB2, address: '10.231.1.12' })], monitor: null })],
  }),
  // The copy a planned move builds before the old one lets go of the VIP: no checks yet (PING's external check neither).
  'held-back-without-checks': desiredLb({
    pools: [pool({ members: [member({ monitorAddress: '10.231.1.21', monitorPort: 9000 }), member({ memberId: WEB2, address: '10.231.1.12', backup: true })],
      monitor: monitor({ type: 'PING', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  // Issue 13: TLS in full. Versions as a range, TLSv1.2 ciphers and TLSv1.3 suites apart, ALPN, HSTS.
  'terminated-https-tls-options': desiredLb({
    listeners: [listener({
      protocol: 'TERMINATED_HTTPS', protocolPort: 443, tls: { defaultRef: CERT_REF, sniRefs: [] },
      tlsOptions: { ...NO_TLS_OPTIONS, versions: ['TLSv1.3', 'TLSv1.2'], ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:!aNULL:TLS_AES_256_GCM_SHA384',
        alpn: ['h2', 'http/1.1'], hsts: { maxAge: 31536000, includeSubdomains: true, preload: true } },
    })],
  }),
  // Client certificates required (CA and CRL), every X-SSL-Client-* header, and the SSL_* L7 rules.
  'terminated-https-client-auth': desiredLb({
    listeners: [listener({
      protocol: 'TERMINATED_HTTPS', protocolPort: 443, tls: { defaultRef: CERT_REF, sniRefs: [] },
      insertHeaders: Object.fromEntries(['X-Forwarded-For', 'X-SSL-Client-Verify', 'X-SSL-Client-Has-Cert', 'X-SSL-Client-DN', 'X-SSL-Client-CN', 'X-SSL-Issuer',
        'X-SSL-Client-SHA1', 'X-SSL-Client-Not-Before', 'X-SSL-Client-Not-After'].map((h) => [h, 'true'])),
      tlsOptions: { ...NO_TLS_OPTIONS, hsts: { maxAge: 0, includeSubdomains: false, preload: false }, clientAuth: { mode: 'OPTIONAL', caRef: CA_REF, crlRef: CRL_REF } },
      l7Policies: [
        l7p('d0000011-0000-4000-8000-000000000011', 'REJECT', {}, [rule('e0000011-0000-4000-8000-000000000011', 'SSL_CONN_HAS_CERT', 'EQUAL_TO', 'True', { invert: true })]),
        l7p('d0000012-0000-4000-8000-000000000012', 'REJECT', {}, [rule('e0000012-0000-4000-8000-000000000012', 'SSL_VERIFY_RESULT', 'EQUAL_TO', '0', { invert: true })]),
        l7p('d0000013-0000-4000-8000-000000000013', 'REDIRECT_TO_POOL', { redirectPoolId: POOL2 }, [rule('e0000013-0000-4000-8000-000000000013', 'SSL_DN_FIELD', 'STARTS_WITH', 'ops-', { key: 'CN' })]),
      ],
    })],
    pools: [pool(), pool({ poolId: POOL2, members: [member({ memberId: WEB2, address: '10.231.1.12' })], monitor: null })],
  }),
  // Re-encryption to the members: client certificate, CA and CRL verified, versions, ciphers, ALPN; HTTPS checks ride on it.
  'pool-reencrypt-verify': desiredLb({
    pools: [pool({
      tls: { clientCertRef: CERT_REF, caRef: CA_REF, crlRef: CRL_REF, versions: ['TLSv1.3'], ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256', alpn: ['http/1.1'] },
      monitor: monitor({ type: 'HTTPS' }),
    })],
  }),
  // Without a CA: encrypted but unverified (verify none), a TLS-HELLO monitor is a full handshake.
  'pool-reencrypt-no-ca': desiredLb({
    listeners: [listener({ protocol: 'TCP', protocolPort: 5432 })],
    pools: [pool({ protocol: 'TCP', tls: { clientCertRef: null, caRef: null, crlRef: null, versions: null, ciphers: 'HIGH:!aNULL', alpn: null },
      monitor: monitor({ type: 'TLS-HELLO', httpMethod: null, urlPath: null, expectedCodes: null }) })],
  }),
  // A re-encrypting pool without members yet: the same server options reach `add server` later.
  'pool-reencrypt-empty': desiredLb({ pools: [pool({ members: [], tls: { clientCertRef: null, caRef: CA_REF, crlRef: null, versions: null, ciphers: null, alpn: null } })] }),
  // haproxy's own exporter on the VIP, next to an HTTP listener.
  prometheus: desiredLb({
    listeners: [listener(), listener({ listenerId: 'aaaaaaaa-0000-4000-8000-00000000000b', protocol: 'PROMETHEUS', protocolPort: 9100, defaultPoolId: null,
      connectionLimit: 10, allowedCidrs: ['10.231.1.0/24'] })],
  }),
  'disabled-listener-and-pool': desiredLb({
    listeners: [listener({ adminStateUp: false }), listener({ listenerId: 'aaaaaaaa-0000-4000-8000-000000000009', protocolPort: 81 })],
    pools: [pool({ adminStateUp: false })],
  }),
};

/** Render options per golden case beyond the stats socket (TERMINATED_HTTPS needs the agent's cert dir and digest). */
export const GOLDEN_OPTIONS: Record<string, { certDir?: string; certDigest?: string; withoutHealthChecks?: boolean }> = {
  'terminated-https-sni': { certDir: '/run/lbaas/t/certs', certDigest: 'ab'.repeat(32) },
  'terminated-https-tls-options': { certDir: '/run/lbaas/t/certs', certDigest: 'cd'.repeat(32) },
  'terminated-https-client-auth': { certDir: '/run/lbaas/t/certs', certDigest: 'ef'.repeat(32) },
  'pool-reencrypt-verify': { certDir: '/run/lbaas/t/certs', certDigest: '01'.repeat(32) },
  'pool-reencrypt-empty': { certDir: '/run/lbaas/t/certs', certDigest: '02'.repeat(32) },
  'held-back-without-checks': { withoutHealthChecks: true },
};
