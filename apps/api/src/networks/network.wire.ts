import type { Catalog, NetworkView, SubnetView, VipAllocationView } from '@lbaas/projections';
import { intToIp, ipToInt } from '../shell/rules';
import { zulu, type Wire } from '../shell/wire';

/** Neutron's default gateway: the first host address of the CIDR. */
export function defaultGateway(cidr: string): string {
  const [net] = cidr.split('/');
  return intToIp((ipToInt(net) ?? 0) + 1);
}

/** A network in Neutron's shape. */
export function renderNetwork(n: NetworkView): Wire {
  return {
    id: n.networkId, name: n.name, tenant_id: n.projectId, admin_state_up: true, mtu: 1500, status: 'ACTIVE',
    subnets: [...n.subnetIds], shared: n.shared, availability_zone_hints: [], availability_zones: [],
    ipv4_address_scope: null, ipv6_address_scope: null, 'router:external': false, description: '', port_security_enabled: true,
    tags: [], created_at: zulu(n.createdAt), updated_at: zulu(n.createdAt), revision_number: 1, project_id: n.projectId,
    'provider:network_type': n.networkType, 'provider:physical_network': n.physicalNetwork, 'provider:segmentation_id': null,
  };
}

/** A subnet in Neutron's shape (DHCP off: addresses are only handed out as VIPs). */
export function renderSubnet(s: SubnetView): Wire {
  return {
    id: s.subnetId, name: s.name, tenant_id: s.projectId, network_id: s.networkId, ip_version: s.ipVersion, subnetpool_id: null,
    enable_dhcp: false, ipv6_ra_mode: null, ipv6_address_mode: null, gateway_ip: s.gatewayIp, cidr: s.cidr,
    allocation_pools: s.allocationPools.map((p) => ({ start: p.start, end: p.end })), host_routes: [], dns_nameservers: [],
    description: '', service_types: [], tags: [], created_at: zulu(s.createdAt), updated_at: zulu(s.createdAt),
    revision_number: 0, project_id: s.projectId,
  };
}

/** A stable locally administered MAC for a VIP port (fa:16:3e is the OpenStack prefix). */
const macOf = (portId: string): string => {
  const hex = portId.replace(/-/g, '');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
};

/** A VIP allocation shown as a Neutron port owned by Octavia. */
export function renderPort(catalog: Catalog, s: SubnetView, v: VipAllocationView): Wire {
  const project = catalog.loadBalancers.lbs.get(v.lbId)?.projectId ?? s.projectId;
  return {
    id: v.portId, name: `octavia-lb-${v.lbId}`, network_id: s.networkId, tenant_id: project, mac_address: macOf(v.portId),
    admin_state_up: true, status: 'ACTIVE', device_id: `lb-${v.lbId}`, device_owner: 'Octavia',
    fixed_ips: [{ subnet_id: s.subnetId, ip_address: v.address }], allowed_address_pairs: [], extra_dhcp_opts: [],
    security_groups: [], description: '', 'binding:vnic_type': 'normal', port_security_enabled: true, tags: [],
    created_at: zulu(v.at), updated_at: zulu(v.at), revision_number: 1, project_id: project,
  };
}

export const NETWORK_FILTER_KEYS = [
  'id', 'name', 'tenant_id', 'project_id', 'admin_state_up', 'status', 'shared', 'mtu', 'router:external',
  'provider:network_type', 'provider:physical_network', 'description',
] as const;
export const SUBNET_FILTER_KEYS = [
  'id', 'name', 'tenant_id', 'project_id', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'description', 'subnetpool_id',
] as const;
export const PORT_FILTER_KEYS = [
  'id', 'name', 'network_id', 'tenant_id', 'project_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner',
  'description', 'subnet_id', 'ip_address',
] as const;
