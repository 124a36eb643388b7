import { claimAt, rolesClaim, stringClaim } from './claims';

describe('claim paths', () => {
  const claims = {
    sub: 'u1', 'https://example.org/roles': ['admin'], realm_access: { roles: ['member', 'reader'] },
    tenant: { id: 'p1', deep: { id: 7 } }, list: ['a'], empty: '', nil: null,
  };
  it.each([
    ['sub', 'u1'],
    ['https://example.org/roles', ['admin']], // an exact key with dots wins over the path
    ['realm_access.roles', ['member', 'reader']],
    ['tenant.deep.id', 7],
    ['tenant.missing', undefined],
    ['list.0', undefined], // no indexing into arrays
    ['nil.x', undefined],
    ['', undefined],
    ['constructor', undefined], // inherited properties are not claims
    ['tenant.toString', undefined],
  ])('%s → %j', (path, value) => expect(claimAt(claims, path)).toEqual(value));

  it('takes strings and numbers as string claims, nothing else', () => {
    expect(stringClaim(claims, 'sub')).toBe('u1');
    expect(stringClaim(claims, 'tenant.deep.id')).toBe('7');
    expect(stringClaim(claims, 'empty')).toBeUndefined();
    expect(stringClaim(claims, 'tenant')).toBeUndefined();
    expect(stringClaim(claims, 'list')).toBeUndefined();
  });
});

describe('roles claim', () => {
  it.each([
    [['member', 'reader'], ['member', 'reader']],
    ['member reader', ['member', 'reader']],
    ['member,reader', ['member', 'reader']],
    [' member ,  reader  admin ', ['member', 'reader', 'admin']],
    [['member', 'member', 'reader'], ['member', 'reader']],
    [['member', 3, null, { admin: true }, 'load-balancer_member'], ['member', 'load-balancer_member']],
    [['bad role', 'x'.repeat(200), 'ok:role'], ['ok:role']],
    ['', []],
    [42, []],
    [undefined, []],
  ])('%j → %j', (value, roles) => expect(rolesClaim({ r: value }, 'r')).toEqual(roles));
});
