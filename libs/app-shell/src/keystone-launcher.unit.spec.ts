import { keystonePlan, renderKeystoneConfig } from './keystone-launcher';

describe('keystone plan', () => {
  const plan = keystonePlan({ dir: '/var/lib/lbaas/keystone', port: 35357, adminPassword: 'pw-secret', passwordHashRounds: 4 });

  it('serves keystone-wsgi-public with one uWSGI process and threads on 127.0.0.1', () => {
    expect(plan.url).toBe('http://127.0.0.1:35357');
    expect(plan.serve.argv).toEqual(expect.arrayContaining(['--http-socket', '127.0.0.1:35357', '--wsgi-file', '/usr/bin/keystone-wsgi-public', '--processes', '1']));
    expect(plan.serve.env).toEqual({ OS_KEYSTONE_CONFIG_FILES: '/var/lib/lbaas/keystone/keystone.conf' });
  });

  it('sets up the database, WAL, keys and bootstrap in that order; the password only in the environment', () => {
    expect(plan.setup.map((s) => s.name)).toEqual(['db_sync', 'wal', 'fernet_setup', 'credential_setup', 'bootstrap']);
    for (const s of [...plan.setup, plan.serve]) expect(s.argv.join(' ')).not.toContain('pw-secret');
    const bootstrap = plan.setup[4];
    expect(bootstrap.env).toEqual({ OS_BOOTSTRAP_PASSWORD: 'pw-secret' });
    expect(bootstrap.argv).toEqual(expect.arrayContaining(['--bootstrap-public-url', 'http://127.0.0.1:35357/v3']));
  });

  it('configures SQLite in the directory, fernet, the in-memory cache, the admin project and the bcrypt cost', () => {
    const conf = renderKeystoneConfig({ dir: '/d', passwordHashRounds: 4, tokenExpirationS: 600 });
    for (const line of [
      'connection = sqlite:////d/keystone.db', 'provider = fernet', 'expiration = 600', 'key_repository = /d/fernet-keys',
      'enabled = true', 'backend = dogpile.cache.memory', 'password_hash_rounds = 4', 'admin_project_name = admin',
      'policy_dirs = /d/policy.d',
    ]) expect(conf.split('\n')).toContain(line);
    expect(renderKeystoneConfig({ dir: '/d' })).not.toMatch(/password_hash_rounds|expiration =/);
  });

  it('refuses a bad port or a missing password', () => {
    expect(() => keystonePlan({ dir: '/d', port: 0, adminPassword: 'x' })).toThrow(/port/);
    expect(() => keystonePlan({ dir: '/d', port: 5000, adminPassword: '' })).toThrow(/password/);
  });
});
