import type { FastifyRequest } from 'fastify';
import { selectFields, type Wire } from './attributes';
import { ApiError, invalidFilter } from './errors';
import { selfUrl } from './request-context';

/**
 * What a list needs of its resource (an attribute table, http/attributes.ts, is one): one attribute's value of an item
 * (filters and sorting read only those), the wire object of an item (only for the page shown), and the attributes a
 * caller may filter and sort on.
 */
export type Listable<T> = Readonly<{
  value(item: T, name: string): unknown;
  render(item: T): Wire;
  filterKeys: readonly string[];
}>;

/** The raw query string as Fastify parses it: repeated keys become arrays. */
export type Query = Record<string, string | string[] | undefined>;

const CONTROL_KEYS = new Set(['fields', 'limit', 'marker', 'sort', 'sort_key', 'sort_dir', 'page_reverse', 'tags', 'tags-any', 'not-tags', 'not-tags-any']);
const MAX_LIMIT = 1000;

const all = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
const one = (q: Query, key: string): string | undefined => {
  const v = q[key];
  if (Array.isArray(v)) {
    if (v.length > 1) throw invalidFilter();
    return v[0];
  }
  return v;
};

/** `fields=a&fields=b` or `fields=a,b`; null when absent. */
export function fieldsOf(q: Query): string[] | null {
  const f = all(q.fields).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  return f.length ? f : null;
}

const scalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);

function matches(value: unknown, wanted: string): boolean {
  if (value === null || value === undefined) return wanted === '' || wanted === 'None' || wanted === 'null';
  if (typeof value === 'boolean') return ['true', '1', 'yes'].includes(wanted.toLowerCase()) === value && ['true', 'false', '1', '0', 'yes', 'no'].includes(wanted.toLowerCase());
  if (typeof value === 'string' && /^[0-9a-f-]{36}$/i.test(value)) return value.toLowerCase() === wanted.toLowerCase();
  return String(value) === wanted;
}

const tagList = (q: Query, key: string): string[] | null => {
  const t = all(q[key]).flatMap((s) => s.split(',')).filter(Boolean);
  return t.length ? t : null;
};

type SortKey = { key: string; dir: 'asc' | 'desc' };

function sortKeysOf(q: Query, sortable: (k: string) => boolean): SortKey[] {
  const keys: SortKey[] = [];
  const parseDir = (d: string | undefined): 'asc' | 'desc' => {
    const dir = (d ?? 'asc').toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') throw new ApiError(400, `Supplied sort direction '${d}' is not valid.`);
    return dir;
  };
  const sort = one(q, 'sort');
  if (sort !== undefined) {
    for (const part of sort.split(',').filter(Boolean)) {
      const [key, d] = part.split(':');
      keys.push({ key, dir: parseDir(d) });
    }
  } else {
    const ks = all(q.sort_key).flatMap((s) => s.split(',')).filter(Boolean);
    const ds = all(q.sort_dir).flatMap((s) => s.split(',')).filter(Boolean);
    ks.forEach((key, i) => keys.push({ key, dir: parseDir(ds[i] ?? ds[0]) }));
  }
  for (const k of keys) if (!sortable(k.key)) throw new ApiError(400, `Supplied sort key '${k.key}' is not valid.`);
  return keys;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1;
  if (b === null || b === undefined) return 1;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Octavia's list semantics: filters on every attribute the resource names (ANDed; an unknown or repeated key is a
 * 400), tags filters, sort/sort_key/sort_dir, limit/marker/page_reverse with `<plural>_links`, and field selection.
 * Only the page shown is rendered.
 */
export function listResponse<T>(plural: string, items: readonly T[], of: Listable<T>, req: FastifyRequest, opts: { strict?: boolean } = {}): Wire {
  return listOf(plural, items, of, (req.query ?? {}) as Query, selfUrl(req), opts);
}

/** listResponse over a parsed query and the list's own URL. */
export function listOf<T>(
  plural: string, items: readonly T[], of: Listable<T>, q: Query, selfUrl: string, opts: { strict?: boolean } = {},
): Wire {
  const attr = (it: T, k: string): unknown => of.value(it, k);
  const filterable = (k: string): boolean => of.filterKeys.includes(k);
  let out = [...items];
  for (const key of Object.keys(q)) {
    if (CONTROL_KEYS.has(key)) continue;
    if (!filterable(key)) {
      // Neutron-style lists ignore what they do not know; Octavia's refuse it.
      if (opts.strict === false) continue;
      throw invalidFilter();
    }
    const wanted = one(q, key) ?? '';
    // A list-valued attribute (tls_versions, a pool's listeners) matches when one of its values does.
    const hit = (v: unknown): boolean => (Array.isArray(v) ? v.some((x) => scalar(x) && matches(x, wanted)) : scalar(v) && matches(v, wanted));
    out = out.filter((it) => hit(attr(it, key)));
  }
  const hasTags = (it: T): string[] => { const t = attr(it, 'tags'); return Array.isArray(t) ? (t as string[]) : []; };
  const tAll = tagList(q, 'tags'), tAny = tagList(q, 'tags-any'), nAll = tagList(q, 'not-tags'), nAny = tagList(q, 'not-tags-any');
  if (tAll) out = out.filter((it) => tAll.every((t) => hasTags(it).includes(t)));
  if (tAny) out = out.filter((it) => tAny.some((t) => hasTags(it).includes(t)));
  if (nAll) out = out.filter((it) => !nAll.every((t) => hasTags(it).includes(t)));
  if (nAny) out = out.filter((it) => !nAny.some((t) => hasTags(it).includes(t)));

  const keys = sortKeysOf(q, (k) => filterable(k));
  if (keys.length) {
    out.sort((a, b) => {
      for (const { key, dir } of keys) {
        const c = compare(attr(a, key), attr(b, key));
        if (c !== 0) return dir === 'asc' ? c : -c;
      }
      return 0;
    });
  }
  const pageReverse = /^(true|1)$/i.test(one(q, 'page_reverse') ?? '');
  if (pageReverse) out.reverse();

  const rawLimit = one(q, 'limit');
  let limit: number | null = null;
  if (rawLimit !== undefined && rawLimit !== 'infinite') {
    if (!/^-?\d+$/.test(rawLimit)) throw new ApiError(400, `Supplied pagination limit '${rawLimit}' is not valid.`);
    const n = Number(rawLimit);
    limit = n <= 0 ? null : Math.min(n, MAX_LIMIT);
  }
  const marker = one(q, 'marker');
  if (marker !== undefined) {
    const i = out.findIndex((it) => String(attr(it, 'id')) === marker);
    if (i < 0) throw new ApiError(400, `Supplied pagination marker '${marker}' is not valid.`);
    out = out.slice(i + 1);
  }
  const page = limit === null ? out : out.slice(0, limit);
  const links: { href: string; rel: string }[] = [];
  if (limit !== null) {
    const carry = new URLSearchParams();
    for (const k of ['sort', 'sort_key', 'sort_dir']) for (const v of all(q[k])) carry.append(k, v);
    const link = (m: string, reverse: boolean) => {
      const p = new URLSearchParams({ limit: String(limit) });
      for (const [k, v] of carry) p.append(k, v);
      p.append('marker', m);
      if (reverse) p.append('page_reverse', 'True');
      return `${selfUrl}?${p.toString()}`;
    };
    if (marker !== undefined && page.length > 0) links.push({ href: link(String(attr(page[0], 'id')), !pageReverse), rel: 'previous' });
    if (page.length === limit) links.push({ href: link(String(attr(page[page.length - 1], 'id')), pageReverse), rel: 'next' });
  }
  const fields = fieldsOf(q);
  return { [plural]: page.map((it) => selectFields(of.render(it), fields)), [`${plural}_links`]: links };
}

/** Neutron lists carry `<plural>_links` only when paginating. */
export function neutronList(plural: string, body: Wire): Wire {
  const links = body[`${plural}_links`];
  if (Array.isArray(links) && links.length === 0) delete body[`${plural}_links`];
  return body;
}

/** One object's answer, `{"<root>": {...}}`, with the attributes `?fields=` selects. */
export const single = (root: string, wire: Wire, req: FastifyRequest): Wire => ({ [root]: selectFields(wire, fieldsOf((req.query ?? {}) as Query)) });

/** Renames a list's links key (Octavia's `flavorprofile_links` and `availability_zone_profile_links` quirks). */
export function relink(body: Wire, plural: string, linksKey: string): Wire {
  const { [`${plural}_links`]: links, ...rest } = body;
  return { ...rest, [linksKey]: links };
}
