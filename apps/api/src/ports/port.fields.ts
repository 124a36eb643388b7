import { attributes, zulu } from '../http/attributes';
import type { PortView } from '../http/lookup';

/** A stable locally administered MAC for a VIP port (fa:16:3e is the OpenStack prefix). */
const macOf = (portId: string): string => {
  const hex = portId.replace(/-/g, '');
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
};

/** A VIP allocation shown as a Neutron port owned by Octavia (read only), in Neutron's wire order. */
export const PORT = attributes<PortView>()('port', 'port', (p) => p.vip, [
  { name: 'id', field: 'portId', filter: true },
  { name: 'name', show: ({ vip }) => `octavia-lb-${vip.lbId}`, filter: true },
  { name: 'network_id', show: ({ subnet }) => subnet.networkId, filter: true },
  { name: 'tenant_id', show: ({ projectId }) => projectId, filter: true },
  { name: 'mac_address', show: ({ vip }) => macOf(vip.portId), filter: true },
  { name: 'admin_state_up', show: () => true, filter: true },
  { name: 'status', show: () => 'ACTIVE', filter: true },
  { name: 'device_id', show: ({ vip }) => `lb-${vip.lbId}`, filter: true },
  { name: 'device_owner', show: () => 'Octavia', filter: true },
  { name: 'fixed_ips', show: ({ subnet, vip }) => [{ subnet_id: subnet.subnetId, ip_address: vip.address }] },
  { name: 'allowed_address_pairs', show: () => [] },
  { name: 'extra_dhcp_opts', show: () => [] },
  { name: 'security_groups', show: () => [] },
  { name: 'description', show: () => '', filter: true },
  { name: 'binding:vnic_type', show: () => 'normal' },
  { name: 'port_security_enabled', show: () => true },
  { name: 'tags', show: () => [] },
  { name: 'created_at', show: ({ vip }) => zulu(vip.at) },
  { name: 'updated_at', show: ({ vip }) => zulu(vip.at) },
  { name: 'revision_number', show: () => 1 },
  { name: 'project_id', show: ({ projectId }) => projectId, filter: true },
  { name: 'subnet_id', show: ({ subnet }) => subnet.subnetId, hidden: true, filter: true },
  { name: 'ip_address', show: ({ vip }) => vip.address, hidden: true, filter: true },
]);
