/**
 * IPv4 literals: parsing is strict (dotted quad, decimal, no leading zeros) so one address has exactly one spelling.
 * Ranges, networks and their arithmetic for both families live in ip-range.ts.
 */

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
