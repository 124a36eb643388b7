import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { envReader } from '@lbaas/app-shell';
import { PROJECT_ID, type AuthLogger, type Authenticator } from './identity';
import { ASYMMETRIC_ALGORITHMS, DEFAULT_JWT_CLAIMS, jwtAuthenticator, SYMMETRIC_ALGORITHMS, type JwtAlgorithm, type JwtAuthOptions } from './jwt';
import { keystoneAuthenticator, type KeystoneAuthOptions } from './keystone';
import { noauthAuthenticator } from './noauth';

/** The api's authentication settings (docs/auth.md lists the variables). */
export type AuthConfig =
  | Readonly<{ strategy: 'noauth'; defaultProjectId: string | null }>
  | Readonly<{ strategy: 'keystone'; keystone: Omit<KeystoneAuthOptions, 'now' | 'logger'> }>
  | Readonly<{ strategy: 'jwt'; jwt: Omit<JwtAuthOptions, 'now' | 'logger'> }>;

type Reader = ReturnType<typeof envReader>;
type ReadFile = (path: string) => string;

const URL_RE = /^https?:\/\/[^\s/]+(\/\S*)?$/;
const ALGORITHMS: readonly string[] = [...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS];

/**
 * Reads AUTH_STRATEGY and the variables of that strategy, recording problems in `r` (the app's loadConfig calls
 * `r.done()` once for all of its variables). Secrets are read from the files the variables name.
 */
export function readAuthConfig(env: Record<string, string | undefined>, r: Reader, readFile: ReadFile = (p) => readFileSync(p, 'utf8')): AuthConfig {
  const strategy = env.AUTH_STRATEGY || 'noauth';
  const file = (name: string): string => {
    const path = r.str(name);
    if (!path) return '';
    try {
      return readFile(path);
    } catch (err) {
      r.problems.push(`${name}: cannot read ${path}: ${(err as Error).message}`);
      return '';
    }
  };
  const url = (name: string, fallback?: string): string => {
    const v = (env[name] || fallback || '').replace(/\/+$/, '');
    if (!v) r.problems.push(`${name} is required`);
    else if (!URL_RE.test(v)) r.problems.push(`${name} must be an http(s) URL, got ${JSON.stringify(env[name])}`);
    return v;
  };
  const retryAfterS = r.int('AUTH_RETRY_AFTER_S', 5, 1, 3600);
  switch (strategy) {
    case 'noauth': {
      const defaultProjectId = env.DEFAULT_PROJECT_ID || null;
      if (defaultProjectId !== null && !PROJECT_ID.test(defaultProjectId)) r.problems.push(`DEFAULT_PROJECT_ID must match [A-Za-z0-9_-]{1,64}, got ${JSON.stringify(defaultProjectId)}`);
      return { strategy, defaultProjectId };
    }
    case 'keystone': {
      const keystoneUrl = url('KEYSTONE_URL');
      return {
        strategy,
        keystone: {
          url: keystoneUrl,
          publicUrl: url('KEYSTONE_PUBLIC_URL', keystoneUrl),
          service: {
            userName: r.str('KEYSTONE_SERVICE_USER', 'lbaas'),
            password: file('KEYSTONE_SERVICE_PASSWORD_FILE').trim(),
            userDomainId: r.str('KEYSTONE_SERVICE_USER_DOMAIN_ID', 'default'),
            projectName: r.str('KEYSTONE_SERVICE_PROJECT', 'service'),
            projectDomainId: r.str('KEYSTONE_SERVICE_PROJECT_DOMAIN_ID', 'default'),
          },
          cacheTimeS: r.int('TOKEN_CACHE_TIME_S', 300, 0, 86_400),
          cacheSize: r.int('TOKEN_CACHE_SIZE', 10_000, 1, 10_000_000),
          timeoutMs: r.int('KEYSTONE_TIMEOUT_MS', 3_000, 100, 60_000),
          retryAfterS,
        },
      };
    }
    case 'jwt': {
      const algorithms = (env.JWT_ALGORITHMS || 'RS256,ES256').split(',').map((a) => a.trim()).filter(Boolean);
      for (const a of algorithms) {
        if (a.toLowerCase() === 'none') r.problems.push('JWT_ALGORITHMS: none is never accepted (an unsigned token proves nothing)');
        else if (!ALGORITHMS.includes(a)) r.problems.push(`JWT_ALGORITHMS: unknown algorithm ${JSON.stringify(a)} (one of ${ALGORITHMS.join(', ')})`);
      }
      const symmetric = algorithms.some((a) => (SYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
      const sources = ['JWT_JWKS_URL', 'JWT_PUBLIC_KEY_FILE', 'JWT_SECRET_FILE'].filter((n) => env[n]);
      let key: JwtAuthOptions['key'] = { kind: 'publicKey', pem: '' };
      if (sources.length !== 1) r.problems.push(`exactly one of JWT_JWKS_URL, JWT_PUBLIC_KEY_FILE, JWT_SECRET_FILE is required, got ${sources.length ? sources.join(', ') : 'none'}`);
      else if (sources[0] === 'JWT_JWKS_URL') {
        key = {
          kind: 'jwks', url: url('JWT_JWKS_URL'),
          timeoutMs: r.int('JWT_JWKS_TIMEOUT_MS', 3_000, 100, 60_000),
          cacheMaxAgeS: r.int('JWT_JWKS_CACHE_S', 600, 1, 86_400),
          cooldownS: r.int('JWT_JWKS_COOLDOWN_S', 30, 0, 3_600),
        };
      } else if (sources[0] === 'JWT_PUBLIC_KEY_FILE') {
        key = { kind: 'publicKey', pem: file('JWT_PUBLIC_KEY_FILE') };
        if (key.pem) {
          try {
            if (createPublicKey(key.pem).asymmetricKeyType === undefined) throw new Error('not an asymmetric key');
          } catch (err) {
            r.problems.push(`JWT_PUBLIC_KEY_FILE does not hold a PEM public key: ${(err as Error).message}`);
          }
        }
      }
      else key = { kind: 'secret', secret: file('JWT_SECRET_FILE').trim() };
      if (symmetric && key.kind !== 'secret') r.problems.push('JWT_ALGORITHMS names HS* algorithms: they need JWT_SECRET_FILE (and refuse public keys)');
      if (!symmetric && key.kind === 'secret' && sources.length === 1) r.problems.push('JWT_SECRET_FILE needs JWT_ALGORITHMS with HS256, HS384 or HS512 only');
      if (key.kind === 'secret' && sources.length === 1 && Buffer.byteLength(key.secret) < 32) r.problems.push('JWT_SECRET_FILE must hold at least 32 bytes');
      const list = (name: string) => (env[name] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const issuer = list('JWT_ISSUER');
      const audience = list('JWT_AUDIENCE');
      if (!issuer.length) r.problems.push('JWT_ISSUER is required');
      if (!audience.length) r.problems.push('JWT_AUDIENCE is required');
      const claim = (name: string, fallback: string) => env[name] ?? fallback;
      return {
        strategy,
        jwt: {
          key,
          issuer: issuer.length === 1 ? issuer[0] : issuer,
          audience: audience.length === 1 ? audience[0] : audience,
          algorithms: algorithms as JwtAlgorithm[],
          clockSkewS: r.int('JWT_CLOCK_SKEW_S', 30, 0, 600),
          header: (env.JWT_HEADER || 'authorization').toLowerCase(),
          claims: {
            user: claim('JWT_USER_CLAIM', DEFAULT_JWT_CLAIMS.user),
            userName: claim('JWT_USER_NAME_CLAIM', DEFAULT_JWT_CLAIMS.userName),
            project: claim('JWT_PROJECT_CLAIM', DEFAULT_JWT_CLAIMS.project),
            projectName: claim('JWT_PROJECT_NAME_CLAIM', DEFAULT_JWT_CLAIMS.projectName),
            roles: claim('JWT_ROLES_CLAIM', DEFAULT_JWT_CLAIMS.roles),
          },
          retryAfterS,
        },
      };
    }
    default:
      r.problems.push(`AUTH_STRATEGY must be noauth, keystone or jwt, got ${JSON.stringify(strategy)}`);
      return { strategy: 'noauth', defaultProjectId: null };
  }
}

/** readAuthConfig on its own: throws ConfigError listing every problem. */
export function loadAuthConfig(env: Record<string, string | undefined>, readFile?: ReadFile): AuthConfig {
  const r = envReader(env);
  const config = readAuthConfig(env, r, readFile);
  r.done();
  return config;
}

/** The authenticator of a configuration (once, at start-up). */
export function createAuthenticator(config: AuthConfig, deps: Readonly<{ logger?: AuthLogger }> = {}): Authenticator {
  switch (config.strategy) {
    case 'noauth':
      return noauthAuthenticator({ defaultProjectId: config.defaultProjectId });
    case 'keystone':
      return keystoneAuthenticator({ ...config.keystone, logger: deps.logger });
    case 'jwt':
      return jwtAuthenticator({ ...config.jwt, logger: deps.logger });
  }
}
