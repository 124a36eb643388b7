import { hostname } from 'node:os';
import { envReader, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';
import { AGENT_ID } from '@lbaas/contracts';

/** Everything the agent reads from its environment, once, in main.ts. */
export type AgentConfig = Readonly<{
  agentId: string;
  /** Servers, credentials and TLS of this agent's own NATS identity (`agent-<agentId>`). */
  nats: NatsConfig;
  /** physical network -> host bridge. */
  bridgeMappings: Readonly<Record<string, string>>;
  hostName: string;
  stateDir: string;
  runDir: string;
  /** Heartbeat period (Neutron's report_interval). Defaults: report 500 ms < lease 3000 ms < agent_down_time 3500 ms. */
  reportIntervalMs: number;
  resyncIntervalMs: number;
  healthPollMs: number;
  /**
   * How long the agent (and its host watchdog) keep the VIPs plugged after the last NATS round trip. Must be below the
   * failover-watcher's AGENT_DOWN_TIME_MS, so that a host is fenced before its LBs may move (DESIGN.md §6).
   */
  leaseMs: number;
  /** Start the per-host watchdog (withdraws VIPs when the lease file lapses, even if this process is dead). */
  watchdog: boolean;
  /** Gratuitous ARPs sent after plugging a VIP (0 disables). */
  garpCount: number;
  haproxyBin: string;
  /** 0 = derive from the open-files limit at start. */
  haproxyMaxconnCap: number;
  logLevel: string;
  /** /metrics, /livez, /readyz on a port of their own (METRICS_PORT; off when unset; one port per agent on a host). */
  metrics: MetricsConfig;
}>;

/** `physnet1:br-ex,physnet2:br-2` → { physnet1: 'br-ex', ... }; problems are collected, not thrown. */
export function parseBridgeMappings(raw: string, problems: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]{1,15})$/.exec(pair);
    if (!m) problems.push(`BRIDGE_MAPPINGS entry ${JSON.stringify(pair)} must be physnet:bridge (bridge ≤ 15 chars)`);
    else out[m[1]] = m[2];
  }
  return out;
}

// haproxy caps unix socket paths at 97 chars; the stats socket is `<RUN_DIR>/<36-char lb id>/s.sock`.
const MAX_RUN_DIR = 97 - '/'.length - 36 - '/s.sock'.length;

export function loadConfig(env: Record<string, string | undefined> = process.env): AgentConfig {
  const r = envReader(env);
  const agentId = r.str('AGENT_ID');
  if (agentId && !AGENT_ID.test(agentId)) r.problems.push(`AGENT_ID ${JSON.stringify(agentId)} must match ${AGENT_ID}`);
  const bridgeMappings = parseBridgeMappings(r.str('BRIDGE_MAPPINGS'), r.problems);
  const runDir = r.str('RUN_DIR', `/run/lbaas/${agentId}`).replace(/\/+$/, '');
  if (runDir.length > MAX_RUN_DIR) r.problems.push(`RUN_DIR must be at most ${MAX_RUN_DIR} chars (haproxy's 97-char socket path limit), got ${runDir.length}`);
  const config: AgentConfig = {
    agentId,
    nats: readNatsConfig(env, r, { identity: AGENT_ID.test(agentId) ? `agent-${agentId}` : 'agent', defaultUrl: 'nats://127.0.0.1:4222' }),
    bridgeMappings,
    hostName: r.str('HOST_NAME', hostname()),
    stateDir: r.str('STATE_DIR', `/var/lib/lbaas/agent-${agentId}`),
    runDir,
    reportIntervalMs: r.int('REPORT_INTERVAL_MS', 500, 50),
    resyncIntervalMs: r.int('RESYNC_INTERVAL_MS', 5000, 100),
    healthPollMs: r.int('HEALTH_POLL_MS', 1000, 100),
    leaseMs: r.int('LEASE_MS', 3000, 200),
    watchdog: r.bool('LEASE_WATCHDOG', true),
    garpCount: r.int('GARP_COUNT', 3, 0, 10),
    haproxyBin: r.str('HAPROXY_BIN', 'haproxy'),
    haproxyMaxconnCap: r.int('HAPROXY_MAXCONN_CAP', 0, 0, 1_000_000),
    logLevel: r.str('LOG_LEVEL', 'info'),
    metrics: readMetricsConfig(env, r),
  };
  if (config.leaseMs <= 2 * config.reportIntervalMs) {
    r.problems.push(`LEASE_MS (${config.leaseMs}) must exceed twice REPORT_INTERVAL_MS (${config.reportIntervalMs}): one lost heartbeat must not fence the host`);
  }
  r.done();
  return Object.freeze(config);
}
