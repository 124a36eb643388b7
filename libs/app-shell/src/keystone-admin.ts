/**
 * A small client of Keystone's v3 API (no npm package does Keystone): issuing tokens by password or application
 * credential, and the admin calls that provisioning needs (roles, projects, users, grants, catalog). Every call is
 * bounded by a timeout. Used by the api's service token, by `lbaasctl up --keystone` and by the test Keystone.
 */

/** Keystone answered with a status the caller did not expect; `status` 0 means no answer (refused, timed out). */
export class KeystoneRequestFailed extends Error {
  constructor(readonly method: string, readonly path: string, readonly status: number, readonly body: string, options?: { cause?: unknown }) {
    super(`keystone: ${method} ${path}: ${status === 0 ? 'no answer' : `${status} ${body.slice(0, 300)}`}`, options);
    this.name = 'KeystoneRequestFailed';
  }
}

/** Who asks for a token, and for which scope (project by name or id, a domain, the system, or unscoped). */
export type KeystonePasswordAuth = Readonly<{
  userName: string;
  password: string;
  /** Domain id of the user (default `default`). */
  userDomainId?: string;
  project?: Readonly<{ name: string; domainId?: string } | { id: string }>;
  domain?: Readonly<{ id: string }>;
  system?: boolean;
}>;

/** A token as Keystone issued it: the secret (the X-Subject-Token header) and the token document. */
export type IssuedKeystoneToken = Readonly<{ token: string; expiresAt: string; document: Readonly<Record<string, unknown>> }>;

type CallOptions = Readonly<{ timeoutMs?: number; signal?: AbortSignal }>;

const DEFAULT_TIMEOUT_MS = 10_000;

/** `/v3` under an identity URL given with or without it (`http://k:5000`, `http://k:5000/v3/`). */
export const keystoneV3 = (url: string): string => `${url.replace(/\/+$/, '').replace(/\/v3$/, '')}/v3`;

async function call(
  url: string, method: string, path: string, token: string | undefined, body: unknown, o: CallOptions, extraHeaders: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json', ...extraHeaders };
  if (token) headers['x-auth-token'] = token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(o.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout]) : timeout;
  try {
    const res = await fetch(`${keystoneV3(url)}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    throw new KeystoneRequestFailed(method, path, 0, '', { cause: err });
  }
}

function scopeOf(a: KeystonePasswordAuth): Record<string, unknown> | undefined {
  if (a.system) return { system: { all: true } };
  if (a.domain) return { domain: { id: a.domain.id } };
  if (a.project) return { project: 'id' in a.project ? { id: a.project.id } : { name: a.project.name, domain: { id: a.project.domainId ?? 'default' } } };
  return undefined;
}

async function issue(url: string, auth: Record<string, unknown>, o: CallOptions): Promise<IssuedKeystoneToken> {
  const r = await call(url, 'POST', '/auth/tokens?nocatalog', undefined, { auth }, o);
  const token = r.headers.get('x-subject-token');
  if (r.status !== 201 || !token) throw new KeystoneRequestFailed('POST', '/auth/tokens', r.status, r.text);
  const document = (JSON.parse(r.text) as { token: Record<string, unknown> }).token;
  return { token, expiresAt: String(document.expires_at), document };
}

/** `POST /v3/auth/tokens` with the password method; the token is in the X-Subject-Token header (201). */
export function issuePasswordToken(url: string, a: KeystonePasswordAuth, o: CallOptions = {}): Promise<IssuedKeystoneToken> {
  const scope = scopeOf(a);
  return issue(url, {
    identity: { methods: ['password'], password: { user: { name: a.userName, domain: { id: a.userDomainId ?? 'default' }, password: a.password } } },
    ...(scope ? { scope } : {}),
  }, o);
}

/** A token from an application credential (its scope is the credential's; it expires no later than the credential). */
export function issueApplicationCredentialToken(url: string, id: string, secret: string, o: CallOptions = {}): Promise<IssuedKeystoneToken> {
  return issue(url, { identity: { methods: ['application_credential'], application_credential: { id, secret } } }, o);
}

/** Identity of a Keystone object as provisioning returns it. */
export type KeystoneRef = Readonly<{ id: string; name: string }>;

/** Admin calls made with one (admin) token. Each `ensure*` finds the object by name first, so re-running is harmless. */
export interface KeystoneAdmin {
  readonly url: string;
  ensureRole(name: string): Promise<KeystoneRef>;
  ensureProject(name: string, opts?: Readonly<{ description?: string; domainId?: string }>): Promise<KeystoneRef>;
  ensureUser(name: string, password: string, opts?: Readonly<{ defaultProjectId?: string; domainId?: string }>): Promise<KeystoneRef>;
  /** Gives `userId` the role `roleId` on `projectId` (PUT is idempotent). */
  grantProjectRole(projectId: string, userId: string, roleId: string): Promise<void>;
  grantSystemRole(userId: string, roleId: string): Promise<void>;
  setProjectEnabled(projectId: string, enabled: boolean): Promise<void>;
  setUserEnabled(userId: string, enabled: boolean): Promise<void>;
  /** A catalog entry `type` (e.g. `load-balancer`) with a public endpoint `url` in `region`; the url is updated if it changed. */
  ensureService(type: string, name: string, publicUrl: string, region?: string): Promise<Readonly<{ serviceId: string; endpointId: string }>>;
  /** `DELETE /v3/auth/tokens`: the token is invalid from now on (Keystone's own cache included). */
  revokeToken(token: string): Promise<void>;
  /** Any other call; throws KeystoneRequestFailed unless the status is one of `expect`. */
  request<T = unknown>(method: string, path: string, body?: unknown, expect?: readonly number[]): Promise<T>;
}

/** An admin client over `token` (e.g. the bootstrap admin's, project `admin`). */
export function keystoneAdmin(url: string, token: string, o: CallOptions = {}): KeystoneAdmin {
  const request = async <T>(method: string, path: string, body?: unknown, expect: readonly number[] = [200, 201, 204]): Promise<T> => {
    const r = await call(url, method, path, token, body, o);
    if (!expect.includes(r.status)) throw new KeystoneRequestFailed(method, path, r.status, r.text);
    return (r.text ? JSON.parse(r.text) : undefined) as T;
  };
  const findByName = async (collection: string, name: string, extra = ''): Promise<KeystoneRef | undefined> => {
    const r = await request<Record<string, KeystoneRef[]>>('GET', `/${collection}?name=${encodeURIComponent(name)}${extra}`);
    return r[collection][0];
  };
  const ensure = async (collection: string, singular: string, name: string, create: Record<string, unknown>, extra = ''): Promise<KeystoneRef> => {
    const found = await findByName(collection, name, extra);
    if (found) return { id: found.id, name: found.name };
    const r = await request<Record<string, KeystoneRef>>('POST', `/${collection}`, { [singular]: { name, ...create } });
    return { id: r[singular].id, name: r[singular].name };
  };
  return {
    url,
    request,
    ensureRole: (name) => ensure('roles', 'role', name, {}),
    ensureProject: (name, p = {}) =>
      ensure('projects', 'project', name, { domain_id: p.domainId ?? 'default', description: p.description ?? '', enabled: true }, `&domain_id=${p.domainId ?? 'default'}`),
    async ensureUser(name, password, p = {}) {
      const found = await findByName('users', name, `&domain_id=${p.domainId ?? 'default'}`);
      if (found) {
        // The password may have changed between runs (it is generated per set-up).
        await request('PATCH', `/users/${found.id}`, { user: { password } });
        return { id: found.id, name: found.name };
      }
      const r = await request<{ user: KeystoneRef }>('POST', '/users', {
        user: { name, password, domain_id: p.domainId ?? 'default', enabled: true, ...(p.defaultProjectId ? { default_project_id: p.defaultProjectId } : {}) },
      });
      return { id: r.user.id, name: r.user.name };
    },
    grantProjectRole: async (projectId, userId, roleId) => { await request('PUT', `/projects/${projectId}/users/${userId}/roles/${roleId}`); },
    grantSystemRole: async (userId, roleId) => { await request('PUT', `/system/users/${userId}/roles/${roleId}`); },
    setProjectEnabled: async (projectId, enabled) => { await request('PATCH', `/projects/${projectId}`, { project: { enabled } }); },
    setUserEnabled: async (userId, enabled) => { await request('PATCH', `/users/${userId}`, { user: { enabled } }); },
    async ensureService(type, name, publicUrl, region = 'RegionOne') {
      const services = (await request<{ services: { id: string; type: string }[] }>('GET', `/services?type=${encodeURIComponent(type)}`)).services;
      const serviceId = services[0]?.id ?? (await request<{ service: { id: string } }>('POST', '/services', { service: { type, name, enabled: true } })).service.id;
      const endpoints = (await request<{ endpoints: { id: string; url: string; region_id: string }[] }>(
        'GET', `/endpoints?service_id=${serviceId}&interface=public`)).endpoints.filter((e) => e.region_id === region);
      const have = endpoints[0];
      if (have && have.url === publicUrl) return { serviceId, endpointId: have.id };
      if (have) {
        await request('PATCH', `/endpoints/${have.id}`, { endpoint: { url: publicUrl } });
        return { serviceId, endpointId: have.id };
      }
      const e = await request<{ endpoint: { id: string } }>('POST', '/endpoints', {
        endpoint: { service_id: serviceId, interface: 'public', url: publicUrl, region_id: region, enabled: true },
      });
      return { serviceId, endpointId: e.endpoint.id };
    },
    async revokeToken(subject) {
      const r = await call(url, 'DELETE', '/auth/tokens', token, undefined, o, { 'x-subject-token': subject });
      if (r.status !== 204) throw new KeystoneRequestFailed('DELETE', '/auth/tokens', r.status, r.text);
    },
  };
}
