/**
 * Reading identity out of JWT claims (pure). A claim is named by a path: the exact key first (claims such as
 * `https://example.org/roles` contain dots), else dot-separated keys into nested objects (`realm_access.roles`).
 */

export type Claims = Readonly<Record<string, unknown>>;

/** The value at `path` in `claims`, or undefined. */
export function claimAt(claims: Claims, path: string): unknown {
  if (path === '') return undefined;
  if (Object.prototype.hasOwnProperty.call(claims, path)) return claims[path];
  let here: unknown = claims;
  for (const part of path.split('.')) {
    if (here === null || typeof here !== 'object' || Array.isArray(here) || !Object.prototype.hasOwnProperty.call(here, part)) return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

/** A claim that must be a non-empty string (numbers are accepted as their decimal text); undefined otherwise. */
export function stringClaim(claims: Claims, path: string): string | undefined {
  const v = claimAt(claims, path);
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const ROLE = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Role names from a claim given as a list of strings or as one string separated by spaces or commas (OAuth's
 * `scope` style). Entries that are not role names are dropped; duplicates are removed; order is kept.
 */
export function rolesClaim(claims: Claims, path: string): string[] {
  const v = claimAt(claims, path);
  const raw = typeof v === 'string' ? v.split(/[\s,]+/) : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  const out: string[] = [];
  for (const r of raw.map((s) => s.trim())) if (ROLE.test(r) && !out.includes(r)) out.push(r);
  return out;
}
