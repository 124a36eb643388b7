import { ConfigError } from '@lbaas/app-shell';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' })).toEqual({
      nats: { servers: ['nats://127.0.0.1:4222'], auth: { kind: 'none' }, tls: null, inboxPrefix: '_INBOX_api' }, host: '127.0.0.1', port: 9876, authStrategy: 'noauth', defaultProjectId: null,
      baseUri: null, logLevel: 'info', bodyLimit: 1024 * 1024,
      quotaDefaults: { loadbalancer: -1, listener: -1, pool: -1, member: -1, healthmonitor: -1, l7policy: -1, l7rule: -1 }, metrics: null,
    });
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
      loadConfig({ API_PORT: 'x', AUTH_STRATEGY: 'keystone', DEFAULT_PROJECT_ID: 'a b', API_BASE_URI: 'ftp://x', LOG_LEVEL: 'loud' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toHaveLength(6);
  });

  it('strips a trailing slash from API_BASE_URI', () => {
    expect(loadConfig({ NATS_URL: 'nats://x:1', API_BASE_URI: 'https://lb.example.com/' }).baseUri).toBe('https://lb.example.com');
  });
});
