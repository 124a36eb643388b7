import type { AllocationPool } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, cidr, int, ipv4, oneOf, pattern, projectId, text, unsupported, uuid, type Rule } from '../shell/rules';

/** Body of POST /v2.0/networks (Neutron's shape; flat provider networks only). */
export class NetworkCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(pattern(/^[A-Za-z0-9_.-]{1,64}$/, 64)) 'provider:physical_network'?: string | null;
  @Attr(oneOf(['flat'] as const)) 'provider:network_type'?: 'flat' | null;
  @Attr(unsupported('Segmentation ids')) 'provider:segmentation_id'?: null;
  @Attr(bool) shared?: boolean | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported('Descriptions of networks')) description?: null;
  @Attr(int(68, 9000)) mtu?: number | null;
  @Attr(bool) port_security_enabled?: boolean | null;
  @Attr(unsupported('External networks')) 'router:external'?: null;
  @Attr(unsupported('Availability zones')) availability_zone_hints?: null;
}

/** allocation_pools: a list of {start, end} IPv4 ranges. */
export const allocationPools: Rule<AllocationPool[]> = (v) => {
  if (!Array.isArray(v)) return { ok: false, reason: 'Value should be a list' };
  const out: AllocationPool[] = [];
  for (const p of v) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return { ok: false, reason: 'Each pool should be {"start": ..., "end": ...}' };
    const o = p as Record<string, unknown>;
    if (Object.keys(o).some((k) => k !== 'start' && k !== 'end')) return { ok: false, reason: 'Each pool should be {"start": ..., "end": ...}' };
    const start = ipv4(o.start), end = ipv4(o.end);
    if (!start.ok || !end.ok) return { ok: false, reason: 'start and end should be IPv4 addresses' };
    out.push({ start: start.value, end: end.value });
  }
  return { ok: true, value: out };
};

/** Body of POST /v2.0/subnets (IPv4, no DHCP: addresses are only handed out as VIPs). */
export class SubnetCreateBody {
  @Attr(uuid, { required: true }) network_id!: string;
  @Attr(cidr, { required: true }) cidr!: string;
  @Attr(int(4, 4)) ip_version?: number | null;
  @Attr(text()) name?: string | null;
  @Attr(ipv4) gateway_ip?: string | null;
  @Attr(allocationPools) allocation_pools?: AllocationPool[] | null;
  @Attr(bool) enable_dhcp?: boolean | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported('Descriptions of subnets')) description?: null;
  @Attr(unsupported('DNS name servers')) dns_nameservers?: null;
  @Attr(unsupported('Host routes')) host_routes?: null;
  @Attr(unsupported('Subnet pools')) subnetpool_id?: null;
  @Attr(unsupported('IPv6')) ipv6_ra_mode?: null;
  @Attr(unsupported('IPv6')) ipv6_address_mode?: null;
  @Attr(unsupported('Service types')) service_types?: null;
}
