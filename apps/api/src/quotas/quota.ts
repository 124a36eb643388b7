import { QUOTA_RESOURCES, type QuotaResource } from '@lbaas/events';
import type { Catalog } from '@lbaas/projections';
import { ApiError } from '../shell/errors';

/** Octavia's display names, as in "Quota has been met for resources: Load Balancer". */
const NAMES: Record<QuotaResource, string> = {
  loadbalancer: 'Load Balancer', listener: 'Listener', pool: 'Pool', member: 'Member', healthmonitor: 'Health Monitor',
  l7policy: 'L7 Policy', l7rule: 'L7 Rule',
};

/** The limits that apply to a project: the ones set for it, the configured defaults for the rest (-1 = unlimited). */
export function effectiveQuota(catalog: Catalog, defaults: Readonly<Record<QuotaResource, number>>, projectId: string): Record<QuotaResource, number> {
  const set = catalog.projects.quotas.get(projectId) ?? {};
  return Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, set[r] ?? defaults[r]])) as Record<QuotaResource, number>;
}

/** What a project uses now, counted from the catalog (load balancers being deleted still count until they are gone). */
export function usage(catalog: Catalog, projectId: string, only: readonly QuotaResource[]): Record<QuotaResource, number> {
  const u = Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, 0])) as Record<QuotaResource, number>;
  if (only.length === 0) return u;
  for (const lb of catalog.loadBalancers.lbs.values()) {
    if (lb.projectId !== projectId) continue;
    u.loadbalancer += 1; u.listener += lb.listeners.size; u.pool += lb.pools.size; u.member += lb.members.size;
    u.healthmonitor += lb.healthMonitors.size;
  }
  return u;
}

/**
 * Octavia's quota check before a create: 403 "Quota has been met for resources: ..." when adding `wanted` would go over a
 * limit. Usage is derived from the api's catalog, not reserved in the project aggregate (see README: why).
 */
export function checkQuota(
  catalog: Catalog, defaults: Readonly<Record<QuotaResource, number>>, projectId: string, wanted: Partial<Record<QuotaResource, number>>,
): void {
  const limits = effectiveQuota(catalog, defaults, projectId);
  const limited = (Object.keys(wanted) as QuotaResource[]).filter((r) => (wanted[r] ?? 0) > 0 && limits[r] >= 0);
  if (limited.length === 0) return;
  const used = usage(catalog, projectId, limited);
  const over = limited.filter((r) => used[r] + (wanted[r] ?? 0) > limits[r]);
  if (over.length) throw new ApiError(403, `Quota has been met for resources: ${over.map((r) => NAMES[r]).join(', ')}`);
}
