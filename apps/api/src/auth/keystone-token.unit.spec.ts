import { identityFromKeystoneToken } from './keystone';

// Token documents in the shape Keystone 22 answers GET /v3/auth/tokens with (see keystone.int.spec.ts for the real ones).
const doc = (token: Record<string, unknown>) => JSON.stringify({ token });
const user = { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } };
const base = { user, roles: [{ id: 'r1', name: 'member' }, { id: 'r2', name: 'reader' }], audit_ids: ['a1', 'a0'], expires_at: '2030-01-01T00:00:00.000000Z' };

describe('identity from a Keystone token document', () => {
  it('a project-scoped token', () => {
    expect(identityFromKeystoneToken(doc({ ...base, project: { id: 'p1', name: 'A', domain: { id: 'd1', name: 'D' } }, is_admin_project: false }))).toEqual({
      source: 'keystone', userId: 'u1', userName: 'alice', userDomain: { id: 'default', name: 'Default' },
      projectId: 'p1', projectName: 'A', domain: { id: 'd1', name: 'D' }, roles: ['member', 'reader'],
      isAdmin: false, isAdminProject: false, systemScope: null, auditIds: ['a1', 'a0'], expiresAt: '2030-01-01T00:00:00.000000Z',
    });
  });

  it('a system-scoped token: no project, system scope all', () => {
    expect(identityFromKeystoneToken(doc({ ...base, roles: [{ name: 'admin' }], system: { all: true } }))).toMatchObject({
      projectId: null, domain: null, systemScope: 'all', isAdmin: true, isAdminProject: false,
    });
  });

  it('a domain-scoped and an unscoped token: no project', () => {
    expect(identityFromKeystoneToken(doc({ ...base, domain: { id: 'd1', name: 'D' } }))).toMatchObject({ projectId: null, domain: { id: 'd1', name: 'D' } });
    expect(identityFromKeystoneToken(doc({ ...base, roles: undefined }))).toMatchObject({ projectId: null, domain: null, roles: [] });
  });

  it('is_admin_project counts only when true and project-scoped', () => {
    expect(identityFromKeystoneToken(doc({ ...base, project: { id: 'p1', name: 'admin' }, is_admin_project: true }))).toMatchObject({ isAdminProject: true });
    expect(identityFromKeystoneToken(doc({ ...base, project: { id: 'p1', name: 'admin' } }))).toMatchObject({ isAdminProject: false });
  });

  it.each([
    ['not JSON', 'oops', /not JSON/],
    ['no token', '{}', /no token/],
    ['no user', doc({ ...base, user: undefined }), /no user/],
    ['no expiry', doc({ ...base, expires_at: undefined }), /no expiry/],
    ['a bad expiry', doc({ ...base, expires_at: 'soon' }), /no expiry/],
    ['a project id the API refuses', doc({ ...base, project: { id: 'p/1', name: 'x' } }), /project id/],
  ])('refuses a document with %s', (_what, text, why) => {
    expect(identityFromKeystoneToken(text)).toEqual(expect.stringMatching(why));
  });
});
