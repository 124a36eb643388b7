import { QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '@lbaas/events';
import { DomainError } from './domain-error';
import { memberKey } from './load-balancer/state';

/**
 * Octavia's project quotas as pure checks. Usage is counted by the caller from its view of the load balancers (it is
 * not reserved in the project aggregate: see README, why), so the check is given a way to count, not the count.
 */

/** A count per quota resource; as limits, -1 means unlimited. */
export type QuotaCounts = Readonly<Record<QuotaResource, number>>;

/** Octavia's display names, as in "Quota has been met for resources: Load Balancer". */
const NAMES: Readonly<Record<QuotaResource, string>> = {
  loadbalancer: 'Load Balancer', listener: 'Listener', pool: 'Pool', member: 'Member', healthmonitor: 'Health Monitor',
  l7policy: 'L7 Policy', l7rule: 'L7 Rule',
};

/** The limits that apply to a project: the ones set for it, the configured defaults for the rest. */
export const effectiveQuota = (set: QuotaLimits, defaults: QuotaCounts): Record<QuotaResource, number> =>
  Object.fromEntries(QUOTA_RESOURCES.map((r) => [r, set[r] ?? defaults[r]])) as Record<QuotaResource, number>;

/**
 * Octavia's quota check before a create: Forbidden (403) "Quota has been met for resources: ..." when adding `wanted`
 * would go over a limit. `usage` counts what the project uses now; it is asked only if a wanted resource is limited.
 */
export const checkQuota = (
  limits: QuotaCounts, wanted: Partial<QuotaCounts>, usage: (only: readonly QuotaResource[]) => QuotaCounts,
): void => {
  const limited = (Object.keys(wanted) as QuotaResource[]).filter((r) => (wanted[r] ?? 0) > 0 && limits[r] >= 0);
  if (limited.length === 0) return;
  const used = usage(limited);
  const over = limited.filter((r) => used[r] + (wanted[r] ?? 0) > limits[r]);
  if (over.length) throw new DomainError('Forbidden', `Quota has been met for resources: ${over.map((r) => NAMES[r]).join(', ')}`);
};

type Endpoint = Readonly<{ address: string; protocolPort: number }>;

/**
 * How many members a batch member update adds (Octavia counts the net increase against the quota): the listed members
 * that match none of the pool's (by address and port, as the decider matches them), minus the pool's members a full
 * (not additive) update deletes.
 */
export const batchMemberIncrease = (pool: Iterable<Endpoint>, listed: Iterable<Endpoint>, additiveOnly: boolean): number => {
  const key = (m: Endpoint) => memberKey(m.address, m.protocolPort);
  const have = new Set([...pool].map(key));
  const want = new Set([...listed].map(key));
  const added = [...want].filter((k) => !have.has(k)).length;
  const removed = additiveOnly ? 0 : [...have].filter((k) => !want.has(k)).length;
  return added - removed;
};
