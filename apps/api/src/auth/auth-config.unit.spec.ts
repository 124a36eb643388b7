import { generateKeyPairSync } from 'node:crypto';
import { ConfigError } from '@lbaas/app-shell';
import { createAuthenticator, loadAuthConfig } from './auth-config';

const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
const files: Record<string, string> = { '/run/pw': 'service-password\n', '/run/key.pem': pem, '/run/secret': 'x'.repeat(40), '/run/short': 'short', '/run/garbage.pem': 'not a key' };
const readFile = (p: string) => {
  if (!(p in files)) throw new Error('ENOENT: no such file');
  return files[p];
};
const load = (env: Record<string, string>) => loadAuthConfig(env, readFile);
const problems = (env: Record<string, string>): string[] => {
  try {
    load(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('auth configuration', () => {
  it('is noauth by default, with the default project', () => {
    expect(load({})).toEqual({ strategy: 'noauth', defaultProjectId: null });
    expect(load({ DEFAULT_PROJECT_ID: 'demo' })).toEqual({ strategy: 'noauth', defaultProjectId: 'demo' });
    expect(createAuthenticator(load({})).strategy).toBe('noauth');
  });

  it('keystone: defaults, the password from its file, and every problem at once', () => {
    expect(load({ AUTH_STRATEGY: 'keystone', KEYSTONE_URL: 'http://127.0.0.1:5000/', KEYSTONE_SERVICE_PASSWORD_FILE: '/run/pw' })).toEqual({
      strategy: 'keystone',
      keystone: {
        url: 'http://127.0.0.1:5000', publicUrl: 'http://127.0.0.1:5000',
        service: { userName: 'lbaas', password: 'service-password', userDomainId: 'default', projectName: 'service', projectDomainId: 'default' },
        cacheTimeS: 300, cacheSize: 10000, timeoutMs: 3000, retryAfterS: 5,
      },
    });
    expect(problems({ AUTH_STRATEGY: 'keystone', KEYSTONE_PUBLIC_URL: 'ftp://x', KEYSTONE_SERVICE_PASSWORD_FILE: '/nope', TOKEN_CACHE_TIME_S: '-1' })).toEqual([
      'KEYSTONE_URL is required',
      'KEYSTONE_PUBLIC_URL must be an http(s) URL, got "ftp://x"',
      'KEYSTONE_SERVICE_PASSWORD_FILE: cannot read /nope: ENOENT: no such file',
      'TOKEN_CACHE_TIME_S must be an integer in 0..86400, got "-1"',
    ]);
    expect(createAuthenticator(load({ AUTH_STRATEGY: 'keystone', KEYSTONE_URL: 'http://k:5000', KEYSTONE_SERVICE_PASSWORD_FILE: '/run/pw' })).strategy).toBe('keystone');
  });

  it('jwt: a JWKS URL, issuer and audience lists, claims', () => {
    const c = load({
      AUTH_STRATEGY: 'jwt', JWT_JWKS_URL: 'https://idp/jwks', JWT_ISSUER: 'https://idp', JWT_AUDIENCE: 'lbaas,octavia',
      JWT_ROLES_CLAIM: 'realm_access.roles', JWT_HEADER: 'X-Forwarded-Access-Token',
    });
    expect(c).toMatchObject({
      strategy: 'jwt',
      jwt: {
        key: { kind: 'jwks', url: 'https://idp/jwks', timeoutMs: 3000, cacheMaxAgeS: 600, cooldownS: 30 },
        issuer: 'https://idp', audience: ['lbaas', 'octavia'], algorithms: ['RS256', 'ES256'], clockSkewS: 30, header: 'x-forwarded-access-token',
        claims: { user: 'sub', userName: 'preferred_username', project: 'project_id', projectName: '', roles: 'realm_access.roles' },
      },
    });
    expect(createAuthenticator(c).strategy).toBe('jwt');
    expect(load({ AUTH_STRATEGY: 'jwt', JWT_PUBLIC_KEY_FILE: '/run/key.pem', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'ES256' }))
      .toMatchObject({ jwt: { key: { kind: 'publicKey', pem } } });
    expect(load({ AUTH_STRATEGY: 'jwt', JWT_SECRET_FILE: '/run/secret', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256' }))
      .toMatchObject({ jwt: { key: { kind: 'secret' }, algorithms: ['HS256'] } });
  });

  it.each([
    [{ JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /exactly one of JWT_JWKS_URL, JWT_PUBLIC_KEY_FILE, JWT_SECRET_FILE is required, got none/],
    [{ JWT_JWKS_URL: 'https://idp/jwks', JWT_PUBLIC_KEY_FILE: '/run/key.pem', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /got JWT_JWKS_URL, JWT_PUBLIC_KEY_FILE/],
    [{ JWT_JWKS_URL: 'https://idp/jwks' }, /JWT_ISSUER is required/],
    [{ JWT_JWKS_URL: 'https://idp/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'RS256,none' }, /none is never accepted/],
    [{ JWT_JWKS_URL: 'https://idp/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'RS1' }, /unknown algorithm "RS1"/],
    [{ JWT_JWKS_URL: 'https://idp/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256' }, /HS\* algorithms: they need JWT_SECRET_FILE/],
    [{ JWT_SECRET_FILE: '/run/secret', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /JWT_SECRET_FILE needs JWT_ALGORITHMS with HS256/],
    [{ JWT_SECRET_FILE: '/run/short', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', JWT_ALGORITHMS: 'HS256' }, /at least 32 bytes/],
    [{ JWT_PUBLIC_KEY_FILE: '/run/garbage.pem', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' }, /does not hold a PEM public key/],
  ])('jwt refuses %j', (env, message) => {
    expect(problems({ AUTH_STRATEGY: 'jwt', ...env }).join('\n')).toMatch(message);
  });

  it('refuses an unknown strategy', () => {
    expect(problems({ AUTH_STRATEGY: 'trust-me' })).toEqual(['AUTH_STRATEGY must be noauth, keystone or jwt, got "trust-me"']);
  });
});
