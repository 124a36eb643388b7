import type { Actor } from '@lbaas/contracts';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError, invalidInput } from './errors';
import { callerProject } from './project-scope';
import { projectId as projectIdRule } from './rules';

const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Who is calling, for the commit's actor (noauth: everybody is admin; the project is what they say). */
export function actorOf(req: FastifyRequest, projectId?: string): Actor {
  // Auditing wants the caller's project (who), falling back to the project the call acts on.
  const project = callerProject() ?? projectId;
  const user = header(req, 'x-user-id');
  const roles = header(req, 'x-roles');
  return {
    kind: 'user',
    projectId: project && /^[A-Za-z0-9_-]{1,64}$/.test(project) ? project : undefined,
    userId: user && /^[A-Za-z0-9_.@-]{1,64}$/.test(user) ? user : 'anonymous',
    roles: roles ? roles.split(',').map((r) => r.trim()).filter((r) => /^[A-Za-z0-9_:-]{1,64}$/.test(r)) : ['admin'],
    requestId: req.id,
    clientAddress: req.ip,
    service: 'api',
    operation: `${req.method} ${req.routeOptions?.url ?? req.url.split('?')[0]}`,
  };
}

/**
 * The project a new top-level object belongs to: the body's project_id (or tenant_id), else the caller's project,
 * else `fallback` (DEFAULT_PROJECT_ID; a subnet's network's project), else Octavia's 400.
 */
export function projectFor(body: { project_id?: string | null; tenant_id?: string | null }, fallback: string | null): string {
  if (body.project_id && body.tenant_id && body.project_id !== body.tenant_id) {
    throw invalidInput('tenant_id', body.tenant_id, 'Value should be the same as project_id');
  }
  const p = body.project_id ?? body.tenant_id ?? callerProject() ?? fallback;
  if (!p) {
    throw new ApiError(400, 'Validation failure: Missing project ID in request where one is required. An administrator should check the keystone settings in the Octavia configuration.');
  }
  const r = projectIdRule(p);
  if (!r.ok) throw invalidInput('project_id', p, r.reason);
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
