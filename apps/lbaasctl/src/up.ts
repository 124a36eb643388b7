import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { MAC_KEY_FILE_ENV, type AppProcess } from '@lbaas/app-shell';
import { embeddedMetricsPort, loadEmbeddedConfig, type EmbeddedConfig } from './embedded-config';
import { embeddedNatsSpec, ensureEmbeddedSecrets, identityEnv, natsPortInUse } from './embedded-nats';
import { bootstrap } from './nats-admin';
import { Supervisor } from './supervisor';
import { startEmbeddedKeystone } from './up-keystone';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../../..');
const app = (name: string) => join(ROOT, 'apps', name, 'dist', 'main.js');
const say = (msg: string) => process.stdout.write(`lbaasctl: ${msg}\n`);
/**
 * The control plane's priority on the one host of the embedded stack (docs/scale.md): nats-server (every lease renewal
 * goes through it) and the api run CONTROL_NICE, above the agents (0), whose build helpers run 10 below them
 * (apps/agent/src/host/exec.ts); serving haproxies stay at 0. nice(1) execs the program: the pid is the program's.
 */
export const CONTROL_NICE = -5;
const prioritised = (command: readonly string[]): string[] => ['nice', '-n', String(CONTROL_NICE), ...command];

/** `lbaasctl up`: the whole stack on the embedded default, until Ctrl-C. */
export async function up(args: string[], env: Record<string, string | undefined>): Promise<number> {
  if (process.getuid?.() !== 0) {
    process.stderr.write('lbaasctl up: needs root, because agents create network namespaces, veth pairs and a bridge.\n'
      + '             Run it as root, e.g. `sudo bash scripts/up.sh`.\n');
    return 1;
  }
  const cfg = loadEmbeddedConfig(env);
  mkdirSync(join(cfg.home, 'logs'), { recursive: true });
  // Every process is supervised: one that crashes is started again (with backoff) and said so; only Ctrl-C stops all.
  const sup = new Supervisor({
    say, statusFile: join(cfg.home, 'supervisor.json'),
    extra: { api: `http://${cfg.apiHost}:${cfg.apiPort}`, nats: `nats://127.0.0.1:${cfg.natsPort}`, home: cfg.home },
  });
  let stopping = false;
  let keystoneProc: AppProcess | null = null;
  const stop = async (code: number) => {
    if (stopping) { say('still stopping: cleaning up the data plane'); return; }
    stopping = true;
    say('stopping');
    await teardown(cfg, sup, keystoneProc).catch((err: unknown) => say(`cleanup failed: ${err instanceof Error ? err.message : String(err)}`));
    say('stopped; the event store stays in ' + join(cfg.home, 'jetstream') + ' (the next `up` replays it)');
    // stdout may be a pipe (asynchronous in node): exit once the last line is out, or it can be lost.
    process.stdout.write('', () => process.exit(code));
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    if (await natsPortInUse(cfg.natsPort)) throw new Error(`something already listens on 127.0.0.1:${cfg.natsPort} (a running stack, or \`lbaasctl dr restore\`?)`);
    // Identities (one nkey per role and agent), the operator's MAC key and the sealing key: made once in the home, 0600.
    const { identities, macKeyFile, secretsKey } = ensureEmbeddedSecrets(cfg);
    const natsSpec = await embeddedNatsSpec(cfg);
    await sup.add({ spec: { ...natsSpec, command: prioritised(natsSpec.command) }, role: 'nats-server' });
    // The operator's step, as the operator identity: the stream (with its identity), the secrets bucket, the snapshot store.
    await bootstrap([], identityEnv(cfg, identities, 'operator'));
    await ensureBridge(cfg);
    const common = { LOG_LEVEL: env.LOG_LEVEL || 'info', SECRETS_KEY: env.SECRETS_KEY || secretsKey };
    // --keystone: a local Keystone (up-keystone.ts); the api then validates tokens with it instead of noauth. Not
    // supervised (its launcher keeps it); stopped right after the api.
    const keystone = args.includes('--keystone') ? await startEmbeddedKeystone(cfg, say) : null;
    keystoneProc = keystone?.process ?? null;
    // Every app with its own NATS identity and metrics port; api and agents verify Catalog snapshots with the operator's MAC key.
    const start = async (name: string, entry: string, identity: string, extra: Record<string, string>, role = name, restartDelayMs?: number, control = false) => {
      const metricsPort = embeddedMetricsPort(cfg, name);
      say(`starting ${name} (NATS identity ${identity}; metrics and health on 127.0.0.1:${metricsPort})`);
      return sup.add({
        role, metricsPort, restartDelayMs,
        spec: {
          name, command: control ? prioritised([process.execPath, entry]) : [process.execPath, entry], env: { ...common, ...identityEnv(cfg, identities, identity), METRICS_PORT: String(metricsPort), ...extra },
          logFile: join(cfg.home, 'logs', `${name}.log`), startTimeoutMs: 60_000,
        },
      });
    };
    await start('api', app('api'), 'api', {
      API_HOST: cfg.apiHost, API_PORT: String(cfg.apiPort), DEFAULT_PROJECT_ID: cfg.projectId, AUTH_STRATEGY: 'noauth', [MAC_KEY_FILE_ENV]: macKeyFile,
      ...keystone?.apiEnv,
    }, 'api', undefined, true);
    await start('scheduler', app('scheduler'), 'scheduler', {});
    await start('failover-watcher', app('failover-watcher'), 'failover-watcher', {});
    for (const id of cfg.agents) {
      await start(id, app('agent'), `agent-${id}`, {
        [MAC_KEY_FILE_ENV]: macKeyFile,
        AGENT_ID: id, HOST_NAME: `${require('node:os').hostname()}-${id}`, BRIDGE_MAPPINGS: `${cfg.physicalNetwork}:${cfg.bridge}`,
        STATE_DIR: join(cfg.home, 'agents', id), RUN_DIR: `/run/lbaas/${id}`,
      }, 'agent', cfg.agentRestartDelayMs);
    }
    const ids = await ensureDemoNetwork(cfg, keystone ? await keystone.adminHeaders() : { 'x-project-id': cfg.projectId });
    say(`ready. API: http://${cfg.apiHost}:${cfg.apiPort}  (logs in ${join(cfg.home, 'logs')})`);
    say(`demo network ${ids.networkId}, subnet ${ids.subnetId} (${cfg.cidr}) on bridge ${cfg.bridge}`);
    if (keystone) for (const line of keystone.describe()) say(line);
    else say(`try: openstack --os-auth-type none --os-endpoint http://${cfg.apiHost}:${cfg.apiPort} loadbalancer create --vip-subnet-id ${ids.subnetId} --name demo --wait`);
    say('Ctrl-C stops everything; `lbaasctl status` shows the processes, agents and lag');
    await new Promise<never>(() => undefined);
    return 0;
  } catch (err) {
    process.stderr.write(`lbaasctl up: ${err instanceof Error ? err.message : String(err)}\n`);
    await teardown(cfg, sup, keystoneProc).catch(() => undefined);
    return 1;
  }
}

async function ensureBridge(cfg: EmbeddedConfig): Promise<void> {
  if (!existsSync(`/sys/class/net/${cfg.bridge}`)) {
    say(`creating bridge ${cfg.bridge} with gateway ${cfg.gatewayIp}`);
    await run('ip', ['link', 'add', cfg.bridge, 'type', 'bridge']);
  }
  const prefix = cfg.cidr.split('/')[1];
  await run('ip', ['addr', 'replace', `${cfg.gatewayIp}/${prefix}`, 'dev', cfg.bridge]);
  await run('ip', ['link', 'set', cfg.bridge, 'up']);
}

async function api<T>(cfg: EmbeddedConfig, auth: Record<string, string>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://${cfg.apiHost}:${cfg.apiPort}${path}`, {
    method, headers: { 'content-type': 'application/json', ...auth }, body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

async function ensureDemoNetwork(cfg: EmbeddedConfig, auth: Record<string, string>): Promise<{ networkId: string; subnetId: string }> {
  const nets = await api<{ networks: { id: string }[] }>(cfg, auth, 'GET', '/v2.0/networks?name=demo');
  const networkId = nets.networks[0]?.id ?? (await api<{ network: { id: string } }>(cfg, auth, 'POST', '/v2.0/networks', {
    network: { name: 'demo', 'provider:physical_network': cfg.physicalNetwork, 'provider:network_type': 'flat', shared: true },
  })).network.id;
  const subs = await api<{ subnets: { id: string }[] }>(cfg, auth, 'GET', `/v2.0/subnets?network_id=${networkId}`);
  const subnetId = subs.subnets[0]?.id ?? (await api<{ subnet: { id: string } }>(cfg, auth, 'POST', '/v2.0/subnets', {
    subnet: {
      name: 'demo-subnet', network_id: networkId, ip_version: 4, cidr: cfg.cidr, gateway_ip: cfg.gatewayIp,
      allocation_pools: [{ start: cfg.allocationStart, end: cfg.allocationEnd }],
    },
  })).subnet.id;
  return { networkId, subnetId };
}

/**
 * Stops the apps (agents first, gracefully: haproxy keeps running), then removes every data-plane object the agents
 * recorded (namespaces, haproxy, veths, ownership records, watchdogs), then the rest, the bridge last. Every step is
 * tried whatever the others did, so an interrupted stop never leaves the data plane behind.
 */
async function teardown(cfg: EmbeddedConfig, sup: Supervisor, keystone: AppProcess | null): Promise<void> {
  await sup.stopSome(cfg.agents);
  for (const id of cfg.agents) {
    await run(process.execPath, [app('agent'), '--cleanup'], {
      env: { ...process.env, AGENT_ID: id, NATS_URL: 'nats://127.0.0.1:1', BRIDGE_MAPPINGS: `${cfg.physicalNetwork}:${cfg.bridge}`, STATE_DIR: join(cfg.home, 'agents', id), RUN_DIR: `/run/lbaas/${id}` },
    }).catch((err: unknown) => say(`cleanup of ${id} failed: ${err instanceof Error ? err.message : String(err)}`));
  }
  await sup.stopSome(['api']); // before Keystone, which it asks
  await keystone?.stop('SIGTERM').catch((err: unknown) => say(`stopping keystone failed: ${err instanceof Error ? err.message : String(err)}`));
  await sup.stopAll();
  await run('ip', ['link', 'del', cfg.bridge]).catch(() => undefined);
}
