import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createHmac, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, SignJWT, type JWTPayload } from 'jose';
import { AuthError, type Identity } from './identity';
import { jwtAuthenticator, type JwtAuthOptions } from './jwt';

// JWTs signed by test keys and served from a real local JWKS endpoint (node:http on 127.0.0.1).

const ISS = 'https://idp.example.org/realms/lbaas';
const AUD = 'lbaas-api';
const now = () => Math.floor(Date.now() / 1000);

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 });

type Mode = 'ok' | 'down' | 'garbage' | 'not-a-jwks' | 'hang' | '500';
let mode: Mode = 'ok';
let jwksHits = 0;
let server: Server;
let jwksUrl = '';
const sockets = new Set<Socket>();

beforeAll(async () => {
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    jwksHits++;
    if (mode === 'hang') return; // accept, never answer
    if (mode === '500') return void res.writeHead(500).end('oops');
    if (mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ this is not json');
    if (mode === 'not-a-jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": "none"}');
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify({ keys }));
  });
  server.on('connection', (s: Socket) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => { mode = 'ok'; jwksHits = 0; });

const options = (over: Partial<JwtAuthOptions> = {}): JwtAuthOptions => ({
  key: { kind: 'jwks', url: jwksUrl, timeoutMs: 500, cooldownS: 0 },
  issuer: ISS, audience: AUD, algorithms: ['RS256', 'ES256'], clockSkewS: 30, ...over,
});

const claims = (over: JWTPayload = {}): JWTPayload => ({
  iss: ISS, aud: AUD, sub: 'user-1', preferred_username: 'alice', project_id: 'project-a', roles: ['member', 'reader'],
  iat: now(), exp: now() + 300, jti: 'jti-1', ...over,
});

const sign = (payload: JWTPayload, o: { alg?: 'RS256' | 'ES256'; key?: KeyObject; kid?: string | null } = {}) => {
  const alg = o.alg ?? 'RS256';
  const kid = o.kid === undefined ? (alg === 'RS256' ? 'rsa-1' : 'ec-1') : o.kid;
  return new SignJWT(payload).setProtectedHeader({ alg, typ: 'JWT', ...(kid ? { kid } : {}) })
    .sign(o.key ?? (alg === 'RS256' ? rsa.privateKey : ec.privateKey));
};
const b64 = (x: unknown) => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x)).toString('base64url');
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

const identity = (r: Identity | AuthError): Identity => {
  if (r instanceof AuthError) throw new Error(`expected an identity, got ${r.status}: ${r.reason}`);
  return r;
};
const refused = (r: Identity | AuthError, status: 401 | 503 = 401): AuthError => {
  if (!(r instanceof AuthError)) throw new Error(`expected ${status}, got the identity of ${r.userName}`);
  expect({ status: r.status, reason: r.reason }).toMatchObject({ status });
  if (status === 401) expect(r.headers['www-authenticate']).toBe('Bearer realm="lbaas", error="invalid_token"');
  if (status === 503) expect(r.headers['retry-after']).toBe('5');
  return r;
};

describe('jwt authenticator with a JWKS endpoint', () => {
  it.each(['RS256', 'ES256'] as const)('accepts a valid %s token and maps its claims', async (alg) => {
    const auth = jwtAuthenticator(options());
    const exp = now() + 300;
    expect(identity(await auth.authenticate(bearer(await sign(claims({ exp }), { alg }))))).toEqual({
      source: 'jwt', userId: 'user-1', userName: 'alice', userDomain: null, projectId: 'project-a', projectName: null, domain: null,
      roles: ['member', 'reader'], isAdmin: false, isAdminProject: false, systemScope: null, auditIds: ['jti-1'],
      expiresAt: new Date(exp * 1000).toISOString(),
    });
  });

  it('fetches the key set once and then verifies from the cache', async () => {
    const auth = jwtAuthenticator(options());
    for (let i = 0; i < 5; i++) identity(await auth.authenticate(bearer(await sign(claims()))));
    identity(await auth.authenticate(bearer(await sign(claims(), { alg: 'ES256' }))));
    expect(jwksHits).toBe(1);
  });

  it.each([
    ['expired beyond the clock skew', { exp: now() - 60 }],
    ['with nbf 60 s ahead', { nbf: now() + 60 }],
    ['with a foreign issuer', { iss: 'https://evil.example.org' }],
    ['for another audience', { aud: 'another-service' }],
    ['without exp', { exp: undefined }],
  ])('refuses a token %s', async (_what, over) => {
    const auth = jwtAuthenticator(options());
    const payload = claims(over);
    if ('exp' in over && over.exp === undefined) delete payload.exp;
    refused(await auth.authenticate(bearer(await sign(payload))));
  });

  it('tolerates the configured clock skew on exp and nbf', async () => {
    const auth = jwtAuthenticator(options({ clockSkewS: 30 }));
    identity(await auth.authenticate(bearer(await sign(claims({ exp: now() - 10, nbf: now() + 10 })))));
  });

  it('refuses alg none without asking the JWKS endpoint', async () => {
    const auth = jwtAuthenticator(options());
    for (const alg of ['none', 'None', 'NONE']) {
      const e = refused(await auth.authenticate(bearer(`${b64({ alg, typ: 'JWT' })}.${b64(claims())}.`)));
      expect(e.reason).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED|ERR_JWS_INVALID|ERR_JOSE_NOT_SUPPORTED/);
    }
    expect(jwksHits).toBe(0);
  });

  it('refuses an HS256 token whose HMAC key is the public key (algorithm confusion)', async () => {
    const auth = jwtAuthenticator(options());
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' }) as string;
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'rsa-1' })}.${b64(claims())}`;
    const sig = createHmac('sha256', pem).update(head).digest('base64url');
    const e = refused(await auth.authenticate(bearer(`${head}.${sig}`)));
    expect(e.reason).toMatch(/ERR_JOSE_ALG_NOT_ALLOWED/);
  });

  it('refuses a token signed by another key, under a known or an unknown kid', async () => {
    const auth = jwtAuthenticator(options());
    refused(await auth.authenticate(bearer(await sign(claims(), { key: otherRsa.privateKey }))));
    const e = refused(await auth.authenticate(bearer(await sign(claims(), { key: otherRsa.privateKey, kid: 'unknown' }))));
    expect(e.reason).toMatch(/ERR_JWKS_NO_MATCHING_KEY/);
  });

  it.each([
    ['no Authorization header', {}],
    ['Basic credentials', { authorization: 'Basic dXNlcjpwYXNz' }],
    ['a bearer that is not a JWT', { authorization: 'Bearer not-a-jwt' }],
    ['a truncated JWT', { authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0' }],
    ['garbage segments', { authorization: 'Bearer a.b.c' }],
    ['two Authorization headers', { authorization: ['Bearer a.b.c', 'Bearer d.e.f'] }],
  ])('refuses %s', async (_what, headers) => {
    refused(await jwtAuthenticator(options()).authenticate(headers));
  });

  it('refuses a token whose project claim is not a project id', async () => {
    const auth = jwtAuthenticator(options());
    const e = refused(await auth.authenticate(bearer(await sign(claims({ project_id: 'a/../b' })))));
    expect(e.reason).toMatch(/project_id claim/);
  });

  it('reads configured claims: nested paths and roles as a space-separated string', async () => {
    const auth = jwtAuthenticator(options({
      claims: { user: 'sub', userName: 'email', project: 'tenant.id', projectName: 'tenant.name', roles: 'scope' },
    }));
    const id = identity(await auth.authenticate(bearer(await sign(claims({
      email: 'bob@example.org', tenant: { id: 'proj-b', name: 'Project B' }, scope: 'openid admin member', roles: undefined,
    })))));
    expect(id).toMatchObject({ userName: 'bob@example.org', projectId: 'proj-b', projectName: 'Project B', roles: ['openid', 'admin', 'member'], isAdmin: true });
  });

  describe('JWKS endpoint unavailable', () => {
    it.each([
      ['down', 'down'],
      ['answering 500', '500'],
      ['serving garbage', 'garbage'],
      ['serving JSON that is not a key set', 'not-a-jwks'],
      ['accepting and never answering', 'hang'],
    ] as const)('%s: 503 within the timeout for a token whose key is not cached', async (_what, m) => {
      const auth = jwtAuthenticator(options());
      const url = m === 'down' ? 'http://127.0.0.1:1/jwks' : jwksUrl;
      const down = jwtAuthenticator(options({ key: { kind: 'jwks', url, timeoutMs: 500 } }));
      mode = m;
      const t0 = Date.now();
      const e = refused(await down.authenticate(bearer(await sign(claims()))), 503);
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(e.body.error.message).toBe('The token keys are temporarily unavailable.');
      mode = 'ok';
      identity(await auth.authenticate(bearer(await sign(claims()))));
    });

    it('a key fetched before the outage keeps verifying; a new kid is 503 while the endpoint is down', async () => {
      const auth = jwtAuthenticator(options());
      identity(await auth.authenticate(bearer(await sign(claims()))));
      mode = 'garbage';
      identity(await auth.authenticate(bearer(await sign(claims()))));
      refused(await auth.authenticate(bearer(await sign(claims(), { key: otherRsa.privateKey, kid: 'rotated-2' }))), 503);
    });
  });
});

describe('jwt authenticator with a configured key', () => {
  const pem = ec.publicKey.export({ type: 'spki', format: 'pem' }) as string;

  it('verifies against a PEM public key and refuses other keys', async () => {
    const auth = jwtAuthenticator(options({ key: { kind: 'publicKey', pem } }));
    identity(await auth.authenticate(bearer(await sign(claims(), { alg: 'ES256', kid: null }))));
    refused(await auth.authenticate(bearer(await sign(claims(), { alg: 'ES256', key: generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey }))));
    refused(await auth.authenticate(bearer(await sign(claims(), { alg: 'RS256' }))));
  });

  it('accepts HS256 only when configured with a shared secret, and then nothing else', async () => {
    const secret = 'a shared secret of at least thirty-two bytes';
    const auth = jwtAuthenticator({ key: { kind: 'secret', secret }, issuer: ISS, audience: AUD, algorithms: ['HS256'] });
    const hs = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
    identity(await auth.authenticate(bearer(hs)));
    refused(await auth.authenticate(bearer(await sign(claims()))));
    expect(() => jwtAuthenticator(options({ algorithms: ['HS256'] }))).toThrow(/need a shared secret/);
    expect(() => jwtAuthenticator(options({ key: { kind: 'publicKey', pem }, algorithms: ['RS256', 'HS256'] }))).toThrow(/need a shared secret/);
  });

  it('reads a token from another header when configured (a gateway forwarding it bare)', async () => {
    const auth = jwtAuthenticator(options({ key: { kind: 'publicKey', pem: createPublicKey(rsa.privateKey).export({ type: 'spki', format: 'pem' }) as string }, header: 'X-Forwarded-Access-Token' }));
    identity(await auth.authenticate({ 'x-forwarded-access-token': await sign(claims()) }));
    refused(await auth.authenticate(bearer(await sign(claims()))));
  });
});
