import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import {
  bootstrapNats, createBridge, createNetnsOnBridge, freePort, removeLinks, removeNetns, sh, startAppProcess, startHttpServer, startNatsServer,
  type AppProcess, type NatsServer, type NetnsProcess,
} from '@lbaas/testing';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const entry = (app: string) => join(ROOT, 'apps', app, 'dist', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Several controller hosts on one machine (DESIGN.md §6): each host is its own network namespace with its own bridge
 * `brh`, joined by an uplink veth to a shared L2 segment (the provider network) in the root namespace, and its own
 * persistent mount namespace with a private /run/netns, so every host can have `qlbaas-<lb>`. A management veth per
 * host reaches nats-server on the management bridge. Backends web1/web2 and the client sit on the provider segment.
 *
 *   root:  bs<id> (provider segment, no address) ── u<id><i> ══ up0 ── brh (host i) ── vl… ══ vip0 (qlbaas-<lb>)
 *          bm<id> 10.244.<o>.1/24 (management) ─── m<id><i> ══ mg0 10.244.<o>.(10+i) (host i)
 */
export type Host = {
  index: number;
  agentId: string;
  netns: string;
  mnt: string;
  uplink: string;
  mgmt: string;
  runDir: string;
  stateDir: string;
  agent: AppProcess | null;
};

export type HostsLab = {
  id: string;
  prefix: string;
  physnet: string;
  nats: NatsServer;
  apiUrl: string;
  hosts: Host[];
  clientNs: string;
  procs: Map<string, AppProcess>;
  /** Runs a program inside a host (its mount and network namespaces). */
  inHost(h: Host, cmd: string, args: string[]): Promise<string>;
  startAgent(h: Host, env?: Record<string, string>): Promise<AppProcess>;
  /** Starts one more app process (a second scheduler or watcher). */
  startApp(name: string, app: string, env?: Record<string, string>): Promise<AppProcess>;
  /** The host dies: agent, watchdog and haproxy killed (-9), uplink and management link down. */
  killHost(h: Host): Promise<void>;
  /** The dead host boots again: links up, processes not started. */
  reviveHost(h: Host): Promise<void>;
  /** kill -9 of the agent process only (the host, its watchdog and haproxy live on). */
  killAgent(h: Host): Promise<void>;
  /** Cuts / restores the host's management link (NATS unreachable; the data plane stays up). */
  setMgmt(h: Host, up: boolean): Promise<void>;
  /**
   * Hosts whose qlbaas-<lbId> has the VIP on an up vip0 and does not hold it back (what makes a host answer ARP for it).
   * Hosts are looked at one after the other; `last` is looked at last: with the host a VIP moves away from last, a
   * move that happens during the look cannot show both (only a real overlap does).
   */
  vipHolders(lbId: string, vip: string, last?: string): Promise<string[]>;
  /** MACs that answer ARP for `ip` on the provider segment, seen from the client (broadcast requests). */
  arpResponders(ip: string): Promise<string[]>;
  /** The client's neighbour entry for `ip`: MAC (or null). */
  clientNeighbour(ip: string): Promise<string | null>;
  /** MAC of vip0 in host `h`'s qlbaas-<lbId>. */
  vipMac(h: Host, lbId: string): Promise<string | null>;
  stop(): Promise<void>;
};

/** Samples which hosts hold `vip` of `lbId` (address on an up vip0, uplink up) every 30 ms until `stop()`. */
export function sampleVipHolders(lab: Pick<HostsLab, 'vipHolders'>, lbId: string, vip: string): { stop(): Promise<{ t: number; holders: string[] }[]> } {
  const samples: { t: number; holders: string[] }[] = [];
  let on = true;
  const loop = (async () => { while (on) { samples.push({ t: Date.now(), holders: await lab.vipHolders(lbId, vip) }); await sleep(30); } })();
  return { async stop() { on = false; await loop; return samples; } };
}

export async function startHostsLab(o: { id: string; hosts: number; env?: Record<string, string>; agentEnv?: Record<string, string> }): Promise<HostsLab> {
  const { id } = o;
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  const prefix = `10.243.${octet}`;
  const mg = `10.244.${octet}`;
  const physnet = `physnet-${id}`;
  const seg = `bs${id}`;
  const mgbr = `bm${id}`;
  const home = mkdtempSync(join(tmpdir(), `lbaas-hosts-${id}-`));
  const mntDir = `/run/lbf-${id}`;
  const clientNs = `e2e-${id}-cli`;
  const webNs = [`e2e-${id}-web1`, `e2e-${id}-web2`];
  const rootLinks = [`w1${id}`, `w2${id}`, `cl${id}`];
  const servers: NetnsProcess[] = [];
  const procs = new Map<string, AppProcess>();
  const hosts: Host[] = Array.from({ length: o.hosts }, (_, i) => ({
    index: i, agentId: `e2e${id}-h${i}`, netns: `lbf-${id}-h${i}`, mnt: join(mntDir, `h${i}.mnt`),
    uplink: `u${id}${i}`, mgmt: `m${id}${i}`, runDir: `/run/lbaas-e2e/e2e${id}-h${i}`, stateDir: join(home, 'agents', `h${i}`), agent: null,
  }));

  const partial = async () => {
    for (const s of servers) await s.stop();
    for (const h of hosts) { await sh('umount', [h.mnt]).catch(() => undefined); await removeNetns(h.netns); await removeLinks(h.uplink, h.mgmt); }
    await sh('umount', [mntDir]).catch(() => undefined);
    rmSync(mntDir, { recursive: true, force: true });
    await removeNetns(clientNs, ...webNs);
    await removeLinks(...rootLinks, seg, mgbr);
  };
  let nats: NatsServer;
  try {
  // 1. The provider segment with backends and client; the management bridge.
  await createBridge(seg);
  await createBridge(mgbr);
  await sh('ip', ['addr', 'add', `${mg}.1/24`, 'dev', mgbr]);
  await createNetnsOnBridge({ netns: webNs[0], bridge: seg, hostIf: rootLinks[0], cidr: `${prefix}.11/24` });
  await createNetnsOnBridge({ netns: webNs[1], bridge: seg, hostIf: rootLinks[1], cidr: `${prefix}.12/24` });
  await createNetnsOnBridge({ netns: clientNs, bridge: seg, hostIf: rootLinks[2], cidr: `${prefix}.2/24` });
  servers.push(await startHttpServer(webNs[0], 'web1', 8080), await startHttpServer(webNs[1], 'web2', 8080));

  // 2. The hosts: netns + bridge + uplink + management link + a persistent mount namespace with a private /run/netns.
  mkdirSync(mntDir, { recursive: true });
  await sh('mount', ['--bind', mntDir, mntDir]);
  await sh('mount', ['--make-private', mntDir]);
  mkdirSync('/run/netns', { recursive: true });
  for (const h of hosts) {
    writeFileSync(h.mnt, '');
    await sh('unshare', [`--mount=${h.mnt}`, '--propagation', 'private', 'sh', '-c', 'mount -t tmpfs tmpfs /run/netns']);
    await sh('ip', ['netns', 'add', h.netns]);
    await sh('ip', ['link', 'add', h.uplink, 'type', 'veth', 'peer', 'name', 'up0', 'netns', h.netns]);
    await sh('ip', ['link', 'set', h.uplink, 'master', seg, 'up']);
    await sh('ip', ['link', 'add', h.mgmt, 'type', 'veth', 'peer', 'name', 'mg0', 'netns', h.netns]);
    await sh('ip', ['link', 'set', h.mgmt, 'master', mgbr, 'up']);
    await sh('ip', ['-n', h.netns, '-batch', '-'], [
      'link set lo up', 'link add brh type bridge', 'link set brh up', 'link set up0 master brh', 'link set up0 up',
      'link set mg0 up', `addr add ${mg}.${10 + h.index}/24 dev mg0`,
    ].join('\n') + '\n');
  }

  // 3. NATS on the management bridge, then the apps.
  nats = await startNatsServer({ host: `${mg}.1` });
  await bootstrapNats(nats.url); // the operator's step: the apps wait for the stream
  } catch (err) {
    await partial();
    throw err;
  }
  const apiPort = await freePort();
  const common = { NATS_URL: nats.url, LOG_LEVEL: 'info', ...o.env };
  const startApp = async (name: string, app: string, env: Record<string, string> = {}, command?: string[]) => {
    const p = await startAppProcess({
      name, command: command ?? [process.execPath, entry(app)], env: { ...common, ...env }, logFile: join(home, `${name}.log`), startTimeoutMs: 60_000,
    });
    procs.set(name, p);
    return p;
  };
  const nsenter = (h: Host) => ['nsenter', `--mount=${h.mnt}`, `--net=/run/netns/${h.netns}`];
  const agentEnv = (h: Host) => ({
    AGENT_ID: h.agentId, HOST_NAME: `host-${h.agentId}`, BRIDGE_MAPPINGS: `${physnet}:brh`, STATE_DIR: h.stateDir, RUN_DIR: h.runDir,
    ...o.agentEnv,
  });
  const inHost = async (h: Host, cmd: string, args: string[]) => (await run(nsenter(h)[0], [...nsenter(h).slice(1), cmd, ...args], { encoding: 'utf8' })).stdout;
  /** Pids whose command line names this host's run dir or state dir (its haproxy and watchdog). */
  const hostPids = (h: Host): number[] => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((d) => {
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
      return cmd.includes(`${h.runDir}/`) || cmd.includes(h.stateDir) ? [Number(d)] : [];
    } catch { return []; }
  });
  const killPids = (pids: number[]) => { for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } };

  const lab: HostsLab = {
    id, prefix, physnet, nats, apiUrl: `http://127.0.0.1:${apiPort}`, hosts, clientNs, procs, inHost,
    startApp: (name, app, env) => startApp(name, app, env),
    async startAgent(h, env = {}) {
      h.agent = await startApp(h.agentId, 'agent', { ...agentEnv(h), ...env }, [...nsenter(h), process.execPath, entry('agent')]);
      return h.agent;
    },
    async killAgent(h) {
      await h.agent?.stop('SIGKILL');
    },
    async killHost(h) {
      await sh('ip', ['link', 'set', h.uplink, 'down']);
      await sh('ip', ['link', 'set', h.mgmt, 'down']);
      await h.agent?.stop('SIGKILL');
      killPids(hostPids(h));
    },
    async reviveHost(h) {
      await sh('ip', ['link', 'set', h.uplink, 'up']);
      await sh('ip', ['link', 'set', h.mgmt, 'up']);
      // neighbour entries that failed while the links were down would answer EHOSTUNREACH for a while
      await sh('ip', ['-n', h.netns, 'neigh', 'flush', 'all']).catch(() => undefined);
      for (let i = 0; i < 50; i++) {
        const probe = `require('net').connect(${nats.port}, '${mg}.1').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`;
        if (await sh('ip', ['netns', 'exec', h.netns, process.execPath, '-e', probe]).then(() => true, () => false)) break;
        await sleep(100);
      }
    },
    async setMgmt(h, up) {
      await sh('ip', ['-n', h.netns, 'link', 'set', 'mg0', up ? 'up' : 'down']);
    },
    async vipHolders(lbId, vip, last) {
      const out: string[] = [];
      for (const h of [...hosts.filter((x) => x.agentId !== last), ...hosts.filter((x) => x.agentId === last)]) {
        const up = await sh('ip', ['-j', 'link', 'show', h.uplink]).then((s) => JSON.parse(s)[0]?.operstate === 'UP').catch(() => false);
        if (!up) continue;
        // Address and hold table read in ONE command inside the namespace: read apart, a copy removed between the two
        // reads (or an nft that failed under load) looked like a copy without a hold table, i.e. a false second holder.
        const seen = await inHost(h, 'ip', ['netns', 'exec', `qlbaas-${lbId}`, 'sh', '-c',
          'ip -j addr show dev vip0 && echo @@ && nft list tables arp && echo @@ && { nft list set arp lbaas_hold released 2>/dev/null || true; }']).catch(() => null);
        const [addrJson, tables, released] = seen?.split('@@\n') ?? [];
        if (released === undefined) continue; // no namespace, no vip0, or nft failed: this host holds nothing we can see
        const a = (JSON.parse(addrJson || '[]') as { flags?: string[]; addr_info?: { local: string }[] }[])[0];
        if (!(a?.flags?.includes('UP') && a.addr_info?.some((i) => i.local === vip))) continue;
        // A copy that holds the VIP back (a planned move's new copy before, or its old copy after, the hand-over) has
        // the address but answers no ARP for it: its nftables arp table drops those requests until the VIP is in the
        // table's `released` set.
        if (!tables.includes('lbaas_hold') || /elements = \{[^}]*\b\d/.test(released)) out.push(h.agentId);
      }
      return out;
    },
    async arpResponders(ip) {
      // arping exits 1 when fewer replies than probes came back: read stdout either way.
      const out = await new Promise<string>((res) => execFile('ip', ['netns', 'exec', clientNs, 'arping', '-b', '-c', '2', '-w', '1', '-I', 'eth0', ip], (_e, stdout) => res(String(stdout))));
      return [...new Set([...out.matchAll(/\[([0-9A-Fa-f:]{17})\]/g)].map((m) => m[1].toLowerCase()))];
    },
    async clientNeighbour(ip) {
      const n = JSON.parse(await sh('ip', ['-n', clientNs, '-j', 'neigh', 'show', ip]) || '[]') as { lladdr?: string }[];
      return n[0]?.lladdr?.toLowerCase() ?? null;
    },
    async vipMac(h, lbId) {
      const l = JSON.parse(await inHost(h, 'ip', ['-j', '-n', `qlbaas-${lbId}`, 'link', 'show', 'vip0']).catch(() => '[]') || '[]') as { address?: string }[];
      return l[0]?.address?.toLowerCase() ?? null;
    },
    async stop() {
      for (const h of hosts) await h.agent?.stop();
      for (const h of hosts) {
        await run(nsenter(h)[0], [...nsenter(h).slice(1), process.execPath, entry('agent'), '--cleanup'], { env: { ...process.env, ...common, ...agentEnv(h) } }).catch(() => undefined);
        killPids(hostPids(h));
      }
      for (const [, p] of procs) await p.stop();
      await nats.stop();
      for (const s of servers) await s.stop();
      for (const h of hosts) {
        await sh('umount', [h.mnt]).catch(() => undefined);
        await removeNetns(h.netns);
        await removeLinks(h.uplink, h.mgmt);
      }
      await sh('umount', [mntDir]).catch(() => undefined);
      rmSync(mntDir, { recursive: true, force: true });
      await removeNetns(clientNs, ...webNs);
      await removeLinks(...rootLinks, seg, mgbr);
      if (!process.env.KEEP_E2E_LOGS) rmSync(home, { recursive: true, force: true });
      else console.log(`logs kept in ${home}`);
    },
  };
  try {
    await startApp('api', 'api', { API_HOST: '127.0.0.1', API_PORT: String(apiPort), DEFAULT_PROJECT_ID: 'e2e-project', AUTH_STRATEGY: 'noauth' });
    await startApp('scheduler', 'scheduler', {});
    await startApp('failover-watcher', 'failover-watcher', {});
    for (const h of hosts) await lab.startAgent(h);
  } catch (err) {
    await lab.stop().catch(() => undefined);
    throw err;
  }
  return lab;
}

/**
 * A prober in the client namespace: starts a GET every `intervalMs` (fresh connection, `timeoutMs`), concurrently,
 * and records [startMs, endMs, ok, backend] for every request; `stop()` returns them.
 */
export type Probe = { start: number; end: number; ok: boolean; body: string };
const PROBER = `
const http = require('node:http');
const [url, interval, timeout] = process.argv.slice(1).map((v, i) => (i ? Number(v) : v));
const out = [];
let stopping = false;
const tick = setInterval(() => {
  const start = Date.now(); let done = false;
  const fin = (ok, body) => { if (done) return; done = true; out.push([start, Date.now(), ok, body]); };
  const req = http.get(url, { timeout, agent: false }, (res) => {
    let b = ''; res.on('data', (d) => (b += d)); res.on('end', () => fin(res.statusCode === 200, b.split(' ')[0]));
  });
  req.on('timeout', () => { req.destroy(); fin(false, 'timeout'); });
  req.on('error', (e) => fin(false, e.code || e.message));
}, interval);
process.on('SIGTERM', () => { clearInterval(tick); setTimeout(() => { process.stdout.write(JSON.stringify(out)); process.exit(0); }, timeout + 50); });`;

const probers = new Set<{ stop(): Promise<Probe[]> }>();
/** Stops every prober still running (afterAll: a failed test must not leave one behind). */
export async function stopProbers(): Promise<void> {
  for (const p of [...probers]) await p.stop().catch(() => undefined);
}

export function startProber(netns: string, url: string, intervalMs = 50, timeoutMs = 500): { stop(): Promise<Probe[]> } {
  const child = execFile('ip', ['netns', 'exec', netns, process.execPath, '-e', PROBER, url, String(intervalMs), String(timeoutMs)], { maxBuffer: 64 << 20 });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  // 'close', not 'exit': under load the exit can come before the last chunk of the report was read.
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  const handle = {
    async stop() {
      probers.delete(handle);
      await sleep(10);
      child.kill('SIGTERM');
      await exited;
      return (JSON.parse(out || '[]') as [number, number, boolean, string][]).map(([start, end, ok, body]) => ({ start, end, ok, body }));
    },
  };
  probers.add(handle);
  return handle;
}

/** Outage after `t0`: from t0 to the first good answer that came after the last failed request (0 if none failed). */
export function outageAfter(probes: Probe[], t0: number): { ms: number; failed: number } {
  const after = probes.filter((p) => p.start >= t0 - 600);
  const failures = after.filter((p) => !p.ok);
  if (failures.length === 0) return { ms: 0, failed: 0 };
  const lastFail = Math.max(...failures.map((p) => p.start));
  const good = after.filter((p) => p.ok && p.start > lastFail).sort((a, b) => a.end - b.end)[0];
  return { ms: good ? good.end - t0 : Infinity, failed: failures.length };
}

/** The ids of a load balancer built by servedLoadBalancer. */
export type ServedLb = { subnet: string; lb: string; vip: string; pool: string };

/**
 * On the lab's provider network: a network and subnet (gateway .1, VIPs from .50), a load balancer with an HTTP
 * listener on :80 and a round-robin pool of web1 and web2 (:8080), each step waited ACTIVE.
 */
export async function servedLoadBalancer(
  api: { post(path: string, body: unknown): Promise<{ body: any }> }, lab: HostsLab, name: string, waitActive: (lbId: string) => Promise<unknown>,
  /** More fields of the load balancer's create body (e.g. `flavor_id`). */
  lbExtra: Record<string, unknown> = {},
): Promise<ServedLb> {
  const net = await api.post('/v2.0/networks', { network: { name: `${name}-${lab.id}`, 'provider:physical_network': lab.physnet, 'provider:network_type': 'flat' } });
  const sub = await api.post('/v2.0/subnets', {
    subnet: { network_id: net.body.network.id, ip_version: 4, cidr: `${lab.prefix}.0/24`, gateway_ip: `${lab.prefix}.1`, allocation_pools: [{ start: `${lab.prefix}.50`, end: `${lab.prefix}.60` }] },
  });
  const lb = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: sub.body.subnet.id, ...lbExtra } })).body.loadbalancer;
  await waitActive(lb.id);
  const lis = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
  await waitActive(lb.id);
  const pool = await api.post('/v2/lbaas/pools', { pool: { listener_id: lis.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
  await waitActive(lb.id);
  for (const n of [11, 12]) {
    await api.post(`/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: `${lab.prefix}.${n}`, protocol_port: 8080 } });
    await waitActive(lb.id);
  }
  return { subnet: sub.body.subnet.id, lb: lb.id, vip: lb.vip_address, pool: pool.body.pool.id };
}
