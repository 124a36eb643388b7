import type { AppMetrics } from '@lbaas/app-shell';
import type { AppendObservation, EventStoreObserver } from '@lbaas/event-store';

/**
 * The scheduler's metrics: what this process decided, counted from the commits it appended (every app's event-store
 * metrics too). Placements by reason (initial, failover, drain, operator), failovers alone, placement failures (an LB
 * no agent can host), VIPs released by the sweeper.
 */
export function schedulerObserver(m: AppMetrics): EventStoreObserver {
  const placements = m.counter('lbaas_scheduler_placements_total', 'Load balancers placed on an agent by this scheduler, by reason', ['reason']);
  const failovers = m.counter('lbaas_scheduler_failovers_total', 'Load balancers this scheduler moved off a down or disabled agent');
  const failures = m.counter('lbaas_scheduler_placement_failures_total', 'Load balancers turned ERROR because no agent could host them in time');
  const releases = m.counter('lbaas_scheduler_vips_released_total', 'VIP allocations released (deleted load balancers, abandoned allocations)');
  for (const reason of ['initial', 'failover', 'drain', 'operator']) placements.inc({ reason }, 0);
  failovers.inc(0);
  failures.inc(0);
  releases.inc(0);
  return {
    read: m.eventStore.read,
    appended: (o: AppendObservation) => {
      m.eventStore.appended(o);
      if (o.outcome !== 'ok') return;
      for (const e of o.commit.events as readonly { type: string; data: { reason?: string } }[]) {
        if (e.type === 'LoadBalancerPlaced') {
          placements.inc({ reason: String(e.data.reason) });
          if (e.data.reason === 'failover') failovers.inc();
        } else if (e.type === 'LoadBalancerPlacementFailed') failures.inc();
        else if (e.type === 'VipReleased') releases.inc();
      }
    },
  };
}
