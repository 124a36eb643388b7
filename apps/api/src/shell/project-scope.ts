import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The project a request is confined to: the one named by X-Project-Id (or X-Tenant-Id), like a non-admin token's
 * project; null when it names none (noauth: the caller is admin and sees every project). Objects of other projects
 * are then 404s (Octavia and Neutron answer so), and lists show only the caller's project.
 */
const scope = new AsyncLocalStorage<string | null>();

/** Runs the rest of a request inside its scope (called once per request, by the HTTP edge). */
export const runInProjectScope = (projectId: string | null, next: () => void): void => scope.run(projectId, next);

/** The current request's project scope; null = every project. */
export const projectScope = (): string | null => scope.getStore() ?? null;

/** True if the current request may see an object of `projectId`. */
export const visible = (projectId: string): boolean => {
  const p = projectScope();
  return p === null || p === projectId;
};
