import { hostname } from 'node:os';
import { envReader, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';

/** The scheduler's settings (read once, in main). */
export type SchedulerConfig = Readonly<{
  nats: NatsConfig;
  instanceId: string;
  strategy: 'random' | 'least-loaded';
  placementTimeoutMs: number;
  automaticFailover: boolean;
  abandonAfterMs: number;
  retryAfterMs: number;
  tickMs: number;
  logLevel: string;
  /** /metrics, /livez, /readyz on a port of their own (METRICS_PORT; off when unset). */
  metrics: MetricsConfig;
}>;

export function loadConfig(env: Record<string, string | undefined> = process.env): SchedulerConfig {
  const r = envReader(env);
  const strategy = env.SCHEDULER_STRATEGY || 'random';
  if (strategy !== 'random' && strategy !== 'least-loaded') r.problems.push(`SCHEDULER_STRATEGY must be random or least-loaded, got ${JSON.stringify(strategy)}`);
  const cfg: SchedulerConfig = {
    nats: readNatsConfig(env, r, { identity: 'scheduler', defaultUrl: 'nats://127.0.0.1:4222' }),
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    strategy: strategy as SchedulerConfig['strategy'],
    placementTimeoutMs: r.int('PLACEMENT_TIMEOUT_MS', 30_000, 1),
    automaticFailover: r.bool('ALLOW_AUTOMATIC_LBAAS_AGENT_FAILOVER', true),
    abandonAfterMs: r.int('ABANDON_AFTER_MS', 60_000, 1),
    retryAfterMs: r.int('RETRY_AFTER_MS', 3_000, 1),
    tickMs: r.int('TICK_MS', 250, 10),
    logLevel: env.LOG_LEVEL || 'info',
    metrics: readMetricsConfig(env, r),
  };
  r.done();
  return cfg;
}
