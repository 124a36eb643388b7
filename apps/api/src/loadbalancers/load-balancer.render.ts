import {
  childProvisioningStatus, healthMonitorOperatingStatus, lbOperatingStatus, lbProvisioningStatus, listenerOperatingStatus,
  memberOperatingStatus, poolOperatingStatus, type LoadBalancerView,
} from '@lbaas/projections';
import type { Wire } from '../http/attributes';
import { HEALTH_MONITOR } from '../healthmonitors/health-monitor.fields';
import { LISTENER } from '../listeners/listener.fields';
import { MEMBER } from '../members/member.fields';
import { POOL } from '../pools/pool.fields';
import { renderLoadBalancer } from './load-balancer.fields';

/** The answer to a graph create: Octavia's full load balancer, with listeners, pools, members and monitors inline. */
export function renderGraph(lb: LoadBalancerView): Wire {
  const pool = (poolId: string): Wire | null => {
    const p = lb.pools.get(poolId);
    if (!p) return null;
    const hm = p.healthMonitorId ? lb.healthMonitors.get(p.healthMonitorId) : undefined;
    return {
      ...POOL.render({ lb, pool: p }),
      members: p.memberIds.flatMap((id) => { const member = lb.members.get(id); return member ? [MEMBER.render({ lb, member })] : []; }),
      healthmonitor: hm ? HEALTH_MONITOR.render({ lb, hm }) : null,
    };
  };
  return {
    ...renderLoadBalancer(lb, 'create'),
    listeners: [...lb.listeners.values()].map((listener) => ({ ...LISTENER.render({ lb, listener }), default_pool: listener.defaultPoolId ? pool(listener.defaultPoolId) : null })),
    pools: [...lb.pools.keys()].map(pool),
  };
}

/** The status tree of `GET /loadbalancers/{id}/status`; pools are reached through their listeners only. */
export function renderStatusTree(lb: LoadBalancerView): Wire {
  const pool = (poolId: string): Wire[] => {
    const p = lb.pools.get(poolId);
    if (!p) return [];
    const hm = p.healthMonitorId ? lb.healthMonitors.get(p.healthMonitorId) : undefined;
    return [{
      id: p.poolId, name: p.name, provisioning_status: childProvisioningStatus(lb, p), operating_status: poolOperatingStatus(lb, p),
      ...(hm ? {
        health_monitor: {
          id: hm.healthMonitorId, name: hm.name, type: hm.type,
          provisioning_status: childProvisioningStatus(lb, hm), operating_status: healthMonitorOperatingStatus(lb, hm.healthMonitorId),
        },
      } : {}),
      members: p.memberIds.flatMap((id) => {
        const m = lb.members.get(id);
        return m ? [{
          id: m.memberId, name: m.name, operating_status: memberOperatingStatus(lb, m), provisioning_status: childProvisioningStatus(lb, m),
          address: m.address, protocol_port: m.protocolPort,
        }] : [];
      }),
    }];
  };
  return {
    statuses: {
      loadbalancer: {
        id: lb.lbId, name: lb.name, operating_status: lbOperatingStatus(lb), provisioning_status: lbProvisioningStatus(lb),
        listeners: [...lb.listeners.values()].map((l) => ({
          id: l.listenerId, name: l.name, operating_status: listenerOperatingStatus(lb, l.listenerId),
          provisioning_status: childProvisioningStatus(lb, l),
          pools: [...lb.pools.values()].filter((p) => p.poolId === l.defaultPoolId || p.listenerId === l.listenerId)
            .flatMap((p) => pool(p.poolId)),
        })),
      },
    },
  };
}
