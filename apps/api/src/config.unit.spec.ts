import { ConfigError } from '@lbaas/app-shell';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies defaults', () => {
    expect(loadConfig({ NATS_URL: 'nats://127.0.0.1:4222' })).toEqual({
      natsUrl: 'nats://127.0.0.1:4222', host: '127.0.0.1', port: 9876, authStrategy: 'noauth', defaultProjectId: null,
      baseUri: null, logLevel: 'info', bodyLimit: 1024 * 1024,
    });
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
