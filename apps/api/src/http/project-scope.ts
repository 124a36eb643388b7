import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Who is calling, as far as scoping goes: the project a request is confined to, or null for every project. This is the
 * one place that says so; the lookup (http/lookup.ts) asks `callerProject()` for every id it resolves, and issue 9 will
 * replace where the answer comes from (a validated token instead of a header).
 *
 * noauth (today): the project named by X-Project-Id (or X-Tenant-Id) confines the caller to it, like a non-admin
 * token's project; a request naming none is admin and sees every project. Objects of other projects are then 404s
 * (Octavia and Neutron answer so), and lists show only what the caller may see.
 */
const scope = new AsyncLocalStorage<string | null>();

const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The project the request's headers confine it to (null: none named, every project). */
export function callerFromHeaders(headers: IncomingHttpHeaders): string | null {
  const named = first(headers['x-project-id']) ?? first(headers['x-tenant-id']);
  return named !== undefined && named !== '' ? named : null;
}

/** Runs the rest of a request as its caller (called once per request, by the HTTP edge). */
export const runAsCaller = (projectId: string | null, next: () => void): void => scope.run(projectId, next);

/** The project the current caller is confined to; null = every project. */
export const callerProject = (): string | null => scope.getStore() ?? null;

/** True if the current caller may see an object owned by `projectId`. */
export const visible = (projectId: string): boolean => {
  const p = callerProject();
  return p === null || p === projectId;
};
