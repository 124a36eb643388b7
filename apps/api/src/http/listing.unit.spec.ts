import { attributes } from './attributes';
import { ApiError } from './errors';
import { listOf as listResponse } from './listing';

type Item = { id: string; name: string; lbId: string; tags: string[] };
const item = (id: string, name: string, lbId: string, tags: string[] = []): Item => ({ id, name, lbId, tags });
const items = [item('1', 'b', 'L1', ['x']), item('2', 'a', 'L2', ['x', 'y']), item('3', 'c', 'L1')];
/** A small attribute table: shown attributes, a computed one, a hidden one lists filter on, and tags (not sortable). */
const TABLE = attributes<Item>()('listener', 'listener_', (x) => x, [
  { name: 'id', field: 'id', filter: true },
  { name: 'name', field: 'name', filter: true },
  { name: 'admin_state_up', show: () => true, filter: true },
  { name: 'protocol_port', show: (x) => Number(x.id), filter: true },
  { name: 'tags', field: 'tags' },
  { name: 'loadbalancer_id', field: 'lbId', hidden: true, filter: true },
]);
const SELF = 'http://h:1/v2.0/lbaas/listeners';
const ids = (body: Record<string, unknown>) => (body.listeners as { id: string }[]).map((x) => x.id);
const fault = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof ApiError) return `${err.status} ${err.message}`;
    throw err;
  }
  return 'no error';
};

describe('list semantics', () => {
  it('filters on shown and hidden attributes, ANDed', () => {
    expect(ids(listResponse('listeners', items, TABLE, { loadbalancer_id: 'L1', name: 'c' }, SELF))).toEqual(['3']);
    expect(ids(listResponse('listeners', items, TABLE, { admin_state_up: 'True', protocol_port: '2' }, SELF))).toEqual(['2']);
    expect(ids(listResponse('listeners', items, TABLE, { id: 'nonexistent' }, SELF))).toEqual([]);
  });

  it('refuses unknown and repeated filter keys, bad sort keys and directions, bad markers and limits', () => {
    expect(fault(() => listResponse('listeners', items, TABLE, { bogus: '1' }, SELF))).toBe('400 One or more arguments are either duplicate or invalid');
    expect(fault(() => listResponse('listeners', items, TABLE, { name: ['a', 'b'] }, SELF))).toBe('400 One or more arguments are either duplicate or invalid');
    expect(fault(() => listResponse('listeners', items, TABLE, { sort_key: 'tags' }, SELF))).toBe("400 Supplied sort key 'tags' is not valid.");
    expect(fault(() => listResponse('listeners', items, TABLE, { sort: 'name:up' }, SELF))).toBe("400 Supplied sort direction 'up' is not valid.");
    expect(fault(() => listResponse('listeners', items, TABLE, { marker: '9' }, SELF))).toBe("400 Supplied pagination marker '9' is not valid.");
    expect(fault(() => listResponse('listeners', items, TABLE, { limit: 'x' }, SELF))).toBe("400 Supplied pagination limit 'x' is not valid.");
  });

  it('ignores unknown keys when not strict (Neutron-style lists)', () => {
    expect(ids(listResponse('listeners', items, TABLE, { bogus: '1' }, SELF, { strict: false }))).toEqual(['1', '2', '3']);
  });

  it('sorts by sort_key/sort_dir and by sort=k:dir', () => {
    expect(ids(listResponse('listeners', items, TABLE, { sort_key: 'name' }, SELF))).toEqual(['2', '1', '3']);
    expect(ids(listResponse('listeners', items, TABLE, { sort: 'name:desc' }, SELF))).toEqual(['3', '1', '2']);
  });

  it('pages with limit and marker, with next and previous links', () => {
    const first = listResponse('listeners', items, TABLE, { limit: '2' }, SELF);
    expect(ids(first)).toEqual(['1', '2']);
    expect(first.listeners_links).toEqual([{ href: `${SELF}?limit=2&marker=2`, rel: 'next' }]);
    const second = listResponse('listeners', items, TABLE, { limit: '2', marker: '2' }, SELF);
    expect(ids(second)).toEqual(['3']);
    expect(second.listeners_links).toEqual([{ href: `${SELF}?limit=2&marker=3&page_reverse=True`, rel: 'previous' }]);
    expect(ids(listResponse('listeners', items, TABLE, { limit: '0' }, SELF))).toEqual(['1', '2', '3']);
  });

  it('filters on tags, tags-any, not-tags and not-tags-any', () => {
    expect(ids(listResponse('listeners', items, TABLE, { tags: 'x,y' }, SELF))).toEqual(['2']);
    expect(ids(listResponse('listeners', items, TABLE, { 'tags-any': ['y', 'x'] }, SELF))).toEqual(['1', '2']);
    expect(ids(listResponse('listeners', items, TABLE, { 'not-tags-any': 'x' }, SELF))).toEqual(['3']);
  });

  it('selects fields', () => {
    expect(listResponse('listeners', items, TABLE, { fields: ['id', 'name'], id: '1' }, SELF)).toEqual({ listeners: [{ id: '1', name: 'b' }], listeners_links: [] });
  });

  it('renders the page from the table, without its hidden attributes', () => {
    expect(listResponse('listeners', items, TABLE, { id: '2' }, SELF).listeners).toEqual([{ id: '2', name: 'a', admin_state_up: true, protocol_port: 2, tags: ['x', 'y'] }]);
  });
});
