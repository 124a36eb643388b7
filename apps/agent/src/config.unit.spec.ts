import { ConfigError } from '@lbaas/app-shell';
import { loadConfig } from './config';

describe('loadConfig', () => {
  it('reads the agent id, bridge mappings and defaults', () => {
    const c = loadConfig({ AGENT_ID: 'agent-a', BRIDGE_MAPPINGS: 'physnet1:br-ex, physnet2:br-2', NATS_URL: 'nats://127.0.0.1:4222' });
    expect(c).toMatchObject({
      agentId: 'agent-a', bridgeMappings: { physnet1: 'br-ex', physnet2: 'br-2' }, stateDir: '/var/lib/lbaas/agent-agent-a',
      runDir: '/run/lbaas/agent-a', reportIntervalMs: 250, resyncIntervalMs: 5000, healthPollMs: 1000, leaseMs: 1750, leaseStallLimitMs: 60_000, testStallMs: 0, watchdog: true, kernelFence: true, garpCount: 3, haproxyBin: 'haproxy',
    });
  });

  it('reports every problem at once', () => {
    try {
      loadConfig({ AGENT_ID: 'Bad Id', BRIDGE_MAPPINGS: 'nocolon', RUN_DIR: `/${'x'.repeat(60)}`, RESYNC_INTERVAL_MS: 'soon' });
      throw new Error('expected ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toHaveLength(4);
    }
  });
});
