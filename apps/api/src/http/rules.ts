import { isUuid } from '@lbaas/contracts';
import { canonicalIp, cidrContains, formatIpCidr, networkOf, parseIp, parseIpPrefix } from '@lbaas/domain';
import { LIMITS, type IntLimit } from '@lbaas/events';

/**
 * Field rules: each checks one JSON value (never null or undefined: the caller handles those) and returns the
 * value the command carries, or WSME's reason text. The strict ones keep anything that could break out of a
 * haproxy config line (whitespace, quotes, backslashes, '#', '$', control characters) out of the system.
 */
export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
export type Rule<T> = (v: unknown) => Parsed<T>;

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = (reason: string): Parsed<never> => ({ ok: false, reason });

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A string of at most `max` characters without control characters (names, descriptions, tags). */
export const text = (max: number = LIMITS.text.maxLength): Rule<string> => (v) => {
  if (typeof v !== 'string') return bad('Value should be a string');
  if (v.length > max) return bad(`Value should have a maximum character requirement of ${max}`);
  if (CONTROL.test(v)) return bad('Value should not contain control characters');
  return ok(v);
};

/** A string matching `pattern` (shown in the reason like WSME's StringType). */
export const pattern = (re: RegExp, max: number = LIMITS.text.maxLength): Rule<string> => (v) => {
  if (typeof v !== 'string') return bad('Value should be a string');
  if (v.length > max) return bad(`Value should have a maximum character requirement of ${max}`);
  if (!re.test(v)) return bad(`Value should match the pattern ${re.source}`);
  return ok(v);
};

/** An integer in [min, max]; numeric strings are accepted (the CLI sends connection_limit as "5000"). */
export const int = (min: number, max: number): Rule<number> => (v) => {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^\s*[-+]?\d{1,12}\s*$/.test(v)) n = Number(v);
  else return bad('Value should be an integer');
  if (!Number.isSafeInteger(n)) return bad('Value should be an integer');
  if (n < min) return bad(`Value should be greater or equal to ${min}`);
  if (n > max) return bad(`Value should be lower or equal to ${max}`);
  return ok(n);
};

/** An integer in one of the ranges of LIMITS (libs/events). */
export const intIn = (limit: IntLimit): Rule<number> => int(limit.min, limit.max);

const TRUE = new Set(['true', '1', 'yes', 'y', 'on', 't']);
const FALSE = new Set(['false', '0', 'no', 'n', 'off', 'f']);
/** A boolean; WSME also takes the usual strings. */
export const bool: Rule<boolean> = (v) => {
  if (typeof v === 'boolean') return ok(v);
  if (typeof v === 'string' && TRUE.has(v.toLowerCase())) return ok(true);
  if (typeof v === 'string' && FALSE.has(v.toLowerCase())) return ok(false);
  if (v === 1 || v === 0) return ok(v === 1);
  return bad(`Value not an unambiguous boolean: ${typeof v === 'string' ? v : JSON.stringify(v)}`);
};

/** One of a fixed set of strings. */
export const oneOf = <T extends string>(values: readonly T[]): Rule<T> => (v) =>
  typeof v === 'string' && (values as readonly string[]).includes(v) ? ok(v as T) : bad(`Value should be one of: ${values.join(', ')}`);

/** A UUID, normalised to lower case. */
export const uuid: Rule<string> = (v) => (isUuid(v) ? ok(v.toLowerCase()) : bad('Value should be UUID format'));

/**
 * An IPv4 or IPv6 address, in canonical form (RFC 5952), so one host has one spelling everywhere. Refused: zone ids
 * (`fe80::1%eth0`: an interface of the caller's, not an address here), brackets, IPv4-mapped IPv6 (`::ffff:10.0.0.1`
 * is an IPv4 host spelled twice), prefixes, whitespace.
 */
export const ipAddress: Rule<string> = (v) => {
  const c = typeof v === 'string' ? canonicalIp(v) : null;
  return c !== null ? ok(c) : bad('Value should be IPv4 or IPv6 format');
};

/** An IPv4 address (a pool's persistence_granularity, a netmask). */
export const ipv4: Rule<string> = (v) => (typeof v === 'string' && parseIp(v)?.version === 4 ? ok(v) : bad('Value should be IPv4 format'));

/** A list of at most LIMITS.tags.maxCount tags, each a text. */
export const tags: Rule<string[]> = (v) => {
  if (!Array.isArray(v)) return bad('Value should be a list');
  if (v.length > LIMITS.tags.maxCount) return bad(`Value should have at most ${LIMITS.tags.maxCount} tags`);
  for (const t of v) {
    const r = text()(t);
    if (!r.ok) return bad(r.reason);
  }
  return ok([...new Set(v as string[])]);
};

/** True if `address` lies inside the subnet's CIDR (both of one family). */
export function inCidr(address: string, cidrText: string): boolean {
  const ip = parseIp(address), p = parseIpPrefix(cidrText);
  return ip !== null && p !== null && cidrContains(networkOf(p), ip);
}

/**
 * An IPv4 or IPv6 CIDR, normalised to its network address in canonical form ("10.0.0.5/24" -> "10.0.0.0/24",
 * "2001:DB8::1/64" -> "2001:db8::/64"). The prefix is decimal and at most 32 or 128.
 */
export const cidr: Rule<string> = (v) => {
  const p = typeof v === 'string' ? parseIpPrefix(v) : null;
  return p ? ok(formatIpCidr(networkOf(p))) : bad('Value should be a valid IPv4 or IPv6 CIDR');
};

/** A list of CIDRs (listener allowed_cidrs). */
export const cidrList: Rule<string[]> = (v) => {
  if (!Array.isArray(v)) return bad('Value should be a list');
  const out: string[] = [];
  for (const c of v) {
    const r = cidr(c);
    if (!r.ok) return bad(`${pyStrList(c)} is not a valid CIDR`);
    out.push(r.value);
  }
  return ok([...new Set(out)]);
};
const pyStrList = (c: unknown): string => (typeof c === 'string' ? c : JSON.stringify(c));

/**
 * A health-monitor URL path: starts with '/', then RFC 3986 path and query characters, without the ones
 * haproxy's config parser treats specially (quotes, backslash, '#', '$', whitespace) and with well-formed escapes.
 */
export const urlPath: Rule<string> = (v) => {
  if (typeof v !== 'string' || v.length > 2048 || !/^\/[A-Za-z0-9\-._~!&()*+,;=:@%/?]*$/.test(v) || /%(?![0-9A-Fa-f]{2})/.test(v)) {
    return bad('Value should be a valid URL path');
  }
  return ok(v);
};

/** Expected HTTP codes: "200", "200,202" or "200-204". */
export const expectedCodes: Rule<string> = pattern(/^[1-5]\d\d(,[1-5]\d\d)*$|^[1-5]\d\d-[1-5]\d\d$/, 64);

/** A cookie name for APP_COOKIE persistence: an RFC 6265 token without the characters haproxy treats specially. */
export const cookieName: Rule<string> = pattern(/^[A-Za-z0-9!%&*+\-.^_|~]+$/, 255);

/** A DNS name (HTTP health-check Host header). */
export const hostname: Rule<string> = pattern(/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/, 253);

/** A project id: Keystone's 32 hex characters, or any short subject-safe token in noauth setups. */
export const projectId: Rule<string> = pattern(/^[A-Za-z0-9_-]{1,64}$/, 64);

/** Accepts only null/empty values: for attributes Octavia has but this provider does not support yet. */
export const unsupported = (what: string): Rule<null> => (v) =>
  v === false || v === '' || (Array.isArray(v) && v.length === 0) || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)
    ? ok(null)
    : bad(`${what} is not supported by this provider`);

/** A list of distinct values of a fixed set (tls_versions, alpn_protocols); the decider says why an empty one is refused. */
export const listOf = <T extends string>(values: readonly T[], max = values.length): Rule<T[]> => (v) => {
  if (!Array.isArray(v)) return bad('Value should be a list');
  if (v.length > max) return bad(`Value should have at most ${max} entries`);
  for (const x of v) if (typeof x !== 'string' || !(values as readonly string[]).includes(x)) return bad(`Value should be a list of: ${values.join(', ')}`);
  return ok([...new Set(v as T[])]);
};

/** JSON text (flavor_data, availability_zone_data): a string of at most `max` characters; the decider parses and checks it. */
export const jsonText = (max: number): Rule<string> => (v) => {
  if (typeof v !== 'string') return bad('Value should be a string');
  if (v.length > max) return bad(`Value should have a maximum character requirement of ${max}`);
  return ok(v);
};
