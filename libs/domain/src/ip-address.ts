import { formatIpv4, parseIpv4 } from './ipv4';

/** A parsed IP literal: its family and its canonical spelling (RFC 5952 for IPv6), so equal addresses compare equal. */
export type IpAddress = Readonly<{ version: 4 | 6; canonical: string }>;

const HEXTET = /^[0-9A-Fa-f]{1,4}$/;

/**
 * Parses an IPv6 literal (`2001:db8::1`, `::ffff:192.0.2.1`) into eight 16-bit groups; null for anything else.
 * Zone ids (`fe80::1%eth0`) and brackets are refused: a member address is a plain address.
 */
export const parseIpv6 = (s: string): number[] | null => {
  if (typeof s !== 'string' || s.length === 0 || s.length > 45) return null;
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const groupsOf = (part: string, allowV4Tail: boolean): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i];
      if (allowV4Tail && i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (HEXTET.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return null;
      }
    }
    return out;
  };
  if (halves.length === 1) {
    const groups = groupsOf(halves[0], true);
    return groups && groups.length === 8 ? groups : null;
  }
  const head = groupsOf(halves[0], false);
  const tail = groupsOf(halves[1], true);
  if (!head || !tail || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
};

/** Formats eight groups canonically (RFC 5952: lowercase, no leading zeros, the longest run of ≥2 zero groups as `::`). */
export const formatIpv6 = (groups: readonly number[]): string => {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = (g: readonly number[]) => g.map((n) => n.toString(16)).join(':');
  if (bestLen < 2) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
};

/** Parses an IPv4 (strict dotted quad) or IPv6 literal; null for anything else. */
export const parseIpAddress = (s: string): IpAddress | null => {
  const v4 = parseIpv4(s);
  if (v4 !== null) return { version: 4, canonical: formatIpv4(v4) };
  const v6 = parseIpv6(s);
  return v6 ? { version: 6, canonical: formatIpv6(v6) } : null;
};

/** True if `s` is an IPv4 or IPv6 literal. */
export const isIpAddress = (s: unknown): s is string => typeof s === 'string' && parseIpAddress(s) !== null;

/** True if `s` is `<ip>/<prefix>` with a prefix the family allows (0..32 for IPv4, 0..128 for IPv6). */
export const isIpCidr = (s: unknown): s is string => {
  if (typeof s !== 'string') return false;
  const m = /^([^/]+)\/(0|[1-9][0-9]{0,2})$/.exec(s);
  if (!m) return false;
  const ip = parseIpAddress(m[1]);
  return ip !== null && Number(m[2]) <= (ip.version === 4 ? 32 : 128);
};
