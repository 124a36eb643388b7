import type { Identity } from '../auth/identity';
import { authorize, type PolicyMode, type RuleName } from './policy';

/**
 * Octavia's matrix (reference/security.md §2), written out by hand: actor × mode → what `authorize` grants for a read,
 * a write, a quota write and an admin rule. The HTTP matrix with real tokens is policy.int.spec.ts.
 */
const who = (roles: string[], over: Partial<Identity> = {}): Identity => ({
  source: 'keystone', userId: 'u', userName: 'u', userDomain: null, projectId: 'A', projectName: 'a', domain: null, roles,
  isAdmin: roles.includes('admin'), isAdminProject: false, systemScope: null, auditIds: ['audit'], expiresAt: '2100-01-01T00:00:00Z', ...over,
});

const READ: RuleName = 'os_load-balancer_api:loadbalancer:get_one';
const WRITE: RuleName = 'os_load-balancer_api:loadbalancer:put';
const QUOTA_READ: RuleName = 'os_load-balancer_api:quota:get_one';
const QUOTA_WRITE: RuleName = 'os_load-balancer_api:quota:put';
const ADMIN: RuleName = 'os_load-balancer_api:loadbalancer:put_failover';
const MEMBERS: RuleName = 'os_load-balancer_api:member:get_all';

type G = 'all' | 'own' | 403;
const grant = (rule: RuleName, id: Identity | null, mode: PolicyMode): G => {
  const d = authorize(rule, id, mode);
  return d.kind === 'all' ? 'all' : d.kind === 'project' ? 'own' : 403;
};

// [actor, identity, legacy: read write quota-read quota-write admin member-list, new: the same]
const rows: [string, Identity, G[], G[]][] = [
  ['reader', who(['reader']), ['own', 403, 'own', 403, 403, 'own'], ['own', 403, 'own', 403, 403, 'own']],
  ['member (Keystone adds reader)', who(['member', 'reader']), ['own', 'own', 'own', 403, 403, 'own'], ['own', 'own', 'own', 403, 403, 'own']],
  ['member without reader (a JWT)', who(['member']), ['own', 'own', 'own', 403, 403, 'own'], ['own', 'own', 'own', 403, 403, 'own']],
  ['load-balancer_member', who(['load-balancer_member']), ['own', 'own', 'own', 403, 403, 'own'], [403, 403, 403, 403, 403, 403]],
  ['load-balancer_observer', who(['load-balancer_observer']), ['own', 403, 'own', 403, 403, 'own'], [403, 403, 403, 403, 403, 403]],
  ['load-balancer_global_observer', who(['load-balancer_global_observer']), ['all', 403, 'all', 403, 403, 'all'], [403, 403, 403, 403, 403, 403]],
  ['load-balancer_quota_admin', who(['load-balancer_quota_admin']), [403, 403, 'all', 'all', 403, 403], [403, 403, 403, 403, 403, 403]],
  ['load-balancer_admin', who(['load-balancer_admin']), ['all', 'all', 'all', 'all', 'all', 'all'], [403, 403, 403, 403, 403, 403]],
  ['admin', who(['admin', 'member', 'reader']), ['all', 'all', 'all', 'all', 'all', 'all'], ['all', 'all', 'all', 'all', 'all', 'all']],
  ['service', who(['service'], { projectId: 'service' }), [403, 403, 403, 403, 403, 'all'], [403, 403, 403, 403, 403, 'all']],
  ['system-scoped admin', who(['admin', 'member', 'reader'], { projectId: null, systemScope: 'all' }),
    ['all', 'all', 'all', 'all', 'all', 'all'], [403, 403, 403, 403, 403, 403]],
  ['unscoped member', who(['member'], { projectId: null }), [403, 403, 403, 403, 403, 403], [403, 403, 403, 403, 403, 403]],
  ['no roles', who([]), [403, 403, 403, 403, 403, 403], [403, 403, 403, 403, 403, 403]],
  ['admin spelled differently', who(['Admin', 'ADMIN ']), [403, 403, 403, 403, 403, 403], [403, 403, 403, 403, 403, 403]],
];

describe('authorize: Octavia\'s matrix', () => {
  describe.each(['legacy', 'new'] as const)('%s mode', (mode) => {
    it.each(rows)('%s', (_name, id, legacy, current) => {
      const expected = mode === 'legacy' ? legacy : current;
      expect([READ, WRITE, QUOTA_READ, QUOTA_WRITE, ADMIN, MEMBERS].map((r) => grant(r, id, mode))).toEqual(expected);
    });
  });

  it('grants a member its own project, whichever project that is', () => {
    expect(authorize(WRITE, who(['member'], { projectId: 'B' }), 'new')).toEqual({ kind: 'project', projectId: 'B' });
  });

  it('noauth: everybody is admin, whatever X-Roles said', () => {
    for (const mode of ['new', 'legacy'] as const) {
      expect(grant(ADMIN, who(['reader'], { source: 'noauth' }), mode)).toBe('all');
      expect(grant(QUOTA_WRITE, who([], { source: 'noauth', projectId: null }), mode)).toBe('all');
    }
  });

  it('opens the version document and /healthcheck to anyone, and nothing else', () => {
    expect(authorize('open', null, 'new')).toEqual({ kind: 'all' });
    expect(authorize(READ, null, 'new')).toMatchObject({ kind: 'refused' });
  });

  it('refuses a rule that is not in the table', () => {
    expect(authorize('os_load-balancer_api:loadbalancer:explode' as RuleName, who(['admin']), 'new')).toMatchObject({ kind: 'refused' });
  });

  it('says why, for the log line', () => {
    expect(authorize(WRITE, who(['reader']), 'new')).toEqual({ kind: 'refused', reason: 'os_load-balancer_api:loadbalancer:put (load-balancer:write) needs one of the roles member, admin' });
    expect(authorize(READ, who(['admin'], { systemScope: 'all', projectId: null }), 'new')).toMatchObject({ reason: 'system-scoped tokens are refused (project scope only)' });
  });
});
