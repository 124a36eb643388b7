import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { desiredLb, listener, member, monitor, pool, WEB2 } from '@lbaas/testing';
import { GOLDEN_CASES, GOLDEN_OPTIONS } from './haproxy-config.fixtures';
import { addServerCommand, expectedCodesRegex, renderHaproxy, renderHaproxyConfig, RenderError } from './haproxy-config';

const GOLDEN = join(__dirname, '__golden__');
const opts = { statsSocket: '/run/lbaas/t/stats.sock' };

describe('renderHaproxyConfig golden files', () => {
  for (const [name, lb] of Object.entries(GOLDEN_CASES)) {
    it(`renders ${name} exactly as ${name}.cfg`, () => {
      const text = renderHaproxyConfig(lb, { ...opts, ...GOLDEN_OPTIONS[name] });
      const file = join(GOLDEN, `${name}.cfg`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('renderHaproxyConfig', () => {
  it('renders no frontend for a disabled load balancer or listener, so traffic stops', () => {
    expect(renderHaproxyConfig(desiredLb({ adminStateUp: false }), opts)).not.toContain('frontend');
    expect(renderHaproxyConfig(desiredLb({ listeners: [listener({ adminStateUp: false })] }), opts)).not.toContain('frontend');
  });

  it('cannot be made to emit a second line through an injected newline in url_path', () => {
    const lb = desiredLb({ pools: [pool({ monitor: monitor({ urlPath: '/ok\n    server evil 1.2.3.4:80' }) })] });
    expect(() => renderHaproxyConfig(lb, opts)).toThrow(RenderError);
  });

  it.each([
    ['a space in a member id', desiredLb({ pools: [pool({ members: [member({ memberId: 'a b' })] })] })],
    ['a hostname as member address', desiredLb({ pools: [pool({ members: [member({ address: 'evil.example.com' })] })] })],
    ['a quote in a cookie name', desiredLb({ pools: [pool({ sessionPersistence: { type: 'APP_COOKIE', cookieName: 'a"b', persistenceTimeout: null, persistenceGranularity: null } })] })],
    ['a comment in a domain name', desiredLb({ pools: [pool({ monitor: monitor({ domainName: 'a.com#x' }) })] })],
    ['a port out of range', desiredLb({ listeners: [listener({ protocolPort: 70000 })] })],
    ['an unsupported protocol', desiredLb({ listeners: [listener({ protocol: 'UDP' })] })],
    ['a bad expected code', desiredLb({ pools: [pool({ monitor: monitor({ expectedCodes: '200|x' }) })] })],
  ])('refuses %s', (_what, lb) => expect(() => renderHaproxyConfig(lb, opts)).toThrow(RenderError));

  it('refuses a stats socket path longer than haproxy allows (97)', () =>
    expect(() => renderHaproxyConfig(desiredLb(), { statsSocket: `/${'x'.repeat(97)}` })).toThrow(/97/));

  it.each([
    ['200', '^(200)$'], ['200,202', '^(200|202)$'], ['200, 301', '^(200|301)$'], ['200-203', '^(200|201|202|203)$'], [null, '^(200)$'],
  ])('maps expected_codes %p to %p', (codes, re) => expect(expectedCodesRegex(codes)).toBe(re));

  it('sets maxconn from connection_limit only when it is at least 1', () => {
    expect(renderHaproxyConfig(desiredLb({ listeners: [listener({ connectionLimit: 100 })] }), opts)).toMatch(/frontend [^]*maxconn 100\n/);
    expect(renderHaproxyConfig(desiredLb({ listeners: [listener({ connectionLimit: 0 })] }), opts)).not.toMatch(/frontend [^]*maxconn/);
  });
});

describe('TLS, client certificates, re-encryption and PROMETHEUS (issue 13)', () => {
  const CERT = 'http://api/v1/containers/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
  const CA = 'http://api/v1/secrets/7c1d8f7a-5c1f-4c6d-8d66-1d3e9f802b03';
  const none = { versions: null, ciphers: null, alpn: null, hsts: null, clientAuth: null };
  type TlsOptions = NonNullable<NonNullable<Parameters<typeof listener>[0]>['tlsOptions']>;
  type PoolTls = NonNullable<NonNullable<Parameters<typeof pool>[0]>['tls']>;
  const https = (o: Partial<TlsOptions>, more: Parameters<typeof listener>[0] = {}) => desiredLb({
    listeners: [listener({ protocol: 'TERMINATED_HTTPS', protocolPort: 443, tls: { defaultRef: CERT, sniRefs: [] }, tlsOptions: { ...none, ...o }, ...more })],
  });
  const reencrypt = (t: Partial<PoolTls>, more: Parameters<typeof pool>[0] = {}) =>
    desiredLb({ pools: [pool({ tls: { clientCertRef: null, caRef: null, crlRef: null, versions: null, ciphers: null, alpn: null, ...t }, ...more })] });
  const tlsOpts = { ...opts, certDir: '/run/c' };
  const bind = (lb: ReturnType<typeof desiredLb>) => /\n {4}bind (.*)\n/.exec(renderHaproxyConfig(lb, tlsOpts))![1];

  it.each([
    [['TLSv1.2'], 'ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.2'], [['TLSv1.3', 'TLSv1.2'], 'ssl-min-ver TLSv1.2 ssl-max-ver TLSv1.3'],
    [['TLSv1', 'TLSv1.1', 'TLSv1.2'], 'ssl-min-ver TLSv1.0 ssl-max-ver TLSv1.2'], [['SSLv3', 'TLSv1'], 'ssl-min-ver SSLv3 ssl-max-ver TLSv1.0'],
  ] as const)('tls_versions %p render as %p', (versions, out) => expect(bind(https({ versions: [...versions] }))).toContain(out));

  it.each([
    ['ECDHE-RSA-AES128-GCM-SHA256:!aNULL', 'ciphers ECDHE-RSA-AES128-GCM-SHA256:!aNULL', /ciphersuites/],
    ['TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384', 'ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384', / ciphers /],
    ['HIGH:TLS_CHACHA20_POLY1305_SHA256:-SHA1', 'ciphers HIGH:-SHA1 ciphersuites TLS_CHACHA20_POLY1305_SHA256', /$^/],
  ])('tls_ciphers %p: TLSv1.2 ciphers and TLSv1.3 suites apart (%p)', (ciphers, out, absent) => {
    expect(bind(https({ ciphers }))).toContain(out);
    expect(bind(https({ ciphers }))).not.toMatch(absent);
  });

  it('renders ALPN, HSTS as Octavia writes it, and client authentication with CA and CRL next to the certificates', () => {
    const lb = https({ alpn: ['h2', 'http/1.1'], hsts: { maxAge: 600, includeSubdomains: true, preload: false }, clientAuth: { mode: 'MANDATORY', caRef: CA, crlRef: CA } });
    const cfg = renderHaproxyConfig(lb, tlsOpts);
    expect(bind(lb)).toBe(`10.231.0.10:443 ssl crt-list /run/c/${listener().listenerId}.crtlist ca-file /run/c/${listener().listenerId}.client-ca.pem verify required `
      + `crl-file /run/c/${listener().listenerId}.client-crl.pem alpn h2,http/1.1`);
    expect(cfg).toContain('    http-response set-header Strict-Transport-Security "max-age=600; includeSubDomains;"\n');
    expect(bind(https({ clientAuth: { mode: 'OPTIONAL', caRef: CA, crlRef: null } }))).toMatch(/verify optional$/);
  });

  it('inserts the X-SSL-Client-* headers asked for, on TERMINATED_HTTPS only', () => {
    const headers = { 'X-SSL-Client-CN': 'true', 'X-SSL-Client-Verify': 'True', 'X-SSL-Issuer': 'false' };
    const cfg = renderHaproxyConfig(https({}, { insertHeaders: headers }), tlsOpts);
    expect(cfg).toContain('    http-request set-header X-SSL-Client-Verify %[ssl_c_verify]\n    http-request set-header X-SSL-Client-CN %{+Q}[ssl_c_s_dn(cn)]\n');
    expect(cfg).not.toContain('X-SSL-Issuer');
    expect(renderHaproxyConfig(desiredLb({ listeners: [listener({ insertHeaders: headers })] }), opts)).not.toContain('X-SSL');
  });

  it('re-encrypts to members with the same options in the file and on add server', () => {
    const { servers, text } = renderHaproxy(reencrypt({ clientCertRef: CERT, caRef: CA, crlRef: CA, versions: ['TLSv1.3'], alpn: ['h2'] }), tlsOpts);
    const ssl = `ssl crt /run/c/${pool().poolId}.member-crt.pem verify required ca-file /run/c/${pool().poolId}.member-ca.pem `
      + `crl-file /run/c/${pool().poolId}.member-crl.pem sni ssl_fc_sni ssl-min-ver TLSv1.3 ssl-max-ver TLSv1.3 alpn h2 check-ssl check-alpn http/1.1`;
    expect(text).toContain(`server ${member().memberId} 10.231.1.11:8080 weight 1 check inter 1s fall 2 rise 1 ${ssl}\n`);
    expect(addServerCommand(servers[0])).toBe(`add server ${pool().poolId}/${member().memberId} 10.231.1.11:8080 weight 1 check inter 1s fall 2 rise 1 ${ssl}`);
    expect(renderHaproxyConfig(reencrypt({}), opts)).toContain('ssl verify none sni ssl_fc_sni');
  });

  it('lets checks of a re-encrypting pool ride its TLS, also on add server (check-ssl; no verify none, no plain-text SSL hello)', () => {
    const verified = renderHaproxy(reencrypt({ caRef: CA }, { monitor: monitor({ type: 'HTTPS' }) }), tlsOpts);
    expect(verified.text).not.toMatch(/server .* verify none/);
    expect(addServerCommand(verified.servers[0])).toMatch(/ verify required .* check-ssl$/);
    expect(renderHaproxyConfig(reencrypt({}, { monitor: null }), opts)).not.toContain('check-ssl');
    expect(renderHaproxyConfig(reencrypt({}, { monitor: monitor({ type: 'TLS-HELLO' }) }), opts)).not.toContain('ssl-hello-chk');
    expect(renderHaproxyConfig(desiredLb({ pools: [pool({ monitor: monitor({ type: 'HTTPS' }) })] }), opts)).toContain('check-ssl verify none');
  });

  it('reloads a re-encrypting pool going from no server to some (its files load only with the file); later members go at runtime', () => {
    const structure = (members: ReturnType<typeof member>[]) => renderHaproxy(reencrypt({ caRef: CA }, { members }), tlsOpts).structure;
    expect(structure([member()])).not.toBe(structure([]));
    expect(structure([member(), member({ memberId: WEB2, address: '10.231.1.12' })])).toBe(structure([member()]));
    expect(renderHaproxy(reencrypt({ caRef: CA }), tlsOpts).structure).not.toBe(renderHaproxy(reencrypt({ caRef: CA, versions: ['TLSv1.3'] }), tlsOpts).structure);
  });

  it('renders a PROMETHEUS listener as haproxy\'s own exporter on /metrics, 404 elsewhere', () => {
    const cfg = renderHaproxyConfig(desiredLb({ listeners: [listener({ protocol: 'PROMETHEUS', protocolPort: 9100, defaultPoolId: null })], pools: [] }), opts);
    expect(cfg).toContain('    bind 10.231.0.10:9100\n');
    expect(cfg).toContain('    http-request use-service prometheus-exporter if { path /metrics }\n    http-request return status 404\n');
    expect(cfg).not.toContain('default_backend');
  });

  const rule = (type: 'SSL_CONN_HAS_CERT' | 'SSL_VERIFY_RESULT' | 'SSL_DN_FIELD', value: string, key: string | null = null, compareType: 'EQUAL_TO' | 'REGEX' = 'EQUAL_TO') =>
    https({ clientAuth: { mode: 'OPTIONAL', caRef: CA, crlRef: null } }, { l7Policies: [{
      l7PolicyId: 'p1', action: 'REJECT', adminStateUp: true, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null,
      rules: [{ l7RuleId: 'r1', type, compareType, key, value, invert: false, adminStateUp: true }],
    }] });
  it.each([
    [rule('SSL_CONN_HAS_CERT', 'True'), '    acl r1 ssl_c_used\n'],
    [rule('SSL_VERIFY_RESULT', '0'), '    acl r1 ssl_c_verify eq 0\n'],
    [rule('SSL_DN_FIELD', '^ops-[a-z]+$', 'OU', 'REGEX'), "    acl r1 ssl_c_s_dn(OU) -m reg '^ops-[a-z]+$'\n"],
  ])('renders SSL_* L7 rules (%#)', (lb, acl) => expect(renderHaproxyConfig(lb, tlsOpts)).toContain(acl));

  // Hostile values that reach the renderer past (or around) the API: each refused, never written.
  it.each([
    ['TLS options on a plain HTTP listener', desiredLb({ listeners: [listener({ tlsOptions: { ...none, clientAuth: { mode: 'MANDATORY', caRef: CA, crlRef: null } } })] })],
    ['a newline in tls_ciphers', https({ ciphers: 'HIGH\n    server evil 1.2.3.4:80' })],
    ['a space in tls_ciphers', https({ ciphers: 'HIGH verify none' })],
    ['a quote in tls_ciphers', https({ ciphers: "HIGH'" })],
    ['a # in tls_ciphers', https({ ciphers: 'HIGH#x' })],
    ['an empty tls_ciphers element', https({ ciphers: 'HIGH::MEDIUM' })],
    ['tls_ciphers over 2048 chars', https({ ciphers: 'A'.repeat(2049) })],
    ['a negated TLSv1.3 suite', https({ ciphers: 'HIGH:!TLS_AES_128_GCM_SHA256' })],
    ['an unknown TLS version', https({ versions: ['TLSv9' as 'TLSv1.3'] })],
    ['TLS versions with a hole', https({ versions: ['TLSv1', 'TLSv1.2'] })],
    ['SSLv3 alone', https({ versions: ['SSLv3'] })],
    ['an empty version list', https({ versions: [] })],
    ['an unknown ALPN protocol', https({ alpn: ['h2 verify none' as 'h2'] })],
    ['a negative HSTS max age', https({ hsts: { maxAge: -1, includeSubdomains: false, preload: false } })],
    ['a fractional HSTS max age', https({ hsts: { maxAge: 1.5, includeSubdomains: false, preload: false } })],
    ['an unknown client authentication mode', https({ clientAuth: { mode: 'ALWAYS' as 'OPTIONAL', caRef: CA, crlRef: null } })],
    ['a pool cipher with a newline', reencrypt({ ciphers: 'HIGH\nbackend x' })],
    ['a pool version hole', reencrypt({ versions: ['TLSv1.1', 'TLSv1.3'] })],
    ['a pool CRL without a CA', reencrypt({ crlRef: CA })],
    ['a pool ALPN with a comma smuggled in', reencrypt({ alpn: ['h2,evil' as 'h2'] })],
    ['an SSL_CONN_HAS_CERT value other than true', rule('SSL_CONN_HAS_CERT', 'False verify none')],
    ['an SSL_VERIFY_RESULT that is not a number', rule('SSL_VERIFY_RESULT', '0 || 1')],
    ['an SSL_DN_FIELD key with a parenthesis', rule('SSL_DN_FIELD', 'x', 'CN) || always_true (')],
    ['an SSL_DN_FIELD value with a quote', rule('SSL_DN_FIELD', "x' || '", 'CN')],
    ['an SSL_DN_FIELD value with a newline', rule('SSL_DN_FIELD', 'x\n    use_backend evil', 'CN')],
  ])('refuses %s', (_what, lb) => expect(() => renderHaproxyConfig(lb, tlsOpts)).toThrow(RenderError));

  it('refuses client authentication or a verified pool without the agent\'s cert dir (files not written)', () => {
    expect(() => renderHaproxyConfig(reencrypt({ caRef: CA }), opts)).toThrow(/CA: its certificate files were not written/);
    expect(() => renderHaproxyConfig(https({ clientAuth: { mode: 'MANDATORY', caRef: CA, crlRef: null } }), opts)).toThrow(RenderError);
  });

});

describe('renderHaproxy: structure and servers (what the runtime API can change)', () => {
  const WEB3 = '33333333-3333-4333-8333-333333333333';
  const base = desiredLb();
  const structureOf = (lb: typeof base) => renderHaproxy(lb, opts).structure;
  const withMembers = (members: ReturnType<typeof member>[], o: Parameters<typeof pool>[0] = {}) =>
    desiredLb({ pools: [pool({ ...o, members })] });

  it.each([
    ['a member added', withMembers([member(), member({ memberId: WEB2, address: '10.231.1.12' }), member({ memberId: WEB3, address: '10.231.1.13' })])],
    ['a member removed', withMembers([member()])],
    ['a weight', withMembers([member({ weight: 7 }), member({ memberId: WEB2, address: '10.231.1.12' })])],
    ['a member disabled', withMembers([member({ adminStateUp: false }), member({ memberId: WEB2, address: '10.231.1.12' })])],
    ['the backup flag', withMembers([member(), member({ memberId: WEB2, address: '10.231.1.12', backup: true })])],
    ['a monitor address and port', withMembers([member({ monitorAddress: '10.231.1.99', monitorPort: 9000 }), member({ memberId: WEB2, address: '10.231.1.12' })])],
  ])('keeps the structure when only %s changes', (_what, lb) => {
    expect(structureOf(lb)).toBe(structureOf(base));
    expect(renderHaproxyConfig(lb, opts)).not.toBe(renderHaproxyConfig(base, opts));
  });

  it.each([
    ['the monitor delay (check inter on every server)', desiredLb({ pools: [pool({ monitor: monitor({ delay: 9 }) })] })],
    ['the monitor type', desiredLb({ pools: [pool({ monitor: monitor({ type: 'TCP', httpMethod: null, urlPath: null, expectedCodes: null }) })] })],
    ['the algorithm', desiredLb({ pools: [pool({ lbAlgorithm: 'LEAST_CONNECTIONS' })] })],
    ['the persistence', desiredLb({ pools: [pool({ sessionPersistence: { type: 'HTTP_COOKIE', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })] })],
    ['the pool protocol (PROXY on every server)', desiredLb({ listeners: [listener({ protocol: 'TCP' })], pools: [pool({ protocol: 'PROXY' })] })],
    ['a listener port', desiredLb({ listeners: [listener({ protocolPort: 8080 })] })],
    ['the held-back (no checks) form', base, { withoutHealthChecks: true }],
  ])('changes the structure when %s changes', (_what, lb, more = {}) => {
    expect(renderHaproxy(lb, { ...opts, ...more }).structure).not.toBe(structureOf(base));
  });

  it('describes each server as the file renders it, and as add server takes it (no disabled, no cookie)', () => {
    const { servers, text } = renderHaproxy(withMembers([member({ weight: 5, adminStateUp: false, monitorAddress: '10.231.1.21', monitorPort: 9000 }),
      member({ memberId: WEB2, address: '10.231.1.12', backup: true })], { protocol: 'PROXY' }), opts);
    expect(servers.map((s) => [s.name, s.weight, s.enabled, s.backup, s.check?.addr ?? null, s.proxy])).toEqual([
      [member().memberId, 5, false, false, '10.231.1.21', 'send-proxy'], [WEB2, 1, true, true, null, 'send-proxy'],
    ]);
    expect(text).toContain(`server ${member().memberId} 10.231.1.11:8080 weight 5 check inter 1s fall 2 rise 1 addr 10.231.1.21 port 9000 send-proxy disabled`);
    expect(addServerCommand(servers[0])).toBe(`add server ${pool().poolId}/${member().memberId} 10.231.1.11:8080 weight 5 check inter 1s fall 2 rise 1 addr 10.231.1.21 port 9000 send-proxy`);
    expect(addServerCommand(servers[1])).toBe(`add server ${pool().poolId}/${WEB2} 10.231.1.12:8080 weight 1 check inter 1s fall 2 rise 1 send-proxy backup`);
  });

  it('gives hashing pools consistent hashing and stable, distinct server ids (the same after adds and removals)', () => {
    const ids = (lb: typeof base) => Object.fromEntries(renderHaproxy(lb, opts).servers.map((s) => [s.name, s.id]));
    const three = withMembers([member(), member({ memberId: WEB2, address: '10.231.1.12' }), member({ memberId: WEB3, address: '10.231.1.13' })], { lbAlgorithm: 'SOURCE_IP' });
    const two = withMembers([member(), member({ memberId: WEB3, address: '10.231.1.13' })], { lbAlgorithm: 'SOURCE_IP' });
    expect(renderHaproxyConfig(three, opts)).toContain('    balance source\n    hash-type consistent\n');
    expect(new Set(Object.values(ids(three))).size).toBe(3);
    expect(ids(two)).toEqual({ [member().memberId]: ids(three)[member().memberId], [WEB3]: ids(three)[WEB3] });
    expect(renderHaproxy(withMembers([member()]), opts).servers[0].id).toBeNull();
  });

  it('puts the server state file next to the stats socket and loads it on every start', () => {
    const text = renderHaproxyConfig(base, opts);
    expect(text).toContain('    server-state-file /run/lbaas/t/servers.state\n');
    expect(text).toContain('    load-server-state-from-file global\n');
  });
});

describe('additional VIPs', () => {
  it('binds every listener on the VIP and on each additional VIP (IPv6 ones with ipv6@)', () => {
    const text = renderHaproxyConfig(desiredLb({ additionalVips: [{ address: '203.0.113.5', subnetId: 's2', prefixLen: 24 }, { address: 'fd00::5', subnetId: 's6', prefixLen: 64 }] }), opts);
    expect(text.split('\n').filter((l) => l.includes('bind '))).toEqual(['    bind 10.231.0.10:80', '    bind 203.0.113.5:80', '    bind ipv6@fd00::5:80']);
  });
  it('refuses an additional VIP that is not an address', () =>
    expect(() => renderHaproxyConfig(desiredLb({ additionalVips: [{ address: '203.0.113.5\n    bind 0.0.0.0:1', subnetId: 's2', prefixLen: 24 }] }), opts)).toThrow(RenderError));
});
