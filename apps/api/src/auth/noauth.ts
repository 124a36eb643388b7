import { AuthError, PROJECT_ID, singleHeader, type Authenticator, type Identity, type RequestHeaders } from './identity';

/**
 * `noauth`, as in Octavia: every caller is admin, and is whoever its headers say. For a laptop, never for tenants.
 * Project from X-Project-Id (or X-Tenant-Id), else `defaultProjectId`; user from X-User-Id; roles from X-Roles
 * (comma-separated), else `admin`.
 */
export function noauthAuthenticator(o: Readonly<{ defaultProjectId: string | null }>): Authenticator {
  return {
    strategy: 'noauth',
    authenticate: async (headers) => noauthIdentity(headers, o.defaultProjectId),
  };
}

const USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;
const ROLE = /^[A-Za-z0-9_:-]{1,64}$/;

const bad = (header: string, value: string, why: string) =>
  new AuthError(400, `Invalid input for field/attribute ${header}. Value: '${value.slice(0, 100)}'. ${why}`, `noauth: ${header} ${why}`);

/** The noauth identity of a request (pure). */
export function noauthIdentity(headers: RequestHeaders, defaultProjectId: string | null): Identity | AuthError {
  const one = (name: string): string | undefined | AuthError => {
    const v = singleHeader(headers, name);
    return typeof v === 'object' ? bad(name, '', 'Sent more than once.') : v;
  };
  const project = one('x-project-id') ?? one('x-tenant-id');
  if (project instanceof AuthError) return project;
  if (project !== undefined && !PROJECT_ID.test(project)) return bad('X-Project-Id', project, 'Value should match [A-Za-z0-9_-]{1,64}.');
  const user = one('x-user-id');
  if (user instanceof AuthError) return user;
  if (user !== undefined && !USER_ID.test(user)) return bad('X-User-Id', user, 'Value should match [A-Za-z0-9_.@-]{1,64}.');
  const rolesHeader = one('x-roles');
  if (rolesHeader instanceof AuthError) return rolesHeader;
  const roles = rolesHeader === undefined ? ['admin'] : rolesHeader.split(',').map((r) => r.trim()).filter((r) => r !== '');
  const wrong = roles.find((r) => !ROLE.test(r));
  if (wrong !== undefined) return bad('X-Roles', rolesHeader ?? '', 'Each role should match [A-Za-z0-9_:-]{1,64}.');
  return {
    source: 'noauth',
    userId: user ?? null,
    userName: null,
    userDomain: null,
    projectId: project ?? defaultProjectId,
    projectName: null,
    domain: null,
    roles,
    isAdmin: true,
    isAdminProject: false,
    systemScope: null,
    auditIds: [],
    expiresAt: null,
  };
}
