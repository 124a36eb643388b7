import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { rolesClaim, stringClaim, type Claims } from './claims';
import {
  AuthError, PROJECT_ID, REQUIRES_AUTHENTICATION, silentAuthLogger, singleHeader, unavailable,
  type Authenticator, type AuthLogger, type Identity, type RequestHeaders,
} from './identity';

/** Asymmetric JWS algorithms; the symmetric HS* ones need a configured secret and are refused otherwise. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const SYMMETRIC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export type JwtAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number] | (typeof SYMMETRIC_ALGORITHMS)[number];

/** Where identity is read in the token's claims (paths, see claims.ts); an empty path means "not taken". */
export type JwtClaimNames = Readonly<{ user: string; userName: string; project: string; projectName: string; roles: string }>;
export const DEFAULT_JWT_CLAIMS: JwtClaimNames = { user: 'sub', userName: 'preferred_username', project: 'project_id', projectName: '', roles: 'roles' };

/**
 * `jwt`, for API gateways and OIDC: a bearer token verified with `jose` against one key source (a JWKS URL, a
 * public key, or, only when HS* algorithms are configured, a shared secret), with `iss`, `aud`, `exp` (required)
 * and `nbf` checked. `alg: none` is never accepted (jose cannot verify it, and an unsigned token proves nothing).
 */
export type JwtAuthOptions = Readonly<{
  key:
    | Readonly<{ kind: 'jwks'; url: string; timeoutMs?: number; cacheMaxAgeS?: number; cooldownS?: number }>
    | Readonly<{ kind: 'publicKey'; pem: string }>
    | Readonly<{ kind: 'secret'; secret: string }>;
  issuer: string | readonly string[];
  audience: string | readonly string[];
  /** Accepted `alg` values (default RS256, ES256). */
  algorithms?: readonly JwtAlgorithm[];
  /** Clock skew tolerated on exp/nbf/iat (default 30 s). */
  clockSkewS?: number;
  claims?: Partial<JwtClaimNames>;
  /** Header carrying the token (default `authorization`, where it must be `Bearer <token>`; others carry it bare). */
  header?: string;
  /** Retry-After of 503 answers (default 5 s). */
  retryAfterS?: number;
  /** Seconds since the epoch, for tests; jose uses the system clock otherwise. */
  now?: () => number;
  logger?: AuthLogger;
}>;

/** Thrown inside key resolution when the JWKS endpoint did not give keys (down, slow, garbage): a 503, not a 401. */
class KeySourceUnavailable extends Error {
  constructor(options: { cause: unknown }) {
    super('the JWKS endpoint did not give a key set', options);
    this.name = 'KeySourceUnavailable';
  }
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;

/** Checks the options and builds the verifier; throws (at start-up) on a contradiction. */
export function jwtAuthenticator(o: JwtAuthOptions): Authenticator {
  const algorithms = [...(o.algorithms ?? ['RS256', 'ES256'])];
  const symmetric = algorithms.filter((a) => (SYMMETRIC_ALGORITHMS as readonly string[]).includes(a));
  if ((algorithms as string[]).includes('none')) throw new Error('jwt: alg none is never accepted');
  if (symmetric.length && o.key.kind !== 'secret') throw new Error(`jwt: ${symmetric.join(', ')} need a shared secret, not a ${o.key.kind}`);
  if (o.key.kind === 'secret' && symmetric.length !== algorithms.length) throw new Error('jwt: a shared secret verifies HS* algorithms only');
  const log = o.logger ?? silentAuthLogger;
  const retryAfterS = o.retryAfterS ?? 5;
  const claims = { ...DEFAULT_JWT_CLAIMS, ...o.claims };
  const headerName = (o.header ?? 'authorization').toLowerCase();
  const www = { 'www-authenticate': 'Bearer realm="lbaas", error="invalid_token"' };
  const refused = (reason: string, cause?: unknown) => new AuthError(401, REQUIRES_AUTHENTICATION, reason, www, { cause });

  let key: KeyObject | JWTVerifyGetKey;
  switch (o.key.kind) {
    case 'jwks': {
      const remote = createRemoteJWKSet(new URL(o.key.url), {
        timeoutDuration: o.key.timeoutMs ?? 3_000,
        cacheMaxAge: (o.key.cacheMaxAgeS ?? 600) * 1000,
        cooldownDuration: (o.key.cooldownS ?? 30) * 1000,
      });
      key = async (header, token) => {
        try {
          return await remote(header, token);
        } catch (err) {
          // A token naming a key the (fresh) set does not have is the token's fault; anything else is the endpoint's.
          if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) throw err;
          throw new KeySourceUnavailable({ cause: err });
        }
      };
      break;
    }
    case 'publicKey':
      key = createPublicKey(o.key.pem);
      break;
    case 'secret':
      key = createSecretKey(Buffer.from(o.key.secret, 'utf8'));
      break;
  }

  return {
    strategy: 'jwt',
    async authenticate(headers: RequestHeaders): Promise<Identity | AuthError> {
      const raw = singleHeader(headers, headerName);
      if (raw === undefined) return refused(`no ${headerName} header`);
      if (typeof raw !== 'string') return refused(`${headerName} sent more than once`);
      let token = raw.trim();
      if (headerName === 'authorization') {
        const m = /^Bearer\s+(\S+)$/i.exec(token);
        if (!m) return refused('authorization is not "Bearer <token>"');
        token = m[1];
      }
      if (token.length > 16_384 || !JWT_SHAPE.test(token)) return refused('not a compact JWS');
      let payload: JWTPayload;
      try {
        const verified = await jwtVerify(token, key as Parameters<typeof jwtVerify>[1], {
          algorithms,
          issuer: typeof o.issuer === 'string' ? o.issuer : [...o.issuer],
          audience: typeof o.audience === 'string' ? o.audience : [...o.audience],
          clockTolerance: o.clockSkewS ?? 30,
          requiredClaims: ['exp'],
          ...(o.now ? { currentDate: new Date(o.now() * 1000) } : {}),
        });
        payload = verified.payload;
      } catch (err) {
        if (err instanceof KeySourceUnavailable) {
          log.warn({ op: 'auth', strategy: 'jwt', err: String(err.cause) }, 'JWKS endpoint unavailable');
          return unavailable('The token keys are temporarily unavailable.', `jwt: ${String(err.cause)}`, retryAfterS, err);
        }
        const code = (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error');
        return refused(`jwt: ${code}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
      return identityFromClaims(payload, claims) ?? refused(`jwt: the ${claims.project} claim is not a project id`);
    },
  };
}

/** JWT claims → Identity (pure); undefined when the project claim is present but not a valid project id. */
export function identityFromClaims(payload: Claims, names: JwtClaimNames): Identity | undefined {
  const projectId = stringClaim(payload, names.project) ?? null;
  if (projectId !== null && !PROJECT_ID.test(projectId)) return undefined;
  const roles = rolesClaim(payload, names.roles);
  const exp = typeof payload.exp === 'number' ? new Date(payload.exp * 1000).toISOString() : null;
  const jti = stringClaim(payload, 'jti');
  return {
    source: 'jwt',
    userId: stringClaim(payload, names.user) ?? null,
    userName: stringClaim(payload, names.userName) ?? null,
    userDomain: null,
    projectId,
    projectName: stringClaim(payload, names.projectName) ?? null,
    domain: null,
    roles,
    isAdmin: roles.includes('admin'),
    isAdminProject: false,
    systemScope: null,
    auditIds: jti ? [jti] : [],
    expiresAt: exp,
  };
}
