/**
 * Pure IPv4 arithmetic for IPAM (subnets, allocation pools, VIPs). Addresses are unsigned 32-bit numbers;
 * parsing is strict (dotted quad, decimal, no leading zeros) so one address has exactly one spelling.
 */

/** An IPv4 network: its first address and its prefix length. */
export type Ipv4Cidr = Readonly<{ network: number; prefix: number }>;

/** An inclusive range of IPv4 addresses. */
export type Ipv4Range = Readonly<{ start: number; end: number }>;

const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/** Parses a strict dotted quad (`10.0.0.1`) into a uint32; null for anything else (`010.0.0.1`, `10.1`, ` 10.0.0.1`). */
export const parseIpv4 = (s: string): number | null => {
  if (typeof s !== 'string') return null;
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return null;
    const octet = Number(p);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n;
};

/** True if `s` is a strict dotted-quad IPv4 address. */
export const isIpv4 = (s: unknown): s is string => typeof s === 'string' && parseIpv4(s) !== null;

/** Formats a uint32 as a dotted quad. */
export const formatIpv4 = (n: number): string =>
  [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');

/** The netmask of a prefix length as a uint32 (`24` → 255.255.255.0). */
export const prefixMask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/**
 * Parses `a.b.c.d/p` without judging host bits: `address` is the address as written.
 * Null unless the address is a strict dotted quad and p is a decimal 0..32.
 */
export const parseIpv4Prefix = (s: string): { address: number; prefix: number } | null => {
  if (typeof s !== 'string') return null;
  const m = /^([^/]+)\/(0|[1-9][0-9]?)$/.exec(s);
  if (!m) return null;
  const address = parseIpv4(m[1]);
  const prefix = Number(m[2]);
  if (address === null || prefix > 32) return null;
  return { address, prefix };
};

/** Parses a CIDR whose host bits are zero (`10.0.0.0/24`); null otherwise. */
export const parseIpv4Cidr = (s: string): Ipv4Cidr | null => {
  const p = parseIpv4Prefix(s);
  if (!p || (p.address & ~prefixMask(p.prefix)) >>> 0 !== 0) return null;
  return { network: p.address, prefix: p.prefix };
};

/** Formats a CIDR as `a.b.c.d/p`. */
export const formatIpv4Cidr = (c: Ipv4Cidr): string => `${formatIpv4(c.network)}/${c.prefix}`;

/** The last address of the network (its broadcast address). */
export const broadcastAddress = (c: Ipv4Cidr): number => (c.network | ~prefixMask(c.prefix)) >>> 0;

/** True if the address lies inside the network (network and broadcast addresses included). */
export const cidrContains = (c: Ipv4Cidr, address: number): boolean =>
  ((address & prefixMask(c.prefix)) >>> 0) === c.network;

/** The usable host range of a network: all but its network and broadcast addresses (prefix ≤ 30). */
export const hostRange = (c: Ipv4Cidr): Ipv4Range => ({ start: c.network + 1, end: broadcastAddress(c) - 1 });

/** True if the address lies inside the inclusive range. */
export const rangeContains = (r: Ipv4Range, address: number): boolean => address >= r.start && address <= r.end;

/** True if two inclusive ranges share at least one address. */
export const rangesOverlap = (a: Ipv4Range, b: Ipv4Range): boolean => a.start <= b.end && b.start <= a.end;

/** Formats a range as Neutron prints it: `10.0.0.2-10.0.0.254`. */
export const formatIpv4Range = (r: Ipv4Range): string => `${formatIpv4(r.start)}-${formatIpv4(r.end)}`;

/** Removes one address from a range: zero, one or two ranges remain. */
export const rangeWithout = (r: Ipv4Range, address: number): Ipv4Range[] => {
  if (!rangeContains(r, address)) return [r];
  const out: Ipv4Range[] = [];
  if (address > r.start) out.push({ start: r.start, end: address - 1 });
  if (address < r.end) out.push({ start: address + 1, end: r.end });
  return out;
};
