import { AuthError } from './identity';
import { noauthAuthenticator, noauthIdentity } from './noauth';

describe('noauth', () => {
  it('makes every caller admin, with the project and user its headers name', async () => {
    const id = await noauthAuthenticator({ defaultProjectId: null }).authenticate({ 'x-project-id': 'proj-1', 'x-user-id': 'alice' });
    expect(id).toEqual({
      source: 'noauth', userId: 'alice', userName: null, userDomain: null, projectId: 'proj-1', projectName: null, domain: null,
      roles: ['admin'], isAdmin: true, isAdminProject: false, systemScope: null, auditIds: [], expiresAt: null,
    });
  });

  it('takes X-Tenant-Id when X-Project-Id is absent, else the default project, else none', () => {
    expect(noauthIdentity({ 'x-tenant-id': 't1' }, 'dflt')).toMatchObject({ projectId: 't1' });
    expect(noauthIdentity({ 'x-project-id': 'p1', 'x-tenant-id': 't1' }, 'dflt')).toMatchObject({ projectId: 'p1' });
    expect(noauthIdentity({}, 'dflt')).toMatchObject({ projectId: 'dflt', userId: null });
    expect(noauthIdentity({}, null)).toMatchObject({ projectId: null });
  });

  it('takes X-Roles as given (comma-separated) and is admin regardless', () => {
    expect(noauthIdentity({ 'x-roles': 'member, reader' }, null)).toMatchObject({ roles: ['member', 'reader'], isAdmin: true });
  });

  it.each([
    [{ 'x-project-id': 'a/../b' }, /X-Project-Id/],
    [{ 'x-project-id': 'x'.repeat(65) }, /X-Project-Id/],
    [{ 'x-user-id': 'bob smith' }, /X-User-Id/],
    [{ 'x-roles': 'member,ad min' }, /X-Roles/],
    [{ 'x-project-id': ['p1', 'p2'] }, /more than once/],
  ])('answers 400 to malformed headers %j', (headers, message) => {
    const r = noauthIdentity(headers, null);
    expect(r).toBeInstanceOf(AuthError);
    expect((r as AuthError).status).toBe(400);
    expect((r as AuthError).message).toMatch(message);
    expect((r as AuthError).body.error.code).toBe(400);
  });
});
