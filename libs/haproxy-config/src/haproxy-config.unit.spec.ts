import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { desiredLb, listener, member, monitor, pool } from '@lbaas/testing';
import { GOLDEN_CASES, GOLDEN_OPTIONS } from './haproxy-config.fixtures';
import { expectedCodesRegex, renderHaproxyConfig, RenderError } from './haproxy-config';

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
