import { isUuid } from '@lbaas/contracts';
import type {
  Catalog, HealthMonitorView, ListenerView, LoadBalancerView, MemberView, PoolView,
} from '@lbaas/projections';
import { notFound } from './errors';
import { projectScope, visible } from './project-scope';

/** The load balancer `id`, or Octavia's 404 (a non-UUID id is a 404 as well, like Octavia). */
export function lbOf(catalog: Catalog, id: string, resource = 'Load Balancer'): LoadBalancerView {
  const lb = isUuid(id) ? catalog.loadBalancers.lbs.get(id.toLowerCase()) : undefined;
  if (!lb || !visible(lb.projectId)) throw notFound(resource, id);
  return lb;
}

/** The tree that owns child `id` (owner index), or a 404 naming the child's resource. */
function ownerOf(catalog: Catalog, id: string, resource: string): LoadBalancerView {
  const lbId = isUuid(id) ? catalog.loadBalancers.owner.get(id.toLowerCase()) : undefined;
  const lb = lbId ? catalog.loadBalancers.lbs.get(lbId) : undefined;
  if (!lb || !visible(lb.projectId)) throw notFound(resource, id);
  return lb;
}

export function listenerOf(catalog: Catalog, id: string): { lb: LoadBalancerView; listener: ListenerView } {
  const lb = ownerOf(catalog, id, 'Listener');
  const listener = lb.listeners.get(id.toLowerCase());
  if (!listener) throw notFound('Listener', id);
  return { lb, listener };
}

export function poolOf(catalog: Catalog, id: string): { lb: LoadBalancerView; pool: PoolView } {
  const lb = ownerOf(catalog, id, 'Pool');
  const pool = lb.pools.get(id.toLowerCase());
  if (!pool) throw notFound('Pool', id);
  return { lb, pool };
}

export function memberOf(catalog: Catalog, poolId: string, id: string): { lb: LoadBalancerView; pool: PoolView; member: MemberView } {
  const { lb, pool } = poolOf(catalog, poolId);
  const member = isUuid(id) ? lb.members.get(id.toLowerCase()) : undefined;
  if (!member || member.poolId !== pool.poolId) throw notFound('Member', id);
  return { lb, pool, member };
}

export function healthMonitorOf(catalog: Catalog, id: string): { lb: LoadBalancerView; hm: HealthMonitorView } {
  const lb = ownerOf(catalog, id, 'Health Monitor');
  const hm = lb.healthMonitors.get(id.toLowerCase());
  if (!hm) throw notFound('Health Monitor', id);
  return { lb, hm };
}

/** Every load-balancer tree the caller may see (its project's, or all for an admin), in creation order. */
export const allLbs = (catalog: Catalog): LoadBalancerView[] => {
  const scope = projectScope();
  const all = [...catalog.loadBalancers.lbs.values()];
  return scope === null ? all : all.filter((lb) => lb.projectId === scope);
};

/** The attributes every list narrows on first (the CLI's ?id= and ?name=), as [key, wanted] or null. */
export const exactFilter = (q: Record<string, string | string[] | undefined>, key: string): string | null =>
  typeof q[key] === 'string' ? (q[key] as string) : null;
