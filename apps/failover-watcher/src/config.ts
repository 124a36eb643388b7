import { hostname } from 'node:os';
import { envReader, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';

/** The failover-watcher's settings (read once, in main). */
export type WatcherConfig = Readonly<{
  nats: NatsConfig;
  instanceId: string;
  /**
   * Neutron's agent_down_time: silence longer than this declares an agent down. Must exceed the agents' lease
   * (LEASE_MS, 1750 by default) by the margin (libs/domain LEASE_MARGIN_MS, 500 ms), so that a silent host has surely
   * fenced itself before its LBs move (the watcher also waits lease + margin whatever this says).
   * Defaults: agents report every 250 ms, lease 1750 ms, down after 2250 ms (docs/failover.md, "Timings").
   */
  agentDownTimeMs: number;
  /**
   * Extra grace for agents known only from history when this watcher starts (a cold start of the stack: agents boot
   * one after another, seconds after the watcher). Default 10000 ms.
   */
  coldStartGraceMs: number;
  retryAfterMs: number;
  tickMs: number;
  logLevel: string;
  /** /metrics, /livez, /readyz on a port of their own (METRICS_PORT; off when unset). */
  metrics: MetricsConfig;
}>;

export function loadConfig(env: Record<string, string | undefined> = process.env): WatcherConfig {
  const r = envReader(env);
  const cfg: WatcherConfig = {
    nats: readNatsConfig(env, r, { identity: 'failover-watcher', defaultUrl: 'nats://127.0.0.1:4222' }),
    instanceId: env.INSTANCE_ID || `${hostname()}-${process.pid}`,
    agentDownTimeMs: r.int('AGENT_DOWN_TIME_MS', 2_250, 100),
    coldStartGraceMs: r.int('COLD_START_GRACE_MS', 10_000, 0),
    retryAfterMs: r.int('RETRY_AFTER_MS', 2_000, 1),
    // 100 ms: a declaration comes at most one tick after the grace ran out (of a 2 s failover budget, 250 ms was a lot).
    tickMs: r.int('TICK_MS', 100, 10),
    logLevel: env.LOG_LEVEL || 'info',
    metrics: readMetricsConfig(env, r),
  };
  r.done();
  return cfg;
}
