import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { natsConnectionOptions, readNatsConfig, writeIdentities, type WrittenIdentities } from '@lbaas/app-shell';
import { EVENT_STREAM } from '@lbaas/contracts';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { freePort } from './free-port';
import { MAKE_CERTS } from './nats-identities-server';
import { NatsServerStartFailed } from './nats-server';

const run = promisify(execFile);
const DEPLOY = resolve(__dirname, '../../../deploy/nats');
const BINARY = '/usr/sbin/nats-server';
const LOG_LINES = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One node of the cluster. */
export interface ClusterNode {
  /** `lbaas-nats-1` … (the deploy config's server_name). */
  readonly name: string;
  readonly clientPort: number;
  readonly routePort: number;
  readonly httpPort: number;
  /** Its JetStream store (a fault test may fill it, or wipe it to stand in for a replacement host). */
  readonly storeDir: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  logs(): string;
}

/** Three nats-servers started from deploy/nats/nats-cluster-{1,2,3}.conf with identities, TLS and route auth. */
export interface NatsCluster {
  readonly nodes: readonly ClusterNode[];
  /** Every node's client URL, comma-separated (what NATS_URL takes). */
  readonly url: string;
  readonly identities: WrittenIdentities;
  /** The environment an app needs to connect as identity `name` to all three nodes. */
  env(name: string): Record<string, string>;
  /** nats.js options of identity `name` (as the apps build theirs). */
  options(name: string): ConnectionOptions;
  /** Connects as `name` to all nodes (closed by stop()). */
  connect(name: string, extra?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  /** Resolves with the JetStream meta leader's name once there is one. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  /** The current leader of `stream` (default LBAAS_EVENTS), asked as the operator; waits while there is none. */
  streamLeader(stream?: string, timeoutMs?: number): Promise<string>;
  /** Makes node `name` the leader of `stream` (default LBAAS_EVENTS) by asking the leader to step down until it is. */
  moveStreamLeader(name: string, stream?: string, timeoutMs?: number): Promise<void>;
  /** Resolves once every replica of `stream` is current (no lag, all peers seen recently). */
  waitForReplicasCurrent(stream?: string, timeoutMs?: number): Promise<void>;
  /** `kill -9` (or another signal) of one node; resolves when it exited. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped node again with its config and store. */
  start(name: string): Promise<void>;
  /** Lame-duck mode (`nats-server --signal ldm=<pid>`): hands leadership over, then exits; resolves when it exited. */
  lameDuck(name: string, timeoutMs?: number): Promise<void>;
  /** Lame-duck stop and start again, waiting for the node to be ready. */
  lameDuckRestart(name: string): Promise<void>;
  stop(): Promise<void>;
}

type NodeState = {
  name: string; index: number; clientPort: number; routePort: number; httpPort: number; config: string;
  child?: ChildProcess; log: string[];
};

const live = new Set<ChildProcess>();
let hooked = false;

/**
 * Renders a deploy cluster config for this machine: the node's client, route and monitoring ports, its store dir
 * and the config home (`/etc/lbaas/nats/` → `home`) replaced; everything else (TLS, the identities include, the route-auth include) as operators run it.
 */
export function rewriteClusterConfig(text: string, o: { clientPort: number; routePort: number; httpPort: number; storeDir: string; home: string; extra?: string }): string {
  const replaced = text
    .replaceAll('"/etc/lbaas/nats/', `"${o.home}/`)
    .replace(/^port: \d+$/m, `port: ${o.clientPort}`)
    .replace(/^http: \S+$/m, `http: 127.0.0.1:${o.httpPort}`)
    .replace(/^(\s*)store_dir: .*$/m, `$1store_dir: ${JSON.stringify(o.storeDir)}`)
    .replace(/^(\s*)listen: 127\.0\.0\.1:\d+$/m, `$1listen: 127.0.0.1:${o.routePort}`);
  for (const [what, re] of [['port', /^port: \d+$/m], ['store_dir', /store_dir: "/], ['listen', /listen: 127\.0\.0\.1:/]] as const) {
    if (!re.test(replaced)) throw new Error(`deploy cluster config has no ${what} line to rewrite`);
  }
  return `${replaced}\n${o.extra ?? ''}\n`;
}

/**
 * Starts the 3-node cluster of deploy/nats on loopback: free ports, a temp dir laid out as the configs expect
 * (certs/ from make-certs.sh, identities/ from writeIdentities, secrets/route-auth.conf from make-route-auth.sh),
 * one store dir per node. Resolves once a JetStream meta leader is elected.
 */
export async function startNatsCluster(o: { agents?: readonly string[]; extraConfig?: string; startTimeoutMs?: number } = {}): Promise<NatsCluster> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
  }
  const root = await mkdtemp(join(tmpdir(), 'lbaas-cluster-'));
  const timeoutMs = o.startTimeoutMs ?? 20_000;
  const identities = writeIdentities(join(root, 'identities'), { agents: o.agents ?? ['a1', 'a2'] });
  const names = [1, 2, 3].map((i) => `lbaas-nats-${i}`);
  await run('bash', [MAKE_CERTS, join(root, 'certs')], {
    env: { ...process.env, SERVERS: names.join(' '), CLIENTS: identities.table.map((r) => r.name).join(' ') },
  });
  const nodes: NodeState[] = [];
  for (const [k, name] of names.entries()) {
    nodes.push({ name, index: k + 1, clientPort: await freePort(), routePort: await freePort(), httpPort: await freePort(), config: join(root, `nats-cluster-${k + 1}.conf`), log: [] });
  }
  await run('bash', [join(DEPLOY, 'make-route-auth.sh'), join(root, 'secrets', 'route-auth.conf'), ...nodes.map((n) => `127.0.0.1:${n.routePort}`)]);
  for (const n of nodes) {
    const text = await readFile(join(DEPLOY, `nats-cluster-${n.index}.conf`), 'utf8');
    await writeFile(n.config, rewriteClusterConfig(text, { ...n, storeDir: join(root, `store-${n.index}`), home: root, extra: o.extraConfig }));
  }
  const byName = (name: string) => {
    const n = nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no cluster node ${name}`);
    return n;
  };
  const url = nodes.map((n) => `nats://127.0.0.1:${n.clientPort}`).join(',');
  const env = (name: string): Record<string, string> => {
    const seed = identities.seedFiles[name];
    if (!seed) throw new Error(`no identity ${name}`);
    const certs = join(root, 'certs');
    return {
      NATS_URL: url, NATS_NKEY_SEED_FILE: seed, NATS_TLS_CA_FILE: join(certs, 'ca.pem'),
      NATS_TLS_CERT_FILE: join(certs, `${name}.pem`), NATS_TLS_KEY_FILE: join(certs, `${name}-key.pem`),
    };
  };
  const options = (name: string): ConnectionOptions => {
    const r = { problems: [] as string[] };
    const cfg = readNatsConfig(env(name), r, { identity: name });
    if (r.problems.length) throw new Error(r.problems.join('; '));
    return natsConnectionOptions(cfg, `test:${name}`);
  };
  const opened: NatsConnection[] = [];
  let admin: NatsConnection | undefined;
  const operator = async () => (admin ??= await connect({ ...options('operator'), maxReconnectAttempts: -1, reconnectTimeWait: 100 }));

  const launch = (n: NodeState) => new Promise<void>((resolveReady, reject) => {
    const child = spawn(BINARY, ['-c', n.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    n.child = child;
    live.add(child);
    let ready = false;
    let partial = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new NatsServerStartFailed(`${n.name} not ready after ${timeoutMs} ms\n${n.log.slice(-30).join('\n')}`)); }, timeoutMs);
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (!ready) { clearTimeout(timer); reject(new NatsServerStartFailed(`${n.name} exited (code ${code}, signal ${signal})\n${n.log.slice(-30).join('\n')}`)); }
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        n.log.push(line);
        if (n.log.length > LOG_LINES) n.log.shift();
        if (!ready && line.includes('Server is ready')) { ready = true; clearTimeout(timer); resolveReady(); }
      }
    });
  });
  const exited = (n: NodeState) => new Promise<void>((r) => {
    const c = n.child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return r();
    c.once('exit', () => r());
  });

  const poll = async <T>(what: string, timeout: number, probe: () => Promise<T | undefined>): Promise<T> => {
    const deadline = Date.now() + timeout;
    let last: unknown;
    for (;;) {
      try {
        const v = await probe();
        if (v !== undefined) return v;
      } catch (err) {
        last = err;
      }
      if (Date.now() > deadline) throw new Error(`${what} within ${timeout} ms${last ? `: ${String(last)}` : ''}`);
      await sleep(100);
    }
  };

  const cluster: NatsCluster = {
    nodes: nodes.map((n) => ({
      name: n.name, clientPort: n.clientPort, routePort: n.routePort, httpPort: n.httpPort, storeDir: join(root, `store-${n.index}`),
      get pid() { return n.child?.pid; },
      get running() { return !!n.child && n.child.exitCode === null && n.child.signalCode === null; },
      logs: () => n.log.join('\n'),
    })),
    url, identities, env, options,
    async connect(name, extra = {}) {
      const nc = await connect({ ...options(name), maxReconnectAttempts: -1, reconnectTimeWait: 100, ...extra });
      opened.push(nc);
      return nc;
    },
    waitForMetaLeader(timeout = 20_000) {
      return poll('no JetStream meta leader', timeout, async () => {
        for (const n of nodes.filter((x) => x.child)) {
          const jsz = await fetch(`http://127.0.0.1:${n.httpPort}/jsz`).then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string } }>).catch(() => undefined);
          if (jsz?.meta_cluster?.leader) return jsz.meta_cluster.leader;
        }
        return undefined;
      });
    },
    async streamLeader(stream = EVENT_STREAM, timeout = 20_000) {
      const nc = await operator();
      return poll(`no leader of ${stream}`, timeout, async () => {
        const info = await (await nc.jetstreamManager({ checkAPI: false, timeout: 1_000 })).streams.info(stream);
        return info.cluster?.leader || undefined;
      });
    },
    async moveStreamLeader(name, stream = EVENT_STREAM, timeout = 60_000) {
      const nc = await operator();
      const t0 = performance.now();
      for (;;) {
        const leader = await cluster.streamLeader(stream, timeout);
        if (leader === name) return;
        if (performance.now() - t0 > timeout) throw new Error(`${name} did not become the leader of ${stream} within ${timeout} ms (${leader} is)`);
        // The leader steps down and the replicas elect another (any current one): try until it is `name`.
        await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${stream}`, undefined, { timeout: 5_000 }).catch(() => undefined);
        await sleep(500);
        await cluster.waitForReplicasCurrent(stream, timeout).catch(() => undefined);
      }
    },
    async waitForReplicasCurrent(stream = EVENT_STREAM, timeout = 30_000) {
      const nc = await operator();
      await poll(`replicas of ${stream} not current`, timeout, async () => {
        const info = await (await nc.jetstreamManager({ checkAPI: false, timeout: 1_000 })).streams.info(stream);
        const replicas = info.cluster?.replicas ?? [];
        return info.cluster?.leader && replicas.length === 2 && replicas.every((r) => r.current && !r.offline && (r.lag ?? 0) === 0) ? true : undefined;
      });
    },
    async kill(name, signal = 'SIGKILL') {
      const n = byName(name);
      const done = exited(n);
      n.child?.kill(signal);
      await done;
    },
    async start(name) {
      const n = byName(name);
      if (cluster.nodes.find((x) => x.name === name)?.running) throw new Error(`${name} is running`);
      for (let attempt = 1; ; attempt++) {
        try {
          return await launch(n);
        } catch (err) {
          if (attempt >= 20 || !/address already in use/i.test(String(err))) throw err;
          await sleep(100);
        }
      }
    },
    async lameDuck(name, timeout = 60_000) {
      const n = byName(name);
      const done = exited(n);
      await run(BINARY, ['--signal', `ldm=${n.child?.pid}`]);
      await Promise.race([done, sleep(timeout).then(() => { throw new Error(`${name} did not leave lame-duck mode within ${timeout} ms`); })]);
    },
    async lameDuckRestart(name) {
      await cluster.lameDuck(name);
      await cluster.start(name);
    },
    async stop() {
      for (const nc of opened) await nc.close().catch(() => undefined);
      await admin?.close().catch(() => undefined);
      for (const n of nodes) {
        const done = exited(n);
        n.child?.kill('SIGTERM');
        const hard = setTimeout(() => n.child?.kill('SIGKILL'), 5_000);
        await done;
        clearTimeout(hard);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(nodes.map((n) => launch(n)));
    await cluster.waitForMetaLeader();
    // A meta leader is not yet a cluster that can place an R3 stream ("no suitable peers for placement" on a loaded
    // machine): wait until the leader sees every other node as a current peer.
    await poll('JetStream peers not all current', 30_000, async () => {
      for (const n of nodes) {
        const jsz = await fetch(`http://127.0.0.1:${n.httpPort}/jsz`)
          .then((r) => r.json() as Promise<{ meta_cluster?: { leader?: string; replicas?: { current?: boolean; offline?: boolean }[] } }>)
          .catch(() => undefined);
        const meta = jsz?.meta_cluster;
        if (meta?.leader && meta.leader === n.name && (meta.replicas ?? []).filter((r) => r.current && !r.offline).length >= nodes.length - 1) return true;
      }
      return undefined;
    });
  } catch (err) {
    await cluster.stop();
    throw err;
  }
  return cluster;
}
