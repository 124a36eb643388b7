import { formatIpv6, parseIpv6 } from './ip-address';
import { formatIpv4, parseIpv4 } from './ipv4';

/**
 * Pure address arithmetic for IPAM (subnets, allocation pools, VIPs) in both families. An address is a bigint (32 bits
 * for IPv4, 128 for IPv6) with its family beside it, so one IPv6 /64 is as cheap to reason about as an IPv4 /24.
 * Parsing is strict (see ipv4.ts and ip-address.ts): one address, one spelling. IPv4-mapped IPv6 addresses
 * (`::ffff:192.0.2.1`) are refused: on a wire they are IPv4, and an address plan that holds them would name one host twice.
 */

export type IpVersion = 4 | 6;
/** One address and its family. */
export type Ip = Readonly<{ version: IpVersion; value: bigint }>;
/** A network: its family, its first address and its prefix length. */
export type IpCidr = Readonly<{ version: IpVersion; network: bigint; prefix: number }>;
/** An inclusive range of addresses of one family. */
export type IpRange = Readonly<{ start: bigint; end: bigint }>;

/** How many bits an address of the family has. */
export const addressBits = (version: IpVersion): number => (version === 4 ? 32 : 128);

const V4_MAPPED = [0, 0, 0, 0, 0, 0xffff];

/** Parses an IPv4 or IPv6 literal (no zone id, no brackets, not IPv4-mapped); null for anything else. */
export const parseIp = (s: string): Ip | null => {
  const v4 = parseIpv4(s);
  if (v4 !== null) return { version: 4, value: BigInt(v4) };
  const groups = parseIpv6(s);
  if (!groups || V4_MAPPED.every((g, i) => groups[i] === g)) return null;
  return { version: 6, value: groups.reduce((n, g) => (n << 16n) | BigInt(g), 0n) };
};

/** Formats an address canonically (dotted quad; RFC 5952 for IPv6). */
export const formatIp = (version: IpVersion, value: bigint): string => {
  if (version === 4) return formatIpv4(Number(value));
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return formatIpv6(groups);
};

/** The canonical spelling of an address, or null if `s` is not one `parseIp` accepts. */
export const canonicalIp = (s: string): string | null => {
  const ip = parseIp(s);
  return ip && formatIp(ip.version, ip.value);
};

/** The netmask of a prefix length of the family (`4, 24` → 255.255.255.0). */
export const prefixMask = (version: IpVersion, prefix: number): bigint => {
  const bits = BigInt(addressBits(version));
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
};

/**
 * Parses `<address>/<prefix>` without judging host bits: `address` is the address as written. Null unless the
 * address parses and the prefix is a decimal the family allows (0..32, 0..128).
 */
export const parseIpPrefix = (s: string): { version: IpVersion; address: bigint; prefix: number } | null => {
  if (typeof s !== 'string') return null;
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(s);
  const ip = m ? parseIp(m[1]) : null;
  if (!m || !ip) return null;
  const prefix = Number(m[2]);
  return prefix > addressBits(ip.version) ? null : { version: ip.version, address: ip.value, prefix };
};

/** The network a prefix lies in (host bits cleared). */
export const networkOf = (p: { version: IpVersion; address: bigint; prefix: number }): IpCidr =>
  ({ version: p.version, network: p.address & prefixMask(p.version, p.prefix), prefix: p.prefix });

/** Parses a CIDR whose host bits are zero (`10.0.0.0/24`, `2001:db8::/64`); null otherwise. */
export const parseIpCidr = (s: string): IpCidr | null => {
  const p = parseIpPrefix(s);
  if (!p) return null;
  const c = networkOf(p);
  return c.network === p.address ? c : null;
};

/** Formats a CIDR canonically (`2001:db8::/64`). */
export const formatIpCidr = (c: IpCidr): string => `${formatIp(c.version, c.network)}/${c.prefix}`;

/** The last address of the network (IPv4's broadcast address). */
export const lastAddress = (c: IpCidr): bigint => c.network | (prefixMask(c.version, c.prefix) ^ ((1n << BigInt(addressBits(c.version))) - 1n));

/** Every address of the network, as a range. */
export const cidrRange = (c: IpCidr): IpRange => ({ start: c.network, end: lastAddress(c) });

/** True if the address (of the same family) lies inside the network. */
export const cidrContains = (c: IpCidr, a: Ip): boolean =>
  a.version === c.version && (a.value & prefixMask(c.version, c.prefix)) === c.network;

/**
 * The addresses of a network a host may hold, as Neutron counts them: never the network address (IPv6's
 * subnet-router anycast); for IPv4 never the broadcast address either (IPv6 has none, its last address is a host).
 */
export const hostRange = (c: IpCidr): IpRange =>
  ({ start: c.network + 1n, end: c.version === 4 ? lastAddress(c) - 1n : lastAddress(c) });

/** True if the address lies inside the inclusive range. */
export const rangeContains = (r: IpRange, a: bigint): boolean => a >= r.start && a <= r.end;

/** True if two inclusive ranges share at least one address. */
export const rangesOverlap = (a: IpRange, b: IpRange): boolean => a.start <= b.end && b.start <= a.end;

/** How many addresses the range holds. */
export const rangeSize = (r: IpRange): bigint => (r.end >= r.start ? r.end - r.start + 1n : 0n);

/** Formats a range as Neutron prints it: `10.0.0.2-10.0.0.254`. */
export const formatIpRange = (version: IpVersion, r: IpRange): string => `${formatIp(version, r.start)}-${formatIp(version, r.end)}`;

/** Removes one address from a range: zero, one or two ranges remain. */
export const rangeWithout = (r: IpRange, a: bigint): IpRange[] => {
  if (!rangeContains(r, a)) return [r];
  const out: IpRange[] = [];
  if (a > r.start) out.push({ start: r.start, end: a - 1n });
  if (a < r.end) out.push({ start: a + 1n, end: r.end });
  return out;
};

/**
 * The lowest address of the range for which `used` is false, or null. The cost is the number of used addresses at
 * the range's start (the walk stops at the first free one), never the range's size: a /64 costs what its VIPs cost.
 */
export const lowestUnused = (r: IpRange, used: (a: bigint) => boolean): bigint | null => {
  for (let a = r.start; a <= r.end; a++) if (!used(a)) return a;
  return null;
};
