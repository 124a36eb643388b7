import { issuePasswordToken, keystoneV3 } from '@lbaas/app-shell';
import {
  AuthError, PROJECT_ID, REQUIRES_AUTHENTICATION, silentAuthLogger, singleHeader, unavailable,
  type Authenticator, type AuthLogger, type DomainRef, type Identity, type RequestHeaders,
} from './identity';
import { Coalescer, TokenCache, tokenKey } from './token-cache';

/**
 * `keystone`: X-Auth-Token validated by Keystone (`GET /v3/auth/tokens?nocatalog` with a service token of a user
 * holding the `service` role, keystonemiddleware's way). The identity comes from Keystone's answer only; client
 * headers such as X-Project-Id and X-Roles are never read. Answers are cached by the token's sha256.
 */
export type KeystoneAuthOptions = Readonly<{
  /** Where validation goes (`http://keystone:5000`, with or without /v3). */
  url: string;
  /** What 401 answers name in `WWW-Authenticate: Keystone uri="..."` (where clients get tokens). */
  publicUrl: string;
  /** The service user (role `service`) whose token authorises validations. */
  service: Readonly<{ userName: string; password: string; userDomainId: string; projectName: string; projectDomainId: string }>;
  /** How long a validation is trusted (default 300 s, as keystonemiddleware's token_cache_time; 0 = ask every time). */
  cacheTimeS?: number;
  /** Most cached validations (default 10000; the least recently used are dropped). */
  cacheSize?: number;
  /** Bound on one validation, the service-token fetch included (default 3000 ms). */
  timeoutMs?: number;
  /** Retry-After of 503 answers (default 5 s). */
  retryAfterS?: number;
  /** Clock in milliseconds (cache expiry, service-token refresh). */
  now?: () => number;
  logger?: AuthLogger;
}>;

/** Counters for tests and benchmarks: how often Keystone was asked. */
export type KeystoneAuthStats = Readonly<{ validations: number; serviceTokens: number; cached: number }>;

export interface KeystoneAuthenticator extends Authenticator {
  stats(): KeystoneAuthStats;
}

/** A token Keystone said is invalid (404), cached as such so garbage does not reach Keystone again. */
const INVALID = Symbol('invalid');
type Validation = Identity | typeof INVALID;

// Fernet tokens are urlsafe base64 (~180-250 characters); JWS tokens have dots. Anything else is not a token.
const TOKEN_SHAPE = /^[A-Za-z0-9_.=+/-]{16,8192}$/;
// keystoneauth's MIN_TOKEN_LIFE_SECONDS: a service token this close to expiry is replaced before use.
const SERVICE_TOKEN_MARGIN_MS = 120_000;

export function keystoneAuthenticator(o: KeystoneAuthOptions): KeystoneAuthenticator {
  const now = o.now ?? Date.now;
  const log = o.logger ?? silentAuthLogger;
  const timeoutMs = o.timeoutMs ?? 3_000;
  const retryAfterS = o.retryAfterS ?? 5;
  const cache = new TokenCache<Validation>({ ttlMs: (o.cacheTimeS ?? 300) * 1000, maxEntries: o.cacheSize ?? 10_000, now });
  const validations = new Coalescer<Validation | AuthError>();
  const www = { 'www-authenticate': `Keystone uri="${o.publicUrl}"` };
  const refused = (reason: string) => new AuthError(401, REQUIRES_AUTHENTICATION, reason, www);
  const down = (reason: string, cause?: unknown) => unavailable('The Keystone service is temporarily unavailable.', reason, retryAfterS, cause);
  const stats = { validations: 0, serviceTokens: 0, cached: 0 };

  let service: { token: string; refreshAt: number } | undefined;
  let serviceFetch: Promise<string> | undefined;
  const serviceToken = (signal: AbortSignal): Promise<string> => {
    if (service && now() < service.refreshAt) return Promise.resolve(service.token);
    serviceFetch ??= (async () => {
      try {
        stats.serviceTokens++;
        const t = await issuePasswordToken(o.url, {
          userName: o.service.userName, password: o.service.password, userDomainId: o.service.userDomainId,
          project: { name: o.service.projectName, domainId: o.service.projectDomainId },
        }, { signal, timeoutMs });
        const issuedAt = now();
        const expires = Date.parse(t.expiresAt);
        // Half the lifetime for short-lived tokens, else two minutes before expiry.
        const margin = Math.min(SERVICE_TOKEN_MARGIN_MS, (expires - issuedAt) / 2);
        service = { token: t.token, refreshAt: expires - margin };
        return t.token;
      } finally {
        serviceFetch = undefined;
      }
    })();
    return serviceFetch;
  };

  const ask = async (token: string, svc: string, signal: AbortSignal) => {
    stats.validations++;
    const res = await fetch(`${keystoneV3(o.url)}/auth/tokens?nocatalog`, {
      headers: { 'x-auth-token': svc, 'x-subject-token': token, accept: 'application/json' }, signal,
    });
    return { status: res.status, text: await res.text() };
  };

  // A connection the server closed while we reused it fails at once; asking again (GET is safe) is not a new outage.
  const askTwice = async (token: string, svc: string, signal: AbortSignal) => {
    try {
      return await ask(token, svc, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      return ask(token, svc, signal);
    }
  };

  const validate = async (token: string): Promise<Validation | AuthError> => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      for (let attempt = 1; ; attempt++) {
        const svc = await serviceToken(signal);
        const r = await askTwice(token, svc, signal);
        if (r.status === 200) {
          const identity = identityFromKeystoneToken(r.text);
          if (typeof identity === 'string') {
            log.error({ op: 'auth', strategy: 'keystone', reason: identity }, 'keystone answered a validation with an unusable token document');
            return down(`keystone: ${identity}`);
          }
          return identity;
        }
        if (r.status === 404) return INVALID;
        if (r.status === 401 && attempt === 1) {
          // Our service token was revoked or expired early: get a new one and ask once more.
          service = undefined;
          continue;
        }
        if (r.status === 401 || r.status === 403) {
          log.error({ op: 'auth', strategy: 'keystone', status: r.status, user: o.service.userName },
            'keystone refused the service user: it needs the `service` role (KEYSTONE_SERVICE_USER/PASSWORD_FILE/PROJECT)');
          return down(`keystone refused the service token (${r.status})`);
        }
        log.warn({ op: 'auth', strategy: 'keystone', status: r.status }, 'keystone failed a validation');
        return down(`keystone answered ${r.status}`);
      }
    } catch (err) {
      const e = err as { status?: number; name?: string };
      if (e?.name === 'KeystoneRequestFailed' && (e.status === 401 || e.status === 403)) {
        log.error({ op: 'auth', strategy: 'keystone', status: e.status, user: o.service.userName }, 'keystone refused the service user\'s password');
      } else {
        log.warn({ op: 'auth', strategy: 'keystone', err: String(err) }, 'keystone did not answer a validation');
      }
      return down(signal.aborted ? `keystone did not answer within ${timeoutMs} ms` : 'keystone unreachable', err);
    }
  };

  return {
    strategy: 'keystone',
    stats: () => ({ ...stats }),
    async authenticate(headers: RequestHeaders): Promise<Identity | AuthError> {
      const token = singleHeader(headers, 'x-auth-token');
      if (token === undefined) return refused('no X-Auth-Token');
      if (typeof token !== 'string') return refused('X-Auth-Token sent more than once');
      if (!TOKEN_SHAPE.test(token)) return refused('X-Auth-Token is not a token');
      const key = tokenKey(token);
      const hit = cache.get(key);
      if (hit !== undefined) {
        stats.cached++;
        return hit === INVALID ? refused('token invalid (cached)') : hit;
      }
      const v = await validations.run(key, async () => {
        const result = await validate(token);
        if (result === INVALID) cache.set(key, INVALID);
        else if (!(result instanceof AuthError)) cache.set(key, result, Date.parse(result.expiresAt ?? '') || undefined);
        return result;
      });
      if (v === INVALID) return refused('keystone: token not found, expired, revoked, or its user or project disabled');
      if (v instanceof AuthError) return v;
      return v;
    },
  };
}

type KeystoneDomain = { id?: unknown; name?: unknown };
type KeystoneTokenDocument = {
  token?: {
    user?: { id?: unknown; name?: unknown; domain?: KeystoneDomain };
    project?: { id?: unknown; name?: unknown; domain?: KeystoneDomain };
    domain?: KeystoneDomain;
    system?: { all?: unknown };
    roles?: { name?: unknown }[];
    audit_ids?: unknown[];
    expires_at?: unknown;
    is_admin_project?: unknown;
  };
};

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const domainOf = (d: KeystoneDomain | undefined): DomainRef | null => (d && str(d.id) ? { id: str(d.id) as string, name: str(d.name) } : null);

/** Keystone's `GET /v3/auth/tokens` body → Identity (pure); a string says why the document is unusable. */
export function identityFromKeystoneToken(text: string): Identity | string {
  let doc: KeystoneTokenDocument;
  try {
    doc = JSON.parse(text) as KeystoneTokenDocument;
  } catch {
    return 'the body is not JSON';
  }
  const t = doc?.token;
  if (!t || typeof t !== 'object') return 'no token in the body';
  const userId = str(t.user?.id);
  const expiresAt = str(t.expires_at);
  if (!userId || !expiresAt || Number.isNaN(Date.parse(expiresAt))) return 'the token has no user or no expiry';
  const projectId = str(t.project?.id);
  if (projectId !== null && !PROJECT_ID.test(projectId)) return `the project id ${JSON.stringify(projectId).slice(0, 80)} is not one the API accepts`;
  const roles = Array.isArray(t.roles) ? t.roles.map((r) => str(r?.name)).filter((r): r is string => r !== null) : [];
  return {
    source: 'keystone',
    userId,
    userName: str(t.user?.name),
    userDomain: domainOf(t.user?.domain),
    projectId,
    projectName: projectId ? str(t.project?.name) : null,
    domain: projectId ? domainOf(t.project?.domain) : domainOf(t.domain),
    roles,
    isAdmin: roles.includes('admin'),
    isAdminProject: projectId !== null && t.is_admin_project === true,
    systemScope: t.system?.all === true ? 'all' : null,
    auditIds: Array.isArray(t.audit_ids) ? t.audit_ids.filter((a): a is string => typeof a === 'string') : [],
    expiresAt,
  };
}
