import {
  childProvisioningStatus, healthMonitorOperatingStatus, lbOperatingStatus, lbProvisioningStatus, listenerOperatingStatus,
  memberOperatingStatus, poolOperatingStatus, type LoadBalancerView,
} from '@lbaas/projections';
import { naive, refs, type Wire } from '../shell/wire';

/**
 * A load balancer as Octavia sends it. The POST answer puts `listeners`/`pools` first; GET, PUT and lists put them
 * after `additional_vips` (octavia-wire.md).
 */
export function renderLoadBalancer(lb: LoadBalancerView, shape: 'create' | 'show' = 'show'): Wire {
  const listeners = refs(lb.listeners.keys());
  const pools = refs(lb.pools.keys());
  const head: Wire = {
    id: lb.lbId, name: lb.name, description: lb.description,
    provisioning_status: lbProvisioningStatus(lb), operating_status: lbOperatingStatus(lb),
    admin_state_up: lb.adminStateUp, project_id: lb.projectId,
    created_at: naive(lb.createdAt), updated_at: naive(lb.updatedAt),
    vip_address: lb.vipAddress, vip_port_id: lb.vipPortId, vip_subnet_id: lb.vipSubnetId, vip_network_id: lb.vipNetworkId,
    additional_vips: [],
  };
  const tail: Wire = {
    provider: lb.provider, flavor_id: null, vip_qos_policy_id: null, tags: [...lb.tags], availability_zone: null, tenant_id: lb.projectId,
  };
  return shape === 'create' ? { listeners, pools, ...head, ...tail } : { ...head, listeners, pools, ...tail };
}

/** The attributes a list filters on most (the CLI's ?id= and ?name=), read from the view without rendering the object. */
export const lbListKeys = (lb: LoadBalancerView): Record<string, unknown> => ({
  id: lb.lbId, name: lb.name, description: lb.description, project_id: lb.projectId, tenant_id: lb.projectId, admin_state_up: lb.adminStateUp,
  vip_address: lb.vipAddress, vip_port_id: lb.vipPortId, vip_subnet_id: lb.vipSubnetId, vip_network_id: lb.vipNetworkId, provider: lb.provider,
  tags: lb.tags,
});

/** Attributes a load-balancer list can be filtered and sorted on. */
export const LB_FILTER_KEYS = [
  'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id', 'tenant_id',
  'created_at', 'updated_at', 'vip_address', 'vip_port_id', 'vip_subnet_id', 'vip_network_id', 'provider', 'flavor_id',
  'vip_qos_policy_id', 'availability_zone',
] as const;

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
