/** Small helpers shared by the resource renderers (Octavia's wire conventions). */

/** Octavia prints timestamps naive, without fractions: "2026-11-25T21:28:15". */
export const naive = (iso: string | null | undefined): string | null =>
  iso ? iso.replace(/\.\d+/, '').replace(/(Z|[+-]\d\d:\d\d)$/, '') : null;

/** Neutron prints UTC timestamps with a "Z": "2026-11-25T21:28:15Z". */
export const zulu = (iso: string | null | undefined): string | null => (naive(iso) ? `${naive(iso)}Z` : null);

/** References to other objects are lists of {"id": ...}. */
export const refs = (ids: Iterable<string>): { id: string }[] => [...ids].map((id) => ({ id }));

/** A wire object: attributes in the order they are sent. */
export type Wire = Record<string, unknown>;

/** Keeps only the attributes named by `fields` (Octavia's field selection), in the object's order. */
export const selectFields = (obj: Wire, fields: readonly string[] | null): Wire =>
  fields === null ? obj : Object.fromEntries(Object.entries(obj).filter(([k]) => fields.includes(k)));
