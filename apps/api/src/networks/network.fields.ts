import type { NetworkView } from '@lbaas/projections';
import { attributes, zulu } from '../http/attributes';
import { bool, int, oneOf, pattern, projectId, text, unsupported } from '../http/rules';

/** A network in Neutron's shape (flat provider networks only), in Neutron's wire order. */
export const NETWORK = attributes<NetworkView>()('network', 'network', (n) => n, [
  { name: 'id', field: 'networkId', filter: true },
  { name: 'name', rule: text(), create: true, field: 'name', default: '', filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: (n) => n.projectId, filter: true },
  { name: 'admin_state_up', rule: bool, create: true, show: () => true, filter: true },
  { name: 'mtu', rule: int(68, 9000), create: true, show: () => 1500, filter: true },
  { name: 'status', show: () => 'ACTIVE', filter: true },
  { name: 'subnets', show: (n) => [...n.subnetIds] },
  { name: 'shared', rule: bool, create: true, field: 'shared', default: false, filter: true },
  { name: 'availability_zone_hints', rule: unsupported('Availability zones'), create: true, show: () => [] },
  { name: 'availability_zones', show: () => [] },
  { name: 'ipv4_address_scope', show: () => null },
  { name: 'ipv6_address_scope', show: () => null },
  { name: 'router:external', rule: unsupported('External networks'), create: true, show: () => false, filter: true },
  { name: 'description', rule: unsupported('Descriptions of networks'), create: true, show: () => '', filter: true },
  { name: 'port_security_enabled', rule: bool, create: true, show: () => true },
  { name: 'tags', show: () => [] },
  { name: 'created_at', show: (n) => zulu(n.createdAt) },
  { name: 'updated_at', show: (n) => zulu(n.createdAt) },
  { name: 'revision_number', show: () => 1 },
  { name: 'project_id', rule: projectId, create: true, show: (n) => n.projectId, filter: true },
  { name: 'provider:network_type', rule: oneOf(['flat'] as const), create: true, show: (n) => n.networkType, filter: true },
  { name: 'provider:physical_network', rule: pattern(/^[A-Za-z0-9_.-]{1,64}$/, 64), create: true, field: 'physicalNetwork', filter: true },
  { name: 'provider:segmentation_id', rule: unsupported('Segmentation ids'), create: true, show: () => null },
]);
