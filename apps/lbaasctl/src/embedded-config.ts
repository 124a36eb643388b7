import { join, resolve } from 'node:path';
import { envReader } from '@lbaas/app-shell';

/** The embedded default: everything on one machine, under one home directory, touching only its own bridge and namespaces. */
export type EmbeddedConfig = Readonly<{
  home: string;
  natsPort: number;
  apiHost: string;
  apiPort: number;
  bridge: string;
  physicalNetwork: string;
  cidr: string;
  gatewayIp: string;
  allocationStart: string;
  allocationEnd: string;
  agents: readonly string[];
  projectId: string;
  /** Metrics and health ports: api base+1, scheduler +2, failover-watcher +3, agents +4, +5, ... */
  metricsPortBase: number;
  /**
   * First restart delay of a crashed agent. Longer than agent_down_time by default (5 s), so that a killed agent is
   * failed over as a dead host would be before it comes back; below the lease (e.g. 500) its restart is hitless.
   */
  agentRestartDelayMs: number;
  /** `up --keystone`: where the local Keystone listens (127.0.0.1). */
  keystonePort: number;
}>;

/** Reads the embedded stack's settings (all optional) from the environment. */
export function loadEmbeddedConfig(env: Record<string, string | undefined>): EmbeddedConfig {
  const r = envReader(env);
  const cfg: EmbeddedConfig = {
    home: embeddedHome(env),
    natsPort: r.int('LBAAS_NATS_PORT', 4222, 1, 65535),
    apiHost: env.LBAAS_API_HOST || '127.0.0.1',
    apiPort: r.int('LBAAS_API_PORT', 9876, 1, 65535),
    bridge: env.LBAAS_DEMO_BRIDGE || 'brlbaas-demo',
    physicalNetwork: env.LBAAS_DEMO_PHYSNET || 'demo',
    cidr: env.LBAAS_DEMO_CIDR || '10.77.0.0/24',
    gatewayIp: env.LBAAS_DEMO_GATEWAY || '10.77.0.1',
    allocationStart: env.LBAAS_DEMO_POOL_START || '10.77.0.10',
    allocationEnd: env.LBAAS_DEMO_POOL_END || '10.77.0.200',
    agents: (env.LBAAS_AGENTS || 'agent-a,agent-b').split(',').map((s) => s.trim()).filter(Boolean),
    projectId: env.LBAAS_DEFAULT_PROJECT || 'demo',
    metricsPortBase: r.int('LBAAS_METRICS_PORT_BASE', 9100, 1, 65000),
    agentRestartDelayMs: r.int('LBAAS_AGENT_RESTART_DELAY_MS', 5_000, 0, 600_000),
    keystonePort: r.int('LBAAS_KEYSTONE_PORT', 5000, 1, 65535),
  };
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(cfg.bridge)) r.problems.push('LBAAS_DEMO_BRIDGE must be a Linux interface name (≤ 15 characters)');
  r.done();
  return cfg;
}

/** The metrics port of one process of the embedded stack (see EmbeddedConfig.metricsPortBase). */
export function embeddedMetricsPort(cfg: EmbeddedConfig, name: string): number {
  const fixed: Record<string, number> = { api: 1, scheduler: 2, 'failover-watcher': 3 };
  const agent = cfg.agents.indexOf(name);
  return cfg.metricsPortBase + (fixed[name] ?? (agent >= 0 ? 4 + agent : 0));
}

/** The files of an embedded home (`lbaasctl up` makes them; lbaasctl's other commands find the operator's there). */
export function embeddedFiles(home: string) {
  return {
    /** `lbaasctl identities` output: one nkey seed per identity (0600) and the server's authorization include. */
    identities: join(home, 'identities'),
    operatorSeed: join(home, 'identities', 'operator.nk'),
    /** The operator's MAC key (HMAC-SHA256 over snapshots and backups), 0600. */
    macKey: join(home, 'mac.key'),
    /** The key that seals TLS material (SECRETS_KEY), 0600. */
    secretsKey: join(home, 'secrets.key'),
    natsConf: join(home, 'nats.conf'),
    jetstream: join(home, 'jetstream'),
    logs: join(home, 'logs'),
  } as const;
}

/** The embedded home named by LBAAS_HOME (default `.lbaas` in the working directory). */
export const embeddedHome = (env: Record<string, string | undefined>): string => resolve(env.LBAAS_HOME || '.lbaas');
