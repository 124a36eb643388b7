import { ApiError } from './errors';
import { listResponse, type Listed } from './listing';

const item = (id: string, name: string, extra: Record<string, unknown> = {}, tags: string[] = []): Listed =>
  ({ wire: { id, name, admin_state_up: true, protocol_port: Number(id), tags }, extra });
const items = [item('1', 'b', { loadbalancer_id: 'L1' }, ['x']), item('2', 'a', { loadbalancer_id: 'L2' }, ['x', 'y']), item('3', 'c', { loadbalancer_id: 'L1' })];
const KEYS = ['id', 'name', 'admin_state_up', 'protocol_port', 'loadbalancer_id'];
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
    expect(ids(listResponse('listeners', items, { loadbalancer_id: 'L1', name: 'c' }, SELF, KEYS))).toEqual(['3']);
    expect(ids(listResponse('listeners', items, { admin_state_up: 'True', protocol_port: '2' }, SELF, KEYS))).toEqual(['2']);
    expect(ids(listResponse('listeners', items, { id: 'nonexistent' }, SELF, KEYS))).toEqual([]);
  });

  it('refuses unknown and repeated filter keys, bad sort keys and directions, bad markers and limits', () => {
    expect(fault(() => listResponse('listeners', items, { bogus: '1' }, SELF, KEYS))).toBe('400 One or more arguments are either duplicate or invalid');
    expect(fault(() => listResponse('listeners', items, { name: ['a', 'b'] }, SELF, KEYS))).toBe('400 One or more arguments are either duplicate or invalid');
    expect(fault(() => listResponse('listeners', items, { sort_key: 'tags' }, SELF, KEYS))).toBe("400 Supplied sort key 'tags' is not valid.");
    expect(fault(() => listResponse('listeners', items, { sort: 'name:up' }, SELF, KEYS))).toBe("400 Supplied sort direction 'up' is not valid.");
    expect(fault(() => listResponse('listeners', items, { marker: '9' }, SELF, KEYS))).toBe("400 Supplied pagination marker '9' is not valid.");
    expect(fault(() => listResponse('listeners', items, { limit: 'x' }, SELF, KEYS))).toBe("400 Supplied pagination limit 'x' is not valid.");
  });

  it('ignores unknown keys when not strict (Neutron-style lists)', () => {
    expect(ids(listResponse('listeners', items, { bogus: '1' }, SELF, KEYS, { strict: false }))).toEqual(['1', '2', '3']);
  });

  it('sorts by sort_key/sort_dir and by sort=k:dir', () => {
    expect(ids(listResponse('listeners', items, { sort_key: 'name' }, SELF, KEYS))).toEqual(['2', '1', '3']);
    expect(ids(listResponse('listeners', items, { sort: 'name:desc' }, SELF, KEYS))).toEqual(['3', '1', '2']);
  });

  it('pages with limit and marker, with next and previous links', () => {
    const first = listResponse('listeners', items, { limit: '2' }, SELF, KEYS);
    expect(ids(first)).toEqual(['1', '2']);
    expect(first.listeners_links).toEqual([{ href: `${SELF}?limit=2&marker=2`, rel: 'next' }]);
    const second = listResponse('listeners', items, { limit: '2', marker: '2' }, SELF, KEYS);
    expect(ids(second)).toEqual(['3']);
    expect(second.listeners_links).toEqual([{ href: `${SELF}?limit=2&marker=3&page_reverse=True`, rel: 'previous' }]);
    expect(ids(listResponse('listeners', items, { limit: '0' }, SELF, KEYS))).toEqual(['1', '2', '3']);
  });

  it('filters on tags, tags-any, not-tags and not-tags-any', () => {
    expect(ids(listResponse('listeners', items, { tags: 'x,y' }, SELF, KEYS))).toEqual(['2']);
    expect(ids(listResponse('listeners', items, { 'tags-any': ['y', 'x'] }, SELF, KEYS))).toEqual(['1', '2']);
    expect(ids(listResponse('listeners', items, { 'not-tags-any': 'x' }, SELF, KEYS))).toEqual(['3']);
  });

  it('selects fields', () => {
    expect(listResponse('listeners', items, { fields: ['id', 'name'], id: '1' }, SELF, KEYS)).toEqual({ listeners: [{ id: '1', name: 'b' }], listeners_links: [] });
  });
});
