import { formatIp, networkOf, parseIpPrefix } from '@lbaas/domain';
import type { AllocationPool } from '@lbaas/events';
import type { SubnetView } from '@lbaas/projections';
import { attributes, zulu } from '../http/attributes';
import { bool, cidr, int, ipAddress, projectId, text, unsupported, uuid, type Rule } from '../http/rules';

/** allocation_pools: a list of {start, end} ranges (canonical addresses; the decider checks them against the cidr). */
export const allocationPools: Rule<AllocationPool[]> = (v) => {
  if (!Array.isArray(v)) return { ok: false, reason: 'Value should be a list' };
  const out: AllocationPool[] = [];
  for (const p of v) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return { ok: false, reason: 'Each pool should be {"start": ..., "end": ...}' };
    const o = p as Record<string, unknown>;
    if (Object.keys(o).some((k) => k !== 'start' && k !== 'end')) return { ok: false, reason: 'Each pool should be {"start": ..., "end": ...}' };
    const start = ipAddress(o.start), end = ipAddress(o.end);
    if (!start.ok || !end.ok) return { ok: false, reason: 'start and end should be IPv4 or IPv6 addresses' };
    out.push({ start: start.value, end: end.value });
  }
  return { ok: true, value: out };
};

/** Neutron's default gateway: the first host address of the CIDR (the rule has checked it; null if it did not parse). */
export function defaultGateway(cidrText: string): string | null {
  const p = parseIpPrefix(cidrText);
  if (!p) return null;
  const c = networkOf(p);
  return formatIp(c.version, c.network + 1n);
}

/** ip_version: 4 or 6 (Neutron's words for anything else). */
export const ipVersion: Rule<4 | 6> = (v) => {
  const n = int(4, 6)(v);
  return n.ok && n.value !== 5 ? { ok: true, value: n.value as 4 | 6 } : { ok: false, reason: `${JSON.stringify(v)} is not in [4, 6]` };
};

const IPV6_MODES = ['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac'] as const;
/**
 * ipv6_ra_mode and ipv6_address_mode: null (absent) only. Neutron refuses them without DHCP, and enable_dhcp is always
 * False here: addresses are handed out as VIPs, no router advertisements or DHCPv6 are sent.
 */
export const ipv6Mode: Rule<null> = (v) => (typeof v === 'string' && (IPV6_MODES as readonly string[]).includes(v)
  ? { ok: false, reason: 'ipv6_ra_mode or ipv6_address_mode cannot be set when enable_dhcp is set to False (this service sends no router advertisements and runs no DHCPv6)' }
  : { ok: false, reason: `${JSON.stringify(v)} is not in [${IPV6_MODES.map((m) => `'${m}'`).join(', ')}, None]` });

/**
 * A subnet in Neutron's shape (IPv4 or IPv6, no DHCP: addresses are only handed out as VIPs), in Neutron's wire order. An
 * absent gateway_ip means the first host, an explicit null none: the controller decides that one.
 */
export const SUBNET = attributes<SubnetView>()('subnet', 'subnet', (s) => s, [
  { name: 'id', field: 'subnetId', filter: true },
  { name: 'name', rule: text(), create: true, field: 'name', default: '', filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: (s) => s.projectId, filter: true },
  { name: 'network_id', rule: uuid, create: 'required', show: (s) => s.networkId, filter: true },
  { name: 'ip_version', rule: ipVersion, create: true, show: (s) => s.ipVersion, filter: true },
  { name: 'subnetpool_id', rule: unsupported('Subnet pools'), create: true, show: () => null, filter: true },
  { name: 'enable_dhcp', rule: bool, create: true, show: () => false, filter: true },
  { name: 'ipv6_ra_mode', rule: ipv6Mode, create: true, show: () => null },
  { name: 'ipv6_address_mode', rule: ipv6Mode, create: true, show: () => null },
  { name: 'gateway_ip', rule: ipAddress, create: true, show: (s) => s.gatewayIp, filter: true },
  { name: 'cidr', rule: cidr, create: 'required', field: 'cidr', filter: true },
  { name: 'allocation_pools', rule: allocationPools, create: true, field: 'allocationPools', default: null, show: (s) => s.allocationPools.map((p) => ({ start: p.start, end: p.end })) },
  { name: 'host_routes', rule: unsupported('Host routes'), create: true, show: () => [] },
  { name: 'dns_nameservers', rule: unsupported('DNS name servers'), create: true, show: () => [] },
  { name: 'description', rule: unsupported('Descriptions of subnets'), create: true, show: () => '', filter: true },
  { name: 'service_types', rule: unsupported('Service types'), create: true, show: () => [] },
  { name: 'tags', show: () => [] },
  { name: 'created_at', show: (s) => zulu(s.createdAt) },
  { name: 'updated_at', show: (s) => zulu(s.createdAt) },
  { name: 'revision_number', show: () => 0 },
  { name: 'project_id', rule: projectId, create: true, show: (s) => s.projectId, filter: true },
]);
