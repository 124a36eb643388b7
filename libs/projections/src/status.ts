import type { OperatingStatus, ProvisioningStatus } from '@lbaas/events';
import type { LoadBalancerView, MemberView, PoolView, Stamps } from './load-balancer-view';

/**
 * The status model (DESIGN.md §4), computed from versions: a tree is PENDING_* while its desired version is
 * newer than what its agent applied, ACTIVE once applied, ERROR when rejected or when nobody could host it.
 */
export function lbProvisioningStatus(lb: LoadBalancerView): ProvisioningStatus {
  if (lb.deleted) return 'PENDING_DELETE';
  if (lb.rejected && lb.rejected.version >= lb.version) return 'ERROR';
  if (!lb.placement && lb.placementFailed) return 'ERROR';
  if (lb.appliedVersion >= lb.version) return 'ACTIVE';
  return lb.appliedVersion === 0 ? 'PENDING_CREATE' : 'PENDING_UPDATE';
}

/** A child's provisioning status: pending until the version that created or last changed it is applied. */
export function childProvisioningStatus(lb: LoadBalancerView, child: Stamps): ProvisioningStatus {
  if (lb.deleted) return 'PENDING_DELETE';
  if (lb.appliedVersion >= child.updatedVersion) return 'ACTIVE';
  if (lbProvisioningStatus(lb) === 'ERROR') return 'ERROR';
  return lb.appliedVersion < child.createdVersion ? 'PENDING_CREATE' : 'PENDING_UPDATE';
}

const applied = (lb: LoadBalancerView, child: Stamps): boolean => lb.appliedVersion >= child.createdVersion;

/** A member's operating status (Octavia's mapping: UP→ONLINE, DOWN→ERROR, DRAIN→DRAINING, MAINT→OFFLINE, no check→NO_MONITOR). */
export function memberOperatingStatus(lb: LoadBalancerView, m: MemberView): OperatingStatus {
  const pool = lb.pools.get(m.poolId);
  if (!lb.adminStateUp || !m.adminStateUp || !pool?.adminStateUp) return 'OFFLINE';
  const hm = pool.healthMonitorId ? lb.healthMonitors.get(pool.healthMonitorId) : undefined;
  if (!hm || !hm.adminStateUp) return 'NO_MONITOR';
  if (!applied(lb, m)) return 'OFFLINE';
  return m.reportedStatus ?? 'OFFLINE';
}

/** A pool is ERROR when every member is down, DEGRADED when some are, else ONLINE (OFFLINE while disabled or not built). */
export function poolOperatingStatus(lb: LoadBalancerView, p: PoolView): OperatingStatus {
  if (!lb.adminStateUp || !p.adminStateUp || !applied(lb, p)) return 'OFFLINE';
  const statuses = p.memberIds.flatMap((id) => {
    const m = lb.members.get(id);
    return m ? [memberOperatingStatus(lb, m)] : [];
  });
  const serving = statuses.filter((s) => s === 'ONLINE' || s === 'NO_MONITOR' || s === 'DRAINING').length;
  const down = statuses.filter((s) => s === 'ERROR').length;
  if (down > 0 && serving === 0) return 'ERROR';
  if (down > 0) return 'DEGRADED';
  return 'ONLINE';
}

/** A listener is ONLINE once built and enabled; DEGRADED when its default pool is degraded or down. */
export function listenerOperatingStatus(lb: LoadBalancerView, listenerId: string): OperatingStatus {
  const l = lb.listeners.get(listenerId);
  if (!l || !lb.adminStateUp || !l.adminStateUp || !applied(lb, l)) return 'OFFLINE';
  const pool = l.defaultPoolId ? lb.pools.get(l.defaultPoolId) : undefined;
  const ps = pool ? poolOperatingStatus(lb, pool) : 'ONLINE';
  return ps === 'DEGRADED' || ps === 'ERROR' ? 'DEGRADED' : 'ONLINE';
}

/**
 * The load balancer is DEGRADED when any pool is degraded or down, OFFLINE while disabled or never built, ERROR while its
 * agent cannot build its latest version (its VIP may serve nothing; provisioning_status is ERROR too).
 */
export function lbOperatingStatus(lb: LoadBalancerView): OperatingStatus {
  if (!lb.adminStateUp) return 'OFFLINE';
  if (lb.rejected && lb.rejected.version >= lb.version) return 'ERROR';
  if (lb.appliedVersion === 0) return 'OFFLINE';
  for (const p of lb.pools.values()) {
    const s = poolOperatingStatus(lb, p);
    if (s === 'DEGRADED' || s === 'ERROR') return 'DEGRADED';
  }
  return 'ONLINE';
}

/** A health monitor is ONLINE once built and enabled. */
export function healthMonitorOperatingStatus(lb: LoadBalancerView, hmId: string): OperatingStatus {
  const hm = lb.healthMonitors.get(hmId);
  return hm && hm.adminStateUp && applied(lb, hm) ? 'ONLINE' : 'OFFLINE';
}
