import type { PlacementCommand, PlacementOptions } from './placement';
import { type Issued, type Tick, toIso, toMs } from './workflow';
import { NOW } from './load-balancer/load-balancer.fixtures';

/** Builders for scheduler and failover-watcher tests. */
export const T0 = toMs(NOW);
/** The ISO time `seconds` after NOW. */
export const at = (seconds: number): string => toIso(T0 + seconds * 1000);
export const tick = (seconds: number, random = 0): Tick => ({ type: 'Tick', now: at(seconds), random });
export const issued = <C>(command: C, seconds: number): Issued<C> => ({ type: 'Issued', command, now: at(seconds) });

export const placementOptions: PlacementOptions = {
  strategy: 'random', placementTimeoutMs: 60_000, automaticFailover: true, abandonAfterMs: 600_000, retryAfterMs: 30_000,
};

export const place = (
  lbId: string, agentId: string, seconds: number, o: { expectedEpoch?: number; reason?: 'initial' | 'failover' | 'drain' } = {},
): PlacementCommand => {
  const expectedEpoch = o.expectedEpoch ?? 0;
  return {
    type: 'PlaceLoadBalancer',
    data: { lbId, agentId, expectedEpoch, reason: o.reason ?? 'initial' },
    metadata: { commandId: `scheduler/place/${lbId}/${expectedEpoch}`, now: at(seconds) },
  };
};
export const fail = (lbId: string, reason: string, seconds: number): PlacementCommand =>
  ({ type: 'FailPlacement', data: { lbId, reason }, metadata: { commandId: `scheduler/fail-placement/${lbId}`, now: at(seconds) } });
export const release = (subnetId: string, lbId: string, reason: 'deleted' | 'abandoned', seconds: number): PlacementCommand => ({
  type: 'ReleaseVip', data: { subnetId, lbId, reason },
  metadata: { commandId: `scheduler/release-vip/${subnetId}/${lbId}`, now: at(seconds) },
});
