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

describe('settings the API takes but this renderer does not write yet (refused: the LB ends ERROR, never ACTIVE without them)', () => {
  const https = (tlsOptions: NonNullable<Parameters<typeof listener>[0]>['tlsOptions']) => desiredLb({
    listeners: [listener({ protocol: 'TERMINATED_HTTPS', tls: { defaultRef: 'http://x/v1/secrets/a', sniRefs: [] }, tlsOptions })],
  });
  const none = { versions: null, ciphers: null, alpn: null, hsts: null, clientAuth: null };
  it.each([
    ['tls_versions', { ...none, versions: ['TLSv1.3' as const] }], ['tls_ciphers', { ...none, ciphers: 'HIGH' }], ['alpn_protocols', { ...none, alpn: ['h2' as const] }],
    ['HSTS', { ...none, hsts: { maxAge: 1, includeSubdomains: false, preload: false } }],
    ['client_authentication', { ...none, clientAuth: { mode: 'MANDATORY' as const, caRef: 'http://x/v1/secrets/b', crlRef: null } }],
  ])('refuses a listener with %s', (field, o) =>
    expect(() => renderHaproxyConfig(https(o), { ...opts, certDir: '/run/c' })).toThrow(`listener ${listener().listenerId}: ${field} not rendered by this data plane yet`));
  it('refuses a pool that re-encrypts to its members', () =>
    expect(() => renderHaproxyConfig(desiredLb({ pools: [pool({ tls: { clientCertRef: null, caRef: null, crlRef: null, versions: null, ciphers: null, alpn: null } })] }), opts))
      .toThrow(/tls_enabled \(re-encryption to members\) is not rendered/));
  it('refuses additional VIPs', () =>
    expect(() => renderHaproxyConfig(desiredLb({ additionalVips: [{ address: '203.0.113.5', subnetId: 's2', prefixLen: 24 }] }), opts)).toThrow(/additional_vips/));
  it('refuses SSL_* L7 rules', () =>
    expect(() => renderHaproxyConfig(desiredLb({ listeners: [listener({ l7Policies: [{
      l7PolicyId: 'p1', action: 'REJECT', adminStateUp: true, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null,
      rules: [{ l7RuleId: 'r1', type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', key: null, value: 'True', invert: false, adminStateUp: true }],
    }] })] }), opts)).toThrow(/l7 rule type/));
  it('renders a listener and pool without them as before', () => {
    expect(() => renderHaproxyConfig(desiredLb({ listeners: [listener({ tlsOptions: null })], pools: [pool({ tls: null })], additionalVips: [] }), opts)).not.toThrow();
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
