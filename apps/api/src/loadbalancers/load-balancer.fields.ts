import { LIMITS } from '@lbaas/events';
import { lbOperatingStatus, lbProvisioningStatus, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive, refs, type Wire } from '../http/attributes';
import { bool, ipAddress, projectId, tags, text, unsupported, uuid, type Rule } from '../http/rules';

/** A list of JSON objects (the nested `listeners` and `pools` of a graph create); each is checked by its own table. */
export const objectList: Rule<Record<string, unknown>[]> = (v) =>
  Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x))
    ? { ok: true, value: v as Record<string, unknown>[] }
    : { ok: false, reason: 'Value should be a list of objects' };

/**
 * A load balancer's attributes, in the wire order of GET, PUT and lists. The VIP attributes are given to the create
 * saga (create-load-balancer.saga.ts), which allocates the VIP; `listeners` and `pools` make it a graph create.
 */
export const LOAD_BALANCER = attributes<LoadBalancerView>()('loadbalancer', 'load_balancer', (lb) => lb, [
  { name: 'id', field: 'lbId', filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: '', filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'provisioning_status', show: (lb) => lbProvisioningStatus(lb), filter: true },
  { name: 'operating_status', show: (lb) => lbOperatingStatus(lb), filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'project_id', rule: projectId, create: true, show: (lb) => lb.projectId, filter: true },
  { name: 'created_at', show: (lb) => naive(lb.createdAt), filter: true },
  { name: 'updated_at', show: (lb) => naive(lb.updatedAt), filter: true },
  { name: 'vip_address', rule: ipAddress, create: true, show: (lb) => lb.vipAddress, filter: true },
  { name: 'vip_port_id', rule: uuid, create: true, show: (lb) => lb.vipPortId, filter: true },
  { name: 'vip_subnet_id', rule: uuid, create: true, show: (lb) => lb.vipSubnetId, filter: true },
  { name: 'vip_network_id', rule: uuid, create: true, show: (lb) => lb.vipNetworkId, filter: true },
  { name: 'additional_vips', rule: unsupported('Additional VIPs'), create: true, show: () => [] },
  { name: 'listeners', rule: objectList, create: true, show: (lb) => refs(lb.listeners.keys()) },
  { name: 'pools', rule: objectList, create: true, show: (lb) => refs(lb.pools.keys()) },
  { name: 'provider', rule: text(LIMITS.loadBalancer.provider.maxLength), create: true, show: (lb) => lb.provider, filter: true },
  { name: 'flavor_id', rule: unsupported('Flavors'), create: true, show: () => null, filter: true },
  { name: 'vip_qos_policy_id', rule: unsupported('QoS policies'), create: true, update: true, show: () => null, filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'availability_zone', rule: unsupported('Availability zones'), create: true, show: () => null, filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: (lb) => lb.projectId, filter: true },
  { name: 'vip_sg_ids', rule: unsupported('VIP security groups'), create: true, update: true, hidden: true },
  { name: 'vip_vnic_type', rule: unsupported('vnic types'), create: true, hidden: true },
]);

/** A load balancer as Octavia sends it: the POST answer puts `listeners`/`pools` first (octavia-wire.md). */
export function renderLoadBalancer(lb: LoadBalancerView, shape: 'create' | 'show' = 'show'): Wire {
  const wire = LOAD_BALANCER.render(lb);
  return shape === 'create' ? { listeners: wire.listeners, pools: wire.pools, ...wire } : wire;
}
