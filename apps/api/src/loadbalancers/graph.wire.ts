import type { LoadBalancerView } from '@lbaas/projections';
import { renderHealthMonitor } from '../healthmonitors/health-monitor.wire';
import { renderListener } from '../listeners/listener.wire';
import { renderMember } from '../members/member.wire';
import { renderPool } from '../pools/pool.wire';
import type { Wire } from '../shell/wire';
import { renderLoadBalancer } from './load-balancer.wire';

/** The answer to a graph create: Octavia's full load balancer, with listeners, pools, members and monitors inline. */
export function renderGraph(lb: LoadBalancerView): Wire {
  const pool = (poolId: string): Wire | null => {
    const p = lb.pools.get(poolId);
    if (!p) return null;
    const hm = p.healthMonitorId ? lb.healthMonitors.get(p.healthMonitorId) : undefined;
    return {
      ...renderPool(lb, p),
      members: p.memberIds.flatMap((id) => { const m = lb.members.get(id); return m ? [renderMember(lb, m)] : []; }),
      healthmonitor: hm ? renderHealthMonitor(lb, hm) : null,
    };
  };
  return {
    ...renderLoadBalancer(lb, 'create'),
    listeners: [...lb.listeners.values()].map((l) => ({ ...renderListener(lb, l), default_pool: l.defaultPoolId ? pool(l.defaultPoolId) : null })),
    pools: [...lb.pools.keys()].map(pool),
  };
}
