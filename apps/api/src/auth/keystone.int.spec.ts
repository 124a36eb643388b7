import { createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { keystoneInstalled, keystonePerFile, type TestKeystoneUserName } from '@lbaas/testing';
import { AuthError, type Identity } from './identity';
import { keystoneAuthenticator, type KeystoneAuthOptions } from './keystone';

// A real Keystone (Debian 12's keystone 22) started by this file; scripts/install.sh --tests installs it.
if (!keystoneInstalled()) throw new Error('Debian\'s keystone package is missing: run sudo bash scripts/install.sh --tests');

const ks = keystonePerFile();
const PUBLIC = 'https://keystone.example.org:5000';

const options = (over: Partial<KeystoneAuthOptions> = {}): KeystoneAuthOptions => ({
  url: ks.url,
  publicUrl: PUBLIC,
  service: { userName: 'lbaas', password: ks.users.lbaas.password, userDomainId: 'default', projectName: 'service', projectDomainId: 'default' },
  cacheTimeS: 300,
  timeoutMs: 2_000,
  ...over,
});

const identity = (r: Identity | AuthError): Identity => {
  if (r instanceof AuthError) throw new Error(`expected an identity, got ${r.status}: ${r.reason}`);
  return r;
};
const refusal = (r: Identity | AuthError): AuthError => {
  if (!(r instanceof AuthError)) throw new Error(`expected an AuthError, got the identity of ${r.userName}`);
  return r;
};
const expect401 = (r: Identity | AuthError) => {
  const e = refusal(r);
  expect(e.status).toBe(401);
  expect(e.headers['www-authenticate']).toBe(`Keystone uri="${PUBLIC}"`);
  expect(e.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
  return e;
};
const expect503 = (r: Identity | AuthError) => {
  const e = refusal(r);
  expect(e.status).toBe(503);
  expect(e.headers['retry-after']).toBe('5');
  expect(e.body.error.message).toBe('The Keystone service is temporarily unavailable.');
  return e;
};

describe('keystone authenticator against a real Keystone', () => {
  describe('valid tokens map to the identity Keystone states', () => {
    const cases: [TestKeystoneUserName, 'A' | 'B' | 'service' | 'admin', string[]][] = [
      ['a-reader', 'A', ['reader']],
      ['a-member', 'A', ['member', 'reader']], // Keystone's implied roles: member implies reader
      ['b-member', 'B', ['member', 'reader']],
      ['a-admin', 'A', ['admin', 'member', 'reader']],
      ['lbaas', 'service', ['service']],
      ['a-lb-observer', 'A', ['load-balancer_observer']],
      ['a-lb-global-observer', 'A', ['load-balancer_global_observer']],
      ['a-lb-member', 'A', ['load-balancer_member']],
      ['a-lb-quota-admin', 'A', ['load-balancer_quota_admin']],
      ['a-lb-admin', 'A', ['load-balancer_admin']],
      ['admin', 'admin', ['admin', 'member', 'reader']],
    ];
    it.each(cases)('%s: project %s, roles %j', async (user, project, roles) => {
      const auth = keystoneAuthenticator(options());
      const issued = await ks.issue(user);
      const id = identity(await auth.authenticate({ 'x-auth-token': issued.token }));
      expect(id).toEqual({
        source: 'keystone',
        userId: ks.users[user].id,
        userName: user,
        userDomain: { id: 'default', name: 'Default' },
        projectId: ks.projects[project].id,
        projectName: ks.projects[project].name,
        domain: { id: 'default', name: 'Default' },
        roles: expect.any(Array),
        isAdmin: roles.includes('admin'),
        isAdminProject: project === 'admin',
        systemScope: null,
        auditIds: (issued.document as { audit_ids: string[] }).audit_ids,
        expiresAt: issued.expiresAt,
      });
      expect([...id.roles].sort()).toEqual([...roles].sort());
      expect(id.auditIds).toHaveLength(1);
    });

    it('marks a system-scoped token as such, with no project', async () => {
      const auth = keystoneAuthenticator(options());
      const id = identity(await auth.authenticate({ 'x-auth-token': (await ks.issue('admin', 'system')).token }));
      expect(id).toMatchObject({ systemScope: 'all', projectId: null, projectName: null, isAdmin: true, isAdminProject: false, userName: 'admin' });
    });
  });

  it('ignores X-Project-Id, X-Tenant-Id and X-Roles sent by the client with a valid token of another project', async () => {
    const auth = keystoneAuthenticator(options());
    const id = identity(await auth.authenticate({
      'x-auth-token': await ks.token('b-member'),
      'x-project-id': ks.projects.A.id, 'x-tenant-id': ks.projects.A.id, 'x-roles': 'admin', 'x-user-id': ks.users['a-admin'].id,
    }));
    expect(id).toMatchObject({ projectId: ks.projects.B.id, userId: ks.users['b-member'].id, isAdmin: false });
    expect(id.roles).not.toContain('admin');
  });

  describe('bad tokens are 401 with WWW-Authenticate', () => {
    it.each([
      ['no token', {}],
      ['an empty token', { 'x-auth-token': '' }],
      ['garbage', { 'x-auth-token': 'this is not a token' }],
      ['garbage of token shape', { 'x-auth-token': 'gAAAAABnotavalidfernettokenatallnotavalidfernettoken' }],
      ['control characters', { 'x-auth-token': 'gAAAAAB\r\nX-Roles: admin' }],
      ['a 20 kB token', { 'x-auth-token': 'A'.repeat(20_000) }],
      ['two tokens', { 'x-auth-token': ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbbbbb'] }],
    ])('%s', async (_what, headers) => {
      const auth = keystoneAuthenticator(options());
      expect401(await auth.authenticate(headers));
    });

    it('a truncated and a bit-flipped token', async () => {
      const auth = keystoneAuthenticator(options());
      const good = await ks.token('a-member');
      expect401(await auth.authenticate({ 'x-auth-token': good.slice(0, -12) }));
      const flipped = good.slice(0, 60) + (good[60] === 'A' ? 'B' : 'A') + good.slice(61);
      expect401(await auth.authenticate({ 'x-auth-token': flipped }));
      identity(await auth.authenticate({ 'x-auth-token': good }));
    });

    it('an expired token', async () => {
      const auth = keystoneAuthenticator(options());
      const short = await ks.shortLivedToken('a-member', 3);
      identity(await auth.authenticate({ 'x-auth-token': short.token }));
      // The cache keeps a validation no longer than the token lives, so no cache time is needed here.
      await new Promise((r) => setTimeout(r, Date.parse(short.expiresAt) - Date.now() + 1_500));
      const e = expect401(await auth.authenticate({ 'x-auth-token': short.token }));
      expect(e.reason).toMatch(/not found|expired/);
    });

    it('a revoked token, once the cache time has passed (honoured until then, as keystonemiddleware does)', async () => {
      const auth = keystoneAuthenticator(options({ cacheTimeS: 1 }));
      const token = await ks.token('a-member');
      identity(await auth.authenticate({ 'x-auth-token': token }));
      await ks.revoke(token);
      identity(await auth.authenticate({ 'x-auth-token': token }));
      await new Promise((r) => setTimeout(r, 1_100));
      expect401(await auth.authenticate({ 'x-auth-token': token }));
    });

    it('a token whose project was disabled, and one whose user was disabled', async () => {
      const auth = keystoneAuthenticator(options({ cacheTimeS: 0 }));
      await ks.setProjectEnabled('disabled', true);
      const projectToken = await ks.token('disabled-project-member');
      await ks.setUserEnabled('disabled-user', true);
      const userToken = await ks.token('disabled-user');
      identity(await auth.authenticate({ 'x-auth-token': projectToken }));
      identity(await auth.authenticate({ 'x-auth-token': userToken }));
      await ks.setProjectEnabled('disabled', false);
      await ks.setUserEnabled('disabled-user', false);
      expect401(await auth.authenticate({ 'x-auth-token': projectToken }));
      expect401(await auth.authenticate({ 'x-auth-token': userToken }));
    });
  });

  it('caches by token: a second validation does not ask Keystone; concurrent ones ask once', async () => {
    const auth = keystoneAuthenticator(options());
    const token = await ks.token('a-reader');
    const ids = await Promise.all(Array.from({ length: 20 }, () => auth.authenticate({ 'x-auth-token': token })));
    for (const r of ids) expect(identity(r).userName).toBe('a-reader');
    expect(auth.stats()).toEqual({ validations: 1, serviceTokens: 1, cached: 0 });
    identity(await auth.authenticate({ 'x-auth-token': token }));
    expect(auth.stats()).toMatchObject({ validations: 1, cached: 1 });
    // Garbage is remembered as invalid too, so it does not reach Keystone again.
    expect401(await auth.authenticate({ 'x-auth-token': 'gAAAAABnotavalidfernettokenatall' }));
    expect401(await auth.authenticate({ 'x-auth-token': 'gAAAAABnotavalidfernettokenatall' }));
    expect(auth.stats()).toMatchObject({ validations: 2, cached: 2 });
  });

  it('gets a new service token when Keystone stops accepting the old one, and refreshes it before expiry', async () => {
    let now = Date.now();
    const auth = keystoneAuthenticator(options({ cacheTimeS: 0, now: () => now }));
    identity(await auth.authenticate({ 'x-auth-token': await ks.token('a-reader') }));
    expect(auth.stats().serviceTokens).toBe(1);
    // Revoke every token of the service user: the authenticator's own one is among them.
    await ks.admin.request('PATCH', `/users/${ks.users.lbaas.id}`, { user: { password: ks.users.lbaas.password } });
    // Keystone's revocation has one-second resolution: a token issued in the same second would be revoked too.
    await new Promise((r) => setTimeout(r, 1_100));
    identity(await auth.authenticate({ 'x-auth-token': await ks.token('a-member') }));
    expect(auth.stats().serviceTokens).toBe(2);
    // 59 minutes later (the token lives 60) the service token is replaced before it is used again.
    now += 59 * 60_000;
    identity(await auth.authenticate({ 'x-auth-token': await ks.token('a-member') }));
    expect(auth.stats().serviceTokens).toBe(3);
  });

  it('answers 503 when the service user cannot validate (wrong password, or no service role)', async () => {
    const wrong = keystoneAuthenticator(options({ service: { ...options().service, password: 'wrong' } }));
    expect503(await wrong.authenticate({ 'x-auth-token': await ks.token('a-member') }));
    const reader = keystoneAuthenticator(options({
      service: { userName: 'a-reader', password: ks.users['a-reader'].password, userDomainId: 'default', projectName: 'project-a', projectDomainId: 'default' },
    }));
    expect503(await reader.authenticate({ 'x-auth-token': await ks.token('a-member') }));
  });

  describe('Keystone unavailable', () => {
    let hole: Server | undefined;
    const sockets = new Set<Socket>();
    afterEach(async () => {
      ks.resume();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => (hole ? hole.close(() => r()) : r()));
      hole = undefined;
    });

    it('a listener that accepts and never answers: 503 within the timeout', async () => {
      hole = createServer((s) => { sockets.add(s); });
      await new Promise<void>((r) => hole!.listen(0, '127.0.0.1', r));
      const port = (hole.address() as { port: number }).port;
      const auth = keystoneAuthenticator(options({ url: `http://127.0.0.1:${port}`, timeoutMs: 500 }));
      const t0 = Date.now();
      expect503(await auth.authenticate({ 'x-auth-token': await ks.token('a-member') }));
      expect(Date.now() - t0).toBeLessThan(1_500);
    });

    it('Keystone stopped (SIGSTOP): 503 within the timeout for a new token; a cached token keeps working', async () => {
      const auth = keystoneAuthenticator(options({ timeoutMs: 500 }));
      const cached = await ks.token('a-member');
      const fresh = await ks.token('b-member');
      identity(await auth.authenticate({ 'x-auth-token': cached }));
      ks.pause();
      const t0 = Date.now();
      const e = expect503(await auth.authenticate({ 'x-auth-token': fresh }));
      expect(Date.now() - t0).toBeLessThan(1_500);
      expect(e.reason).toMatch(/within 500 ms/);
      expect(identity(await auth.authenticate({ 'x-auth-token': cached })).userName).toBe('a-member');
      ks.resume();
      // A failure is not cached: once Keystone answers again the same token validates.
      expect(identity(await auth.authenticate({ 'x-auth-token': fresh })).userName).toBe('b-member');
    });

    it('Keystone down (process stopped): 503 for a new token, cached token still an identity; back after restart', async () => {
      const auth = keystoneAuthenticator(options());
      const cached = await ks.token('a-member');
      const fresh = await ks.token('b-member');
      identity(await auth.authenticate({ 'x-auth-token': cached }));
      await ks.stopProcess();
      const t0 = Date.now();
      expect503(await auth.authenticate({ 'x-auth-token': fresh }));
      expect(Date.now() - t0).toBeLessThan(1_000);
      expect(identity(await auth.authenticate({ 'x-auth-token': cached })).userName).toBe('a-member');
      await ks.restart();
      expect(identity(await auth.authenticate({ 'x-auth-token': fresh })).userName).toBe('b-member');
    });
  });

  it('stop() removes the Keystone directory', async () => {
    const dir = ks.dir;
    expect(existsSync(`${dir}/keystone.db`)).toBe(true);
    await ks.stop();
    expect(existsSync(dir)).toBe(false);
  });
});
