import { renderHaproxyConfig, RenderError, renderL7, TLS_FILES } from '@lbaas/haproxy-config';
import { desiredLb, LB_ID, listener, LISTENER_ID, pool, POOL_ID } from '@lbaas/testing';
import { plan } from './plan';
import { certFilesFor, tlsRefsOf } from './tls-certs';

const DEF = 'http://api/v1/secrets/6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
const SNI = 'http://api/v1/containers/7b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
const tlsLb = () => desiredLb({ listeners: [listener({ protocol: 'TERMINATED_HTTPS', protocolPort: 443, insertHeaders: { 'X-Forwarded-Proto': 'true' }, tls: { defaultRef: DEF, sniRefs: [SNI] } })] });
const certs = new Map([[DEF, 'DEFAULT-PEM'], [SNI, 'SNI-PEM\n']]);

describe('TERMINATED_HTTPS on the agent', () => {
  it('writes one PEM per certificate and a crt-list with the default first', () => {
    const files = certFilesFor(tlsLb(), '/run/x/lb', certs)!;
    expect(files.dir).toBe('/run/x/lb/certs');
    const list = files.files.find((f) => f.name === `${LISTENER_ID}.crtlist`)!.content.trim().split('\n');
    expect(list).toHaveLength(2);
    const pemFor = (path: string) => files.files.find((f) => `/run/x/lb/certs/${f.name}` === path)!.content;
    expect(list.map(pemFor)).toEqual(['DEFAULT-PEM\n', 'SNI-PEM\n']);
  });

  it('renders bind ... ssl crt-list, X-Forwarded-Proto https, and the certificates digest (new certificates reload)', () => {
    const files = certFilesFor(tlsLb(), '/run/x/lb', certs)!;
    const cfg = renderHaproxyConfig(tlsLb(), { statsSocket: '/run/x/s.sock', certDir: files.dir, certDigest: files.digest });
    expect(cfg).toContain(`bind 10.231.0.10:443 ssl crt-list /run/x/lb/certs/${LISTENER_ID}.crtlist`);
    expect(cfg).toContain('http-request set-header X-Forwarded-Proto https');
    expect(cfg).toContain(`# certificates ${files.digest}`);
    const other = certFilesFor(tlsLb(), '/run/x/lb', new Map([[DEF, 'ROTATED'], [SNI, 'SNI-PEM']]))!;
    expect(other.digest).not.toBe(files.digest);
  });

  it('refuses to render TERMINATED_HTTPS without resolved certificates', () =>
    expect(() => renderHaproxyConfig(tlsLb(), { statsSocket: '/run/x/s.sock' })).toThrow(RenderError));

  it('plans WriteCerts before WriteConfig, and rejects an LB whose certificate cannot be retrieved', () => {
    const one = plan({ agentId: 'a1', loadBalancers: [tlsLb()] }, new Map(), { runDir: '/run/x', certs });
    expect(one[0].kind === 'apply' && one[0].actions.map((a) => a.kind)).toEqual(['CreateNetns', 'PlugVip', 'WriteCerts', 'WriteConfig', 'StartHaproxy']);
    const none = plan({ agentId: 'a1', loadBalancers: [tlsLb()] }, new Map(), { runDir: '/run/x', certs: new Map() });
    expect(none[0]).toMatchObject({ lbId: LB_ID, kind: 'rejected', reason: expect.stringContaining('could not be retrieved') });
  });
});

describe('client authentication and re-encryption files on the agent (issue 13)', () => {
  const CA = 'http://api/v1/secrets/8c1d8f7a-5c1f-4c6d-8d66-1d3e9f802b03';
  const CRL = 'http://api/v1/secrets/9d1d8f7a-5c1f-4c6d-8d66-1d3e9f802b04';
  const MCERT = 'http://api/v1/containers/ad1d8f7a-5c1f-4c6d-8d66-1d3e9f802b05';
  const lb = () => desiredLb({
    listeners: [listener({ protocol: 'TERMINATED_HTTPS', protocolPort: 443, tls: { defaultRef: DEF, sniRefs: [] },
      tlsOptions: { versions: null, ciphers: null, alpn: null, hsts: null, clientAuth: { mode: 'MANDATORY', caRef: CA, crlRef: CRL } } })],
    pools: [pool({ tls: { clientCertRef: MCERT, caRef: CA, crlRef: CRL, versions: null, ciphers: null, alpn: null } })],
  });
  const all = new Map([[DEF, 'DEFAULT-PEM'], [CA, 'CA-PEM'], [CRL, 'CRL-PEM'], [MCERT, 'CLIENT-BUNDLE']]);

  it('writes the client CA and CRL next to the listener certificates, and the pool\'s certificate, CA and CRL, where the config names them', () => {
    const files = certFilesFor(lb(), '/run/x/lb', all)!;
    const cfg = renderHaproxyConfig(lb(), { statsSocket: '/run/x/s.sock', certDir: files.dir, certDigest: files.digest });
    const named = [...cfg.matchAll(/ (?:crt-list|ca-file|crl-file|crt) (\S+)/g)].map((m) => m[1]);
    expect(named.length).toBe(9); // the crt-list, the client CA and CRL, and on each of the two servers its crt, CA and CRL
    for (const path of named) expect(files.files.map((f) => `${files.dir}/${f.name}`)).toContain(path);
    const content = (name: string) => files.files.find((f) => f.name === name)?.content;
    expect([content(TLS_FILES.clientCa(LISTENER_ID)), content(TLS_FILES.clientCrl(LISTENER_ID)), content(TLS_FILES.memberCert(POOL_ID))])
      .toEqual(['CA-PEM\n', 'CRL-PEM\n', 'CLIENT-BUNDLE\n']);
  });

  it('changes the digest (so haproxy reloads) when the CRL changes, and rejects an LB whose CA cannot be retrieved', () => {
    const files = certFilesFor(lb(), '/run/x/lb', all)!;
    expect(certFilesFor(lb(), '/run/x/lb', new Map([...all, [CRL, 'NEWER-CRL']]))!.digest).not.toBe(files.digest);
    expect(() => certFilesFor(lb(), '/run/x/lb', new Map([...all].filter(([k]) => k !== CA)))).toThrow(/could not be retrieved/);
  });

  it('names every reference for resolution, and needs no files for a pool that encrypts without verifying', () => {
    expect(new Set(tlsRefsOf(lb()))).toEqual(new Set([DEF, CA, CRL, MCERT]));
    expect(certFilesFor(desiredLb({ pools: [pool({ tls: { clientCertRef: null, caRef: null, crlRef: null, versions: null, ciphers: null, alpn: null } })] }), '/run/x/lb', all)).toBeNull();
  });
});

describe('L7 rendering refuses what could break the config', () => {
  const policy = (value: string, key: string | null = null) => [{
    l7PolicyId: 'p1', action: 'REJECT' as const, adminStateUp: true, redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null,
    rules: [{ l7RuleId: 'r1', type: (key ? 'HEADER' : 'PATH') as 'HEADER' | 'PATH', compareType: 'EQUAL_TO' as const, key, value, invert: false, adminStateUp: true }],
  }];
  it.each([["a'b"], ['a\nb'], ['']])('a rule value %p', (v) => expect(() => renderL7(policy(v), new Set())).toThrow(RenderError));
  it.each([['X A'], ['X"A'], ['X)A']])('a header name %p', (k) => expect(() => renderL7(policy('v', k), new Set())).toThrow(RenderError));
  it('quotes values so spaces, # and backslashes stay literal', () =>
    expect(renderL7(policy('a b#c\\d'), new Set())).toEqual(["    acl r1 path -m str 'a b#c\\d'", '    http-request deny if r1']));
});
