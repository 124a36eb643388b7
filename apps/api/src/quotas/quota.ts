import { Inject, Injectable } from '@nestjs/common';
import { CONFIG, PROJECTION } from '@lbaas/app-shell';
import { checkQuota, effectiveQuota } from '@lbaas/domain';
import { QUOTA_RESOURCES, type QuotaResource } from '@lbaas/events';
import type { Catalog } from '@lbaas/projections';
import type { ApiConfig } from '../config';
import type { ReadModel } from '../http/lookup';

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
 * Octavia's quota check before a create; the rule is libs/domain quota.ts: 403 "Quota has been met for resources: ..."
 * when adding `wanted` would go over a limit. Usage is derived from the api's catalog, not reserved in the project
 * aggregate (see README: why).
 */
@Injectable()
export class QuotaCheck {
  constructor(@Inject(PROJECTION) private readonly view: ReadModel, @Inject(CONFIG) private readonly config: ApiConfig) {}

  check(projectId: string, wanted: Partial<Record<QuotaResource, number>>): void {
    const catalog = this.view.catalog;
    checkQuota(effectiveQuota(catalog.projects.quotas.get(projectId) ?? {}, this.config.quotaDefaults), wanted, (only) => usage(catalog, projectId, only));
  }
}
