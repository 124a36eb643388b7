import type { Actor } from '@lbaas/contracts';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError, invalidInput } from './errors';
import { POLICY_FORBIDDEN } from './policy';
import { callerAccess, callerIdentity } from './project-scope';
import { projectId as projectIdRule } from './rules';

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

// Identity fields come from a validated token (or noauth's checked headers); a JWT's claims may still hold any text.
const clean = (v: string | null | undefined): string | undefined =>
  v ? v.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 255) || undefined : undefined;

/**
 * Who is calling, for the commit's actor: the validated identity (user, its name, project, roles, the token's audit
 * id, how it was authenticated) and the client's address as Fastify resolved it (X-Forwarded-For only from
 * TRUSTED_PROXIES). `projectId`: the project the call acts on, for callers of no project.
 */
export function actorOf(req: FastifyRequest, projectId?: string): Actor {
  const id = callerIdentity();
  const auditId = clean(id?.auditIds[0]);
  const userName = clean(id?.userName);
  return {
    kind: 'user',
    projectId: id?.projectId ?? projectId,
    userId: clean(id?.userId) ?? 'anonymous',
    ...(userName ? { userName } : {}),
    roles: [...(id?.roles ?? [])],
    ...(auditId ? { auditId } : {}),
    ...(id ? { auth: id.source } : {}),
    requestId: req.id,
    clientAddress: req.ip,
    service: 'api',
    operation: `${req.method} ${req.routeOptions?.url ?? req.url.split('?')[0]}`,
  };
}

/**
 * The project a new top-level object belongs to: the body's project_id (or tenant_id), else `inherited` (a subnet's
 * network's project), else the caller's project, else `fallback` (DEFAULT_PROJECT_ID in noauth), else Octavia's 400.
 * Naming another project than the caller's is for callers granted every project (admins; Octavia checks the create
 * rule against the body's project): anyone else gets Octavia's 403.
 */
export function projectFor(
  body: { project_id?: string | null; tenant_id?: string | null }, fallback: string | null, inherited?: string,
): string {
  if (body.project_id && body.tenant_id && body.project_id !== body.tenant_id) {
    throw invalidInput('tenant_id', body.tenant_id, 'Value should be the same as project_id');
  }
  const p = body.project_id ?? body.tenant_id ?? inherited ?? callerIdentity()?.projectId ?? fallback;
  if (!p) {
    throw new ApiError(400, 'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.');
  }
  const r = projectIdRule(p);
  if (!r.ok) throw invalidInput('project_id', p, r.reason);
  const access = callerAccess();
  if (!access || (access.kind === 'project' && access.projectId !== p)) throw new ApiError(403, POLICY_FORBIDDEN);
  return p;
}

/** Remembers the load balancer a request touched, for the request log line. */
export const noteLb = (req: FastifyRequest, lbId: string): void => {
  (req as FastifyRequest & { lbId?: string }).lbId = lbId;
};

type WithBase = FastifyRequest & { apiBase?: string };

/** Notes scheme://host of this API as the caller reached it (or API_BASE_URI), once per request (the HTTP edge). */
export const noteBaseUrl = (req: FastifyRequest, config: ApiConfig): void => {
  (req as WithBase).apiBase = config.baseUri ?? `${req.protocol}://${header(req, 'host') ?? `${config.host}:${config.port}`}`;
};

/** scheme://host of this API as the caller reached it (or API_BASE_URI). */
export const baseUrl = (req: FastifyRequest): string => (req as WithBase).apiBase ?? '';

/** The URL of the current path, without its query (for pagination links). */
export const selfUrl = (req: FastifyRequest): string => `${baseUrl(req)}${req.url.split('?')[0]}`;
