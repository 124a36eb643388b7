/**
 * Who is calling, as one of the three authenticators established it (issue 9). Plain data in, plain data out:
 * no HTTP framework types, so the edge calls `authenticate(request.headers)` in one hook and either carries the
 * Identity on to the policy or answers with the AuthError's status, headers and body.
 */

/** A Keystone domain (or the JWT claim configured as one). */
export type DomainRef = Readonly<{ id: string; name: string | null }>;

/** The validated caller. Only what the token (keystone, jwt) or, in noauth, the caller's headers said. */
export type Identity = Readonly<{
  source: 'noauth' | 'keystone' | 'jwt';
  userId: string | null;
  userName: string | null;
  userDomain: DomainRef | null;
  /** The project the token is scoped to; null for unscoped, domain- and system-scoped tokens. */
  projectId: string | null;
  projectName: string | null;
  /** The domain of the scope: the project's domain, or the domain of a domain-scoped token. */
  domain: DomainRef | null;
  /** Role names as the token carries them (Keystone includes implied roles: member brings reader). */
  roles: readonly string[];
  /** noauth: always; keystone and jwt: the token carries the `admin` role (Octavia's `context_is_admin`). */
  isAdmin: boolean;
  /** Keystone's `is_admin_project` (the token's project is `[resource] admin_project_name`); false elsewhere. */
  isAdminProject: boolean;
  /** `all` for a system-scoped Keystone token (Octavia's project-scoped rules refuse it); null otherwise. */
  systemScope: 'all' | null;
  /** Keystone's audit ids (the token's and its parent's), or the JWT's `jti`: what the audit trail names. */
  auditIds: readonly string[];
  /** When the token expires (ISO 8601); null in noauth. */
  expiresAt: string | null;
}>;

/** Request headers as Node gives them: lower-case names, repeated headers as arrays. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

export type AuthStatus = 400 | 401 | 403 | 503;

const TITLES: Record<AuthStatus, string> = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' };

/**
 * A refused request: the status, the headers to send (`WWW-Authenticate` on 401, `Retry-After` on 503), the text
 * for the client, and a `reason` for the log line only (it may name what was wrong with the token).
 */
export class AuthError extends Error {
  constructor(
    readonly status: AuthStatus,
    message: string,
    readonly reason: string,
    readonly headers: Readonly<Record<string, string>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AuthError';
  }

  /** The body keystonemiddleware sends (what Octavia's clients see for a refused token): `{"error": {code, title, message}}`. */
  get body(): { error: { code: number; title: string; message: string } } {
    return { error: { code: this.status, title: TITLES[this.status], message: this.message } };
  }
}

/** One authentication strategy. `authenticate` never throws: every failure is an AuthError value. */
export interface Authenticator {
  readonly strategy: Identity['source'];
  authenticate(headers: RequestHeaders): Promise<Identity | AuthError>;
}

/** What the authenticators log (pino's Logger fits). */
export type AuthLogger = Readonly<{
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}>;

export const silentAuthLogger: AuthLogger = { warn: () => undefined, error: () => undefined };

/** The one value of a header; `multiple` when it was sent more than once (ambiguous for credentials). */
export function singleHeader(headers: RequestHeaders, name: string): string | undefined | { multiple: true } {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (v.length === 1) return v[0];
  return v.length === 0 ? undefined : { multiple: true };
}

/** Project ids as the API accepts them everywhere (Keystone's are 32 hex digits). */
export const PROJECT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const REQUIRES_AUTHENTICATION = 'The request you have made requires authentication.';

/** 503 with Retry-After: the identity service (Keystone, the JWKS endpoint) did not answer usefully. */
export const unavailable = (message: string, reason: string, retryAfterS: number, cause?: unknown): AuthError =>
  new AuthError(503, message, reason, { 'retry-after': String(retryAfterS) }, { cause });
