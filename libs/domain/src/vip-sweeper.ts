import type { ReleaseVip, VipAllocated, VipReleased } from '@lbaas/events';
import { toMs } from './workflow';

/**
 * The create saga's sweeper: a VIP is allocated on its subnet before the load balancer is created, so a create that
 * never comes (the api died between the two steps) or a load balancer that is gone would hold its address forever.
 * This releases both. It is a part of the scheduler's workflow (placement.ts folds and ticks it).
 */

/** One allocated VIP. */
export type TrackedVip = Readonly<{ subnetId: string; lbId: string; allocatedAtMs: number }>;

/** `<subnetId>/<lbId>` → VIP. */
export type TrackedVips = ReadonlyMap<string, TrackedVip>;

/** What the sweeper needs to know of the load balancer a VIP was allocated for. */
export type VipOwner = 'unknown' | 'present' | 'torn-down';

/** The key of a VIP in TrackedVips. */
export const vipKey = (subnetId: string, lbId: string): string => `${subnetId}/${lbId}`;

/** The in-flight key of the ReleaseVip of this VIP. */
export const releaseVipKey = (subnetId: string, lbId: string): string => `release-vip/${vipKey(subnetId, lbId)}`;

/** Folds an allocation or release into the VIPs. The map is handed on, not copied (placement.ts says why). */
export const evolveVips = (vips: TrackedVips, e: VipAllocated | VipReleased): TrackedVips => {
  const m = vips as Map<string, TrackedVip>;
  if (e.type === 'VipAllocated') m.set(vipKey(e.data.subnetId, e.data.lbId), { subnetId: e.data.subnetId, lbId: e.data.lbId, allocatedAtMs: toMs(e.data.at) });
  else m.delete(vipKey(e.data.subnetId, e.data.lbId));
  return m;
};

/**
 * The VIPs to release now: those of a torn-down load balancer (`deleted`), and those whose load balancer was never
 * created within `abandonAfterMs` of the allocation (`abandoned`).
 */
export const sweepVips = (
  vips: TrackedVips, ownerOf: (lbId: string) => VipOwner, nowMs: number, abandonAfterMs: number, now: string,
): ReleaseVip[] => {
  const out: ReleaseVip[] = [];
  for (const vip of vips.values()) {
    const owner = ownerOf(vip.lbId);
    const reason = owner === 'unknown'
      ? (nowMs - vip.allocatedAtMs > abandonAfterMs ? 'abandoned' : null)
      : (owner === 'torn-down' ? 'deleted' : null);
    if (reason === null) continue;
    out.push({
      type: 'ReleaseVip',
      data: { subnetId: vip.subnetId, lbId: vip.lbId, reason },
      metadata: { commandId: `scheduler/release-vip/${vip.subnetId}/${vip.lbId}`, now },
    });
  }
  return out;
};
