import { LIMITS } from '@lbaas/events';
import { lbOperatingStatus, lbProvisioningStatus, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive, refs, type Wire } from '../http/attributes';
import { bool, ipAddress, projectId, tags, text, unsupported, uuid, type Rule } from '../http/rules';

/** One additional VIP as a create names it: its subnet, and the address wanted there (else the next free one). */
export type AdditionalVipRequest = { subnetId: string; ipAddress: string | null };

/** `additional_vips` (API 2.26): a list of {subnet_id, ip_address?}; port_id is not supported (like vip_port_id). */
export const additionalVips: Rule<AdditionalVipRequest[]> = (v) => {
  if (!Array.isArray(v)) return { ok: false, reason: 'Value should be a list of objects' };
  if (v.length > LIMITS.additionalVips.maxCount) return { ok: false, reason: `Value should have at most ${LIMITS.additionalVips.maxCount} entries` };
  const out: AdditionalVipRequest[] = [];
  for (const x of v) {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return { ok: false, reason: 'Value should be a list of objects' };
    const o = x as Record<string, unknown>;
    const unknown = Object.keys(o).filter((k) => !['subnet_id', 'ip_address', 'port_id'].includes(k));
    if (unknown.length) return { ok: false, reason: `Unknown attribute: ${unknown.sort().join(', ')}` };
    if (o.port_id !== undefined && o.port_id !== null) return { ok: false, reason: 'port_id is not supported yet; use subnet_id' };
    const subnet = uuid(o.subnet_id);
    if (!subnet.ok) return { ok: false, reason: `subnet_id: ${o.subnet_id === undefined ? 'Mandatory field missing.' : subnet.reason}` };
    let address: string | null = null;
    if (o.ip_address !== undefined && o.ip_address !== null) {
      const a = ipAddress(o.ip_address);
      if (!a.ok) return { ok: false, reason: `ip_address: ${a.reason}` };
      address = a.value;
    }
    out.push({ subnetId: subnet.value, ipAddress: address });
  }
  return { ok: true, value: out };
};

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
  { name: 'additional_vips', rule: additionalVips, create: true, show: (lb) => lb.additionalVips.map((v) => ({ subnet_id: v.subnetId, ip_address: v.ipAddress })) },
  { name: 'listeners', rule: objectList, create: true, show: (lb) => refs(lb.listeners.keys()) },
  { name: 'pools', rule: objectList, create: true, show: (lb) => refs(lb.pools.keys()) },
  { name: 'provider', rule: text(LIMITS.loadBalancer.provider.maxLength), create: true, show: (lb) => lb.provider, filter: true },
  { name: 'flavor_id', rule: uuid, create: true, show: (lb) => lb.flavor?.flavorId ?? null, filter: true },
  { name: 'vip_qos_policy_id', rule: unsupported('QoS policies'), create: true, update: true, show: () => null, filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'availability_zone', rule: text(), create: true, show: (lb) => lb.availabilityZone?.name ?? null, filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: (lb) => lb.projectId, filter: true },
  { name: 'vip_sg_ids', rule: unsupported('VIP security groups'), create: true, update: true, hidden: true },
  { name: 'vip_vnic_type', rule: unsupported('vnic types'), create: true, hidden: true },
]);

/** A load balancer as Octavia sends it: the POST answer puts `listeners`/`pools` first (octavia-wire.md). */
export function renderLoadBalancer(lb: LoadBalancerView, shape: 'create' | 'show' = 'show'): Wire {
  const wire = LOAD_BALANCER.render(lb);
  return shape === 'create' ? { listeners: wire.listeners, pools: wire.pools, ...wire } : wire;
}
