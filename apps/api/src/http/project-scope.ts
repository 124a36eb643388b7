import { AsyncLocalStorage } from 'node:async_hooks';
import type { Identity } from '../auth/identity';
import type { Access } from './policy';

/**
 * Who is calling: the one place that says so. The HTTP edge authenticates every request once (http/authentication.ts,
 * the onRequest hook) and runs the rest of it as that caller; the policy guard (http/policy-guard.ts) then grants the
 * access the route's rule allows. The lookup (http/lookup.ts) asks `callerProject()` for every id it resolves: another
 * project's object is then a 404, and lists hold only what the caller may see.
 *
 * A request the guard has not granted anything (it cannot happen on a routed request) sees no project at all.
 */
type Caller = { identity: Identity | null; access: Access | null };
const current = new AsyncLocalStorage<Caller>();

/** The project id no object has: what a caller without a grant is confined to. */
const NOBODY = '';

/** Runs the rest of a request as `identity` (null on open paths), with nothing granted yet. Called once, by the edge. */
export const runAsCaller = (identity: Identity | null, next: () => void): void => current.run({ identity, access: null }, next);

/** Grants the current request `access` (the policy guard, once the route's rule allowed it). */
export function grant(access: Access): void {
  const c = current.getStore();
  if (!c) throw new Error('grant() outside a request');
  c.access = access;
}

/** The validated caller of the current request (null on open paths and outside requests). */
export const callerIdentity = (): Identity | null => current.getStore()?.identity ?? null;

/** What the current request was granted (null: nothing). */
export const callerAccess = (): Access | null => current.getStore()?.access ?? null;

/** True if the current request may act on every project (an admin; everybody in noauth). */
export const grantedEverything = (): boolean => callerAccess()?.kind === 'all';

/** The project the current caller is confined to; null = every project ('' = none: nothing was granted). */
export function callerProject(): string | null {
  const a = callerAccess();
  if (!a) return NOBODY;
  return a.kind === 'all' ? null : a.projectId;
}

/** True if the current caller may see an object owned by `projectId`. */
export const visible = (projectId: string): boolean => {
  const p = callerProject();
  return p === null || p === projectId;
};
