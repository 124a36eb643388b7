import type { Catalog } from './catalog';

/** The name of the Catalog's snapshot (one object in the snapshot bucket). */
export const CATALOG_SNAPSHOT = 'catalog';

/**
 * How the Catalog is stored in a snapshot. Maps are kept by the snapshot's JSON (see jsonWithMaps in
 * libs/event-store), so encode/decode are the identity; bump `schema` whenever a view's shape changes,
 * which makes every older snapshot stale (a full replay, never a wrong view).
 */
export const catalogCodec = {
  schema: 3,
  encode: (c: Catalog): unknown => c,
  decode: (json: unknown): Catalog => {
    const c = json as Catalog;
    if (!(c?.loadBalancers?.lbs instanceof Map) || !(c.networks?.subnets instanceof Map) || !(c.agents?.agents instanceof Map)
      || !(c.offerings?.flavors instanceof Map)) {
      throw new Error('not a Catalog');
    }
    return c;
  },
} as const;
