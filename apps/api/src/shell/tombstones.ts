import { lbProvisioningStatus, type Catalog, type LoadBalancerView } from '@lbaas/projections';
import type { Wire } from './wire';

/**
 * Children deleted through this api, shown as PENDING_DELETE until the hosting agent applied the deletion (Octavia keeps
 * a deleted child in PENDING_DELETE until its worker is done, and `openstack ... delete --wait` polls the child until
 * 404: without this, --wait would return while the load balancer is still PENDING_UPDATE, and the next command get 409).
 * The view drops a deleted child at once, so the api remembers what it answered last. In memory: at worst (another
 * api replica, a restart) the child is a 404 a little early, as before.
 */
const deleted = new Map<string, { lbId: string; version: number; wire: Wire }>();
const MAX = 10_000;

/** Remembers a child just deleted from `lb` (the view after the commit) with its last wire form. */
export function rememberDeleted(childId: string, lb: LoadBalancerView, wire: Wire): void {
  deleted.set(childId, { lbId: lb.lbId, version: lb.version, wire });
  if (deleted.size > MAX) deleted.delete(deleted.keys().next().value as string);
}

/** The PENDING_DELETE form of a deleted child while its deletion is not applied yet; undefined once it is (a 404). */
export function pendingDeletion(catalog: Catalog, childId: string): Wire | undefined {
  const t = deleted.get(childId.toLowerCase());
  if (!t) return undefined;
  const lb = catalog.loadBalancers.lbs.get(t.lbId);
  if (!lb || lb.deleted || lb.appliedVersion >= t.version || lbProvisioningStatus(lb) === 'ERROR') {
    deleted.delete(childId.toLowerCase());
    return undefined;
  }
  return { ...t.wire, provisioning_status: 'PENDING_DELETE' };
}

/** A child's wire form: as the view has it, or PENDING_DELETE while its deletion is not applied; else the lookup's 404. */
export function showChild<T>(catalog: Catalog, id: string, find: () => T, render: (found: T) => Wire): Wire {
  let found: T;
  try {
    found = find();
  } catch (err) {
    const gone = pendingDeletion(catalog, id);
    if (gone) return gone;
    throw err;
  }
  return render(found);
}
