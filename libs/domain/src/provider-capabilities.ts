import { LB_TOPOLOGIES, LIMITS, type LbTopology } from '@lbaas/events';
import { DomainError } from './domain-error';
import { show } from './field-rules';
import { PROVIDER } from './protocol-rules';

/**
 * What this provider lets flavor and availability-zone profiles say (Octavia's flavor_capabilities and
 * availability_zone_capabilities), and the one parser of each profile's JSON. Every key is honoured where it is
 * enforced: the topology by the load-balancer decider and the scheduler (ACTIVE_STANDBY: a VRRP pair on two hosts), the
 * listener limits by the listener decider (haproxy then enforces `maxconn` per frontend), the zone by placement.
 */
export type Capability = Readonly<{ name: string; description: string }>;

/** Topologies a load balancer may have: one haproxy, or a keepalived VRRP pair of two (issue 14). */
export const SUPPORTED_TOPOLOGIES: readonly LbTopology[] = ['SINGLE', 'ACTIVE_STANDBY'];

/** Largest listener limit a flavor may set: haproxy's maxconn ceiling in the rendered config. */
const MAX_CONNECTIONS = 1_000_000;

export const FLAVOR_CAPABILITIES: readonly Capability[] = [
  {
    name: 'loadbalancer_topology',
    description: 'The load balancer topology. One of: SINGLE - One haproxy per load balancer. ACTIVE_STANDBY - Two haproxy '
      + 'on two hosts, a keepalived VRRP pair (sub-second takeover); IPv4 VIPs without additional_vips.',
  },
  {
    name: 'max_listeners',
    description: `At most this many listeners on a load balancer of this flavor (an integer 1-${LIMITS.port.max}).`,
  },
  {
    name: 'max_listener_connections',
    description: `Every listener's connection_limit is at most this (an integer 1-${MAX_CONNECTIONS}); a listener asking for `
      + 'unlimited (-1) gets this. haproxy enforces it as the frontend\'s maxconn.',
  },
];

export const AVAILABILITY_ZONE_CAPABILITIES: readonly Capability[] = [
  {
    name: 'compute_zone',
    description: 'The agents\' availability zone (their AVAILABILITY_ZONE) load balancers of this zone are placed and failed '
      + 'over to. Default: the availability zone\'s name.',
  },
  {
    name: 'valid_vip_networks',
    description: 'List of network IDs that are allowed for VIP use in this zone (default: every network).',
  },
];

/** What a flavor profile's data says, every key resolved (null: not limited). */
export type FlavorMetadata = Readonly<{ topology: LbTopology; maxListeners: number | null; maxListenerConnections: number | null }>;
/** What an availability zone profile's data says. */
export type ZoneMetadata = Readonly<{ computeZone: string | null; validVipNetworks: readonly string[] | null }>;

const unsupported = (detail: string): DomainError =>
  new DomainError('Invalid', `Provider '${PROVIDER}' does not support a requested option: ${detail}`);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** The object of a profile's JSON text, or Octavia's InvalidOption. */
function parseObject(text: unknown, option: string): Record<string, unknown> {
  let value: unknown;
  try {
    if (typeof text !== 'string' || text.length > LIMITS.profileData.maxLength) throw new Error('not a string');
    value = JSON.parse(text);
  } catch {
    throw new DomainError('Invalid', `${show(text)} is not a valid option for ${option}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw unsupported(`${option} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

const refuseUnknown = (o: Record<string, unknown>, known: readonly Capability[]): void => {
  const unknown = Object.keys(o).filter((k) => !known.some((c) => c.name === k)).sort();
  if (unknown.length) throw unsupported(`Additional properties are not allowed (${unknown.map((k) => `'${show(k)}'`).join(', ')} unexpected)`);
};

const limit = (o: Record<string, unknown>, key: string, max: number): number | null => {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (!Number.isSafeInteger(v) || (v as number) < 1 || (v as number) > max) throw unsupported(`${key} ${show(v)} is not an integer from 1 to ${max}`);
  return v as number;
};

/** Parses and checks a flavor profile's `flavor_data` against FLAVOR_CAPABILITIES. */
export function parseFlavorData(text: unknown): FlavorMetadata {
  const o = parseObject(text, 'flavor_data');
  refuseUnknown(o, FLAVOR_CAPABILITIES);
  const topology = o.loadbalancer_topology ?? 'SINGLE';
  if (typeof topology !== 'string' || !(LB_TOPOLOGIES as readonly string[]).includes(topology)) {
    throw unsupported(`loadbalancer_topology ${show(topology)} is not one of [${LB_TOPOLOGIES.map((t) => `'${t}'`).join(', ')}]`);
  }
  return {
    topology: topology as LbTopology,
    maxListeners: limit(o, 'max_listeners', LIMITS.port.max),
    maxListenerConnections: limit(o, 'max_listener_connections', MAX_CONNECTIONS),
  };
}

/** Parses and checks an availability zone profile's `availability_zone_data` against AVAILABILITY_ZONE_CAPABILITIES. */
export function parseZoneData(text: unknown): ZoneMetadata {
  const o = parseObject(text, 'availability_zone_data');
  refuseUnknown(o, AVAILABILITY_ZONE_CAPABILITIES);
  const zone = o.compute_zone;
  if (zone !== undefined && zone !== null && (typeof zone !== 'string' || !isZoneName(zone))) {
    throw unsupported(`compute_zone ${show(zone)} is not a zone name (1-255 printable characters)`);
  }
  const nets = o.valid_vip_networks;
  if (nets !== undefined && nets !== null && (!Array.isArray(nets) || nets.length > 100 || !nets.every((n) => typeof n === 'string' && UUID.test(n)))) {
    throw unsupported(`valid_vip_networks ${show(nets)} is not a list of network IDs`);
  }
  return {
    computeZone: typeof zone === 'string' ? zone : null,
    validVipNetworks: Array.isArray(nets) ? nets.map((n) => (n as string).toLowerCase()) : null,
  };
}

/** An availability zone name (of the API's zones and of the agents' AVAILABILITY_ZONE): 1-255 characters, no control ones. */
export const isZoneName = (s: unknown): s is string =>
  typeof s === 'string' && s.length >= 1 && s.length <= LIMITS.text.maxLength && !CONTROL.test(s) && s.trim() === s;

/** The provider must be this control plane (Octavia's ProviderNotEnabled). */
export function checkProviderName(name: string): void {
  if (name !== PROVIDER) throw new DomainError('Invalid', `Provider '${show(name)}' is not enabled.`);
}
