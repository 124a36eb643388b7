import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { envReader, macKeyFrom, readMetricsConfig, readNatsConfig, type MetricsConfig, type NatsConfig } from '@lbaas/app-shell';
import { isZoneName } from '@lbaas/domain';
import { AGENT_ID } from '@lbaas/contracts';

/** Everything the agent reads from its environment, once, in main.ts. */
export type AgentConfig = Readonly<{
  agentId: string;
  /** Servers, credentials and TLS of this agent's own NATS identity (`agent-<agentId>`). */
  nats: NatsConfig;
  /** physical network -> host bridge. */
  bridgeMappings: Readonly<Record<string, string>>;
  hostName: string;
  /** AVAILABILITY_ZONE: the zone this agent serves (load balancers of a zone are placed only on its agents); null: none. */
  availabilityZone: string | null;
  /** MANAGEMENT_ADDRESS: this host's management address (an amphora's lb_network_ip); null: not given. */
  managementAddress: string | null;
  stateDir: string;
  runDir: string;
  /**
   * Heartbeat period (Neutron's report_interval). Defaults: report 250 ms < lease 1750 ms < agent_down_time 2250 ms
   * (docs/failover.md, "Timings": lease + 500 ms ≤ agent_down_time is the fence's invariant, enforced by the watcher).
   */
  reportIntervalMs: number;
  resyncIntervalMs: number;
  healthPollMs: number;
  /**
   * How long the agent (and its host watchdog) keep the VIPs plugged after the last NATS round trip. Must be below the
   * failover-watcher's AGENT_DOWN_TIME_MS, so that a host is fenced before its LBs may move (DESIGN.md §6).
   */
  leaseMs: number;
  /**
   * LEASE_STALL_LIMIT_MS: the lease keeper thread (lease-worker.ts) heartbeats and renews the lease only while the main
   * thread's event loop turned this recently and its NATS connection has not been down this long: busy is not dead,
   * but a wedged agent is fenced after this plus LEASE_MS.
   */
  leaseStallLimitMs: number;
  /** LEASE_TEST_STALL_MS, a test hook: on SIGUSR2 the main thread busy-loops this long (0: off, the default). */
  testStallMs: number;
  /** Start the per-host watchdog (withdraws VIPs when the lease file lapses, even if this process is dead). */
  watchdog: boolean;
  /**
   * KERNEL_FENCE (default on): an nftables bridge table whose lease element expires with the lease, so the kernel
   * stops every LB namespace of this agent answering when nobody renews it, even with every process of the agent dead.
   */
  kernelFence: boolean;
  /** Gratuitous ARPs sent after plugging a VIP (0 disables). */
  garpCount: number;
  haproxyBin: string;
  /** 0 = derive from the open-files limit at start. */
  haproxyMaxconnCap: number;
  /** LBs reconciled at once (namespace plumbing, haproxy starts); 0 = 4 per core (os.availableParallelism). */
  reconcileConcurrency: number;
  /** A planned move's new copy announces the VIP this long after the placement even if the old copy never let go of it. */
  handoverTimeoutMs: number;
  /** A planned move's old copy is destroyed once its connections ended, or this long after it let go of the VIP. */
  drainTimeoutMs: number;
  /** The operator's MAC key (LBAAS_MAC_KEY_FILE): Catalog snapshots are used only when they verify under it. */
  macKey: Buffer | null;
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
    availabilityZone: env.AVAILABILITY_ZONE || null,
    managementAddress: env.MANAGEMENT_ADDRESS || null,
    stateDir: r.str('STATE_DIR', `/var/lib/lbaas/agent-${agentId}`),
    runDir,
    reportIntervalMs: r.int('REPORT_INTERVAL_MS', 250, 50),
    resyncIntervalMs: r.int('RESYNC_INTERVAL_MS', 5000, 100),
    healthPollMs: r.int('HEALTH_POLL_MS', 1000, 100),
    leaseMs: r.int('LEASE_MS', 1750, 200),
    leaseStallLimitMs: r.int('LEASE_STALL_LIMIT_MS', 60_000, 1000, 600_000),
    testStallMs: r.int('LEASE_TEST_STALL_MS', 0, 0, 600_000),
    watchdog: r.bool('LEASE_WATCHDOG', true),
    kernelFence: r.bool('KERNEL_FENCE', true),
    garpCount: r.int('GARP_COUNT', 3, 0, 10),
    haproxyBin: r.str('HAPROXY_BIN', 'haproxy'),
    haproxyMaxconnCap: r.int('HAPROXY_MAXCONN_CAP', 0, 0, 1_000_000),
    reconcileConcurrency: r.int('RECONCILE_CONCURRENCY', 0, 0, 256),
    handoverTimeoutMs: r.int('HANDOVER_TIMEOUT_MS', 10_000, 100),
    drainTimeoutMs: r.int('DRAIN_TIMEOUT_MS', 60_000, 0),
    macKey: macKeyFrom(env, r.problems),
    logLevel: r.str('LOG_LEVEL', 'info'),
    metrics: readMetricsConfig(env, r),
  };
  if (config.availabilityZone !== null && !isZoneName(config.availabilityZone)) {
    r.problems.push(`AVAILABILITY_ZONE must be 1-255 printable characters without surrounding spaces, got ${JSON.stringify(config.availabilityZone)}`);
  }
  if (config.managementAddress !== null && isIP(config.managementAddress) === 0) {
    r.problems.push(`MANAGEMENT_ADDRESS must be an IP address, got ${JSON.stringify(config.managementAddress)}`);
  }
  if (config.leaseMs <= 2 * config.reportIntervalMs) {
    r.problems.push(`LEASE_MS (${config.leaseMs}) must exceed twice REPORT_INTERVAL_MS (${config.reportIntervalMs}): one lost heartbeat must not fence the host`);
  }
  r.done();
  return Object.freeze(config);
}
