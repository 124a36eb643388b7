import { ConfigError } from '@lbaas/app-shell';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' })).toEqual({
      nats: { servers: ['nats://127.0.0.1:4222'], auth: { kind: 'none' }, tls: null, inboxPrefix: '_INBOX_api' }, host: '127.0.0.1', port: 9876,
      auth: { strategy: 'noauth', defaultProjectId: null }, policyMode: 'new', defaultProjectId: null, trustedProxies: [], requestBudget: null, projectConcurrency: 16, projectMinShare: 2,
      baseUri: null, logLevel: 'info', bodyLimit: 1024 * 1024,
      quotaDefaults: { loadbalancer: -1, listener: -1, pool: -1, member: -1, healthmonitor: -1, l7policy: -1, l7rule: -1 },
      deletePolicy: 'strict', metrics: null,
    });
  });

  it('reads the delete policy (strict by default, octavia as a setting) and refuses others', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', DELETE_POLICY: 'octavia' }).deletePolicy).toBe('octavia');
    expect(() => loadConfig({ NATS_URL: 'nats://x:1', DELETE_POLICY: 'loose' })).toThrow('DELETE_POLICY must be strict or octavia, got "loose"');
  });

  it('serves metrics on METRICS_PORT (off unless set; 0 and off turn it off)', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', METRICS_PORT: '9101' }).metrics).toEqual({ host: '127.0.0.1', port: 9101 });
    expect(loadConfig({ NATS_URL: 'nats://x:1', METRICS_PORT: '9101', METRICS_HOST: '0.0.0.0' }).metrics).toEqual({ host: '0.0.0.0', port: 9101 });
    expect(loadConfig({ NATS_URL: 'nats://x:1', METRICS_PORT: 'off' }).metrics).toBeNull();
    expect(loadConfig({ NATS_URL: 'nats://x:1', METRICS_PORT: '0' }).metrics).toBeNull();
    expect(() => loadConfig({ NATS_URL: 'nats://x:1', METRICS_PORT: '70000' })).toThrow('METRICS_PORT must be a port (1..65535), 0 or off, got "70000"');
  });

  it('reads quota defaults per resource', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', QUOTA_LOADBALANCER: '10', QUOTA_POOL: '0' }).quotaDefaults).toMatchObject({ loadbalancer: 10, pool: 0, member: -1 });
    expect(() => loadConfig({ NATS_URL: 'nats://x:1', QUOTA_MEMBER: '-2' })).toThrow('QUOTA_MEMBER must be an integer in -1..2000000000');
  });

  it('reports every problem at once', () => {
    let err: unknown;
    try {
      loadConfig({ API_PORT: 'x', AUTH_STRATEGY: 'kerberos', DEFAULT_PROJECT_ID: 'a b', API_BASE_URI: 'ftp://x', LOG_LEVEL: 'loud', POLICY_MODE: 'old', TRUSTED_PROXIES: '10.0.0.0/33' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    // NATS_URL, API_PORT, AUTH_STRATEGY, API_BASE_URI, LOG_LEVEL, POLICY_MODE, TRUSTED_PROXIES (an unknown strategy reads no DEFAULT_PROJECT_ID)
    expect((err as ConfigError).problems).toHaveLength(7);
  });

  it('reads the strategy, the policy mode, trusted proxies and the request budget (off in noauth)', () => {
    const base = { NATS_URL: 'nats://x:1', AUTH_STRATEGY: 'jwt', JWT_JWKS_URL: 'http://idp/jwks', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a' };
    const c = loadConfig({ ...base, POLICY_MODE: 'legacy', TRUSTED_PROXIES: '10.0.0.0/8, 192.0.2.7,2001:db8::/32' });
    expect(c).toMatchObject({ policyMode: 'legacy', trustedProxies: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32'], requestBudget: { perSecond: 50, burst: 200 }, defaultProjectId: null });
    expect(c.auth.strategy).toBe('jwt');
    expect(loadConfig({ ...base, API_RATE_LIMIT_PER_S: '5', API_RATE_LIMIT_BURST: '7' }).requestBudget).toEqual({ perSecond: 5, burst: 7 });
    expect(loadConfig({ ...base, API_RATE_LIMIT_PER_S: '0' }).requestBudget).toBeNull();
    expect(loadConfig({ NATS_URL: 'nats://x:1', API_RATE_LIMIT_PER_S: '5', DEFAULT_PROJECT_ID: 'demo' })).toMatchObject({ requestBudget: null, defaultProjectId: 'demo' });
  });

  it('reads the per-project gate: 16 slots alone, split evenly with at least 2 each while others are present; the least share never above the whole', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', API_PROJECT_CONCURRENCY: '32', API_PROJECT_MIN_SHARE: '8' })).toMatchObject({ projectConcurrency: 32, projectMinShare: 8 });
    expect(loadConfig({ NATS_URL: 'nats://x:1', API_PROJECT_CONCURRENCY: '1' })).toMatchObject({ projectConcurrency: 1, projectMinShare: 1 });
    expect(() => loadConfig({ NATS_URL: 'nats://x:1', API_PROJECT_CONCURRENCY: '4', API_PROJECT_MIN_SHARE: '5' })).toThrow('API_PROJECT_MIN_SHARE must not exceed API_PROJECT_CONCURRENCY (4), got 5');
    expect(() => loadConfig({ NATS_URL: 'nats://x:1', API_PROJECT_MIN_SHARE: '0' })).toThrow(/API_PROJECT_MIN_SHARE must be an integer in 1\.\.100000/);
  });

  it('strips a trailing slash from API_BASE_URI', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', API_BASE_URI: 'https://lb.example.com/' }).baseUri).toBe('https://lb.example.com');
  });
});
