/**
 * Scale benchmark (issue 11): what thousands of load balancers and members cost, and whether load harms anybody else.
 *   - reports: a 2,000-member LB with 20,000 member status changes in its history (the layout before issue 11): what one
 *     report costs on the old path (read and fold the LB's history) and on the new one (the agent's own report subjects,
 *     its decider state in memory; the scheduler's relay of applied reports on its in-memory LB states); and what a member
 *     that flaps many times adds to the store
 *   - batch: a 5,000-member `PUT /pools/{id}/members` (answer, ACTIVE, every server in haproxy), an update of all of them,
 *     half of them deleted, and a body over the limit (413)
 *   - burst: N fully populated LBs (listener, pool, 2 members, health monitor each, one graph create per LB) created by
 *     16 clients at once on the embedded stack (2 agents, every app with its own NATS identity), while a serving canary LB
 *     of another project is probed every 50 ms and its API read every 200 ms: time to create, to all ACTIVE, API
 *     latency, canary failures, lease lapses, every app's peak memory (RSS) and CPU seconds (with its waited-for helper
 *     processes: the load-independent cost), the agents' step timings (queued, CreateNetns, PlugVip, StartHaproxy, from
 *     their logs) and the load average. `--stress N` runs `stress-ng --cpu N` meanwhile. The burst's LBs check their own
 *     backend (web3), not the canary's.
 *   - tenants: project B's LB serves (probed) and is changed now and then (member weight, waited ACTIVE), and B creates a
 *     new LB, while project A creates LBs as fast as 32 clients can and its members flap (a backend whose health check
 *     fails every other second): B's traffic, API latency, time to apply (per stage: the API's answer, B's agent's report,
 *     relay and view) and its new LB's time to ACTIVE with its timeline (each app's first log line naming it: the api's
 *     answer, the placement decided, the build, the report), quiet and during A's storm; a change that does not get through in
 *     120 s writes every log line naming B's LB to /tmp
 *   - memory: the api (and scheduler) with 10,000 LBs / 100,000 members in the store (written directly by the deciders,
 *     then the apps replay them): RSS after the replay and after listing everything
 * Everything runs for real (nats-server, every app as a process, haproxy in namespaces). Needs root for all but
 * `reports` and `memory`; `--stress` needs stress-ng (`bash scripts/install.sh --bench`). Taking over 100 LBs (restart
 * without adoption, and failover to another agent) is bench/failover.ts's `takeover` (`node bench/run.js bench/failover.ts 1 100`).
 *   sudo node bench/run.js bench/scale.ts [sections=reports,batch,burst,tenants,memory] [--lbs 1000] [--members 5000]
 *       [--stress 8] [--timeout 300] [--memory-lbs 10000] [--control-nice -5]
 * Prints the figures and writes bench/reports/scale-<time>.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { cpus, loadavg, setPriority } from 'node:os';
import { join, resolve } from 'node:path';
import {
  bootstrapNats, canUseNetns, createBridge, createNetnsOnBridge, freePort, netnsRunId, removeLinks, removeNetns,
  startAppProcess, startHttpServer, startNatsServer, type NetnsProcess,
} from '@lbaas/testing';
import { apiClient, startStack, type Stack } from '../test/support/stack';
import { startProber, type Probe } from '../test/support/hosts';
import * as reportsBench from './scale-reports';
import { summarize } from './stats';

const argv = process.argv.slice(2);
const flag = (name: string, dflt: number) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};
const sections = new Set((argv.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'reports,batch,burst,tenants,memory').split(','));
const LBS = flag('lbs', 1000);
const MEMBERS = flag('members', 5000);
const STRESS = flag('stress', 0);
const TIMEOUT_S = flag('timeout', 300);
/** The nice value of nats-server and the api: -5 as `lbaasctl up` starts them (`--control-nice 0`: the agents' own). */
const CONTROL_NICE = flag('control-nice', -5);
const MEMORY_LBS = flag('memory-lbs', 10_000);
const ROOT = resolve(__dirname, '..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (m: string) => process.stdout.write(`[scale] ${m}\n`);
const pct = (xs: readonly number[], p: number) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] * 10) / 10;
};
const latency = (xs: readonly number[]) => ({ n: xs.length, p50: pct(xs, 0.5), p95: pct(xs, 0.95), p99: pct(xs, 0.99), max: pct(xs, 1) });

// ---- memory of processes

/** VmRSS and VmHWM (peak) of a process in MB, or null when it is gone. */
function rssOf(pid: number | undefined): { rss: number; peak: number } | null {
  if (!pid) return null;
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
    return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
  } catch {
    return null;
  }
}
/** CPU seconds a process used (its own, and its waited-for children's: `ip`, `nsenter`, `haproxy -c`), or null. */
function cpuOf(pid: number | undefined): { self: number; children: number } | null {
  if (!pid) return null;
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const tick = (i: number) => Number(f[i - 3]) / 100; // fields 14-17 (utime, stime, cutime, cstime), after "pid (comm)"
    return { self: Math.round((tick(14) + tick(15)) * 10) / 10, children: Math.round((tick(16) + tick(17)) * 10) / 10 };
  } catch {
    return null;
  }
}
/** Every app's CPU seconds now. */
const cpuOfStack = (stack: Stack) => Object.fromEntries([...stack.procs].map(([n, p]) => [n, cpuOf(p.pid)]));
const cpuSince = (before: Record<string, { self: number; children: number } | null>, after: Record<string, { self: number; children: number } | null>) =>
  Object.fromEntries(Object.entries(after).map(([n, a]) => [n, a && before[n]
    ? { self: Math.round((a.self - (before[n]?.self ?? 0)) * 10) / 10, children: Math.round((a.children - (before[n]?.children ?? 0)) * 10) / 10 } : null]));

/**
 * Where the agents' time went (their `converged` log lines: each LB's run, step by step): per step, how many runs had
 * it, its median and p95 and the sum of its ms; when the first and last LB converged and was reported (s after `t0`).
 */
function agentStages(stack: Stack, t0: number) {
  const steps: Record<string, number[]> = {};
  let firstConverged = Infinity;
  let lastConverged = 0;
  let lastReported = 0;
  let runs = 0;
  for (const id of stack.agentIds) {
    for (const line of stack.log(id).split('\n')) {
      if (!line.includes('"op":"reconcile"') && !line.includes('"op":"report"')) continue;
      let j: { op: string; msg?: string; time: string; steps_ms?: Record<string, number>; ms?: number };
      try { j = JSON.parse(line); } catch { continue; }
      const at = Date.parse(j.time);
      if (at < t0) continue;
      if (j.op === 'report') { lastReported = Math.max(lastReported, at); continue; }
      if (j.msg !== 'converged' || !j.steps_ms) continue;
      runs++;
      firstConverged = Math.min(firstConverged, at);
      lastConverged = Math.max(lastConverged, at);
      for (const [k, v] of Object.entries({ ...j.steps_ms, run: j.ms ?? 0 })) if (k !== 'announcedAt') (steps[k] ??= []).push(v);
    }
  }
  const s = (t: number) => (Number.isFinite(t) && t > 0 ? Math.round((t - t0) / 100) / 10 : null);
  return {
    runs, firstConvergedS: s(firstConverged), lastConvergedS: s(lastConverged), lastReportedS: s(lastReported),
    stepsMs: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, { n: v.length, p50: pct(v, 0.5), p95: pct(v, 0.95), sumS: Math.round(v.reduce((a, b) => a + b, 0) / 100) / 10 }])),
  };
}
/** Memory the machine uses (MemTotal - MemAvailable), MB. */
function machineUsedMb(): number {
  const m = readFileSync('/proc/meminfo', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(m)?.[1] ?? 0);
  return Math.round((kb('MemTotal') - kb('MemAvailable')) / 1024);
}
/** Samples every app's RSS (and the machine's) every 500 ms; `stop()` gives the peaks in MB. */
function memorySampler(pids: () => Record<string, number | undefined>) {
  const peak: Record<string, number> = {};
  const base = machineUsedMb();
  let machine = base;
  const t = setInterval(() => {
    for (const [name, pid] of Object.entries(pids())) {
      const r = rssOf(pid);
      if (r) peak[name] = Math.max(peak[name] ?? 0, r.rss, r.peak);
    }
    machine = Math.max(machine, machineUsedMb());
  }, 500);
  return { stop: () => { clearInterval(t); return { appsPeakRssMb: peak, machinePeakUsedMb: machine, machineUsedBeforeMb: base }; } };
}
/** The pid of every app of a stack. */
const stackPids = (stack: Stack) => () => Object.fromEntries([...stack.procs].map(([n, p]) => [n, p.pid]));

// ---- the lab: a bridge with two backends and a client, the stack on it

type Lab = {
  id: string; prefix: string; bridge: string; physnet: string; stack: Stack;
  ns: { web1: string; web2: string; web3: string; cli: string };
  backends: NetnsProcess[];
  flapper: ChildProcess | null;
  stop(): Promise<void>;
};

/** A backend on :8080-8089 whose /health answers 200 and 503 in turns of `periodMs` (members that flap). */
const FLAPPER = `
const http = require('node:http');
const period = Number(process.argv[1]);
let n = 0;
for (let port = 8080; port < 8090; port++) {
  http.createServer((req, res) => {
    const up = Math.floor(Date.now() / period) % 2 === 0;
    res.statusCode = req.url.startsWith('/health') && !up ? 503 : 200;
    res.end('web3\\n');
  }).listen(port, '0.0.0.0', () => { if (++n === 10) console.log('listening'); });
}`;

async function startLab(opts: { agents?: number; env?: Record<string, string> } = {}): Promise<Lab> {
  const id = netnsRunId();
  // A /16 for the VIPs of a thousand LBs; backends and client in the first /24.
  const prefix = `10.${100 + (parseInt(id.slice(0, 2), 16) % 100)}`;
  const bridge = `brs${id}`;
  const physnet = `physnet-${id}`;
  const ns = { web1: `scale-${id}-w1`, web2: `scale-${id}-w2`, web3: `scale-${id}-w3`, cli: `scale-${id}-cli` };
  const links = [`s1${id}`, `s2${id}`, `s3${id}`, `sc${id}`];
  await createBridge(bridge);
  await createNetnsOnBridge({ netns: ns.web1, bridge, hostIf: links[0], cidr: `${prefix}.0.11/16` });
  await createNetnsOnBridge({ netns: ns.web2, bridge, hostIf: links[1], cidr: `${prefix}.0.12/16` });
  await createNetnsOnBridge({ netns: ns.web3, bridge, hostIf: links[2], cidr: `${prefix}.0.13/16` });
  await createNetnsOnBridge({ netns: ns.cli, bridge, hostIf: links[3], cidr: `${prefix}.0.2/16` });
  const backends = [await startHttpServer(ns.web1, 'web1', 8080), await startHttpServer(ns.web2, 'web2', 8080)];
  const flapper = spawn('ip', ['netns', 'exec', ns.web3, process.execPath, '-e', FLAPPER, '1000'], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((r) => flapper.stdout?.once('data', () => r()));
  log(`lab ${id}: bridge ${bridge}, backends up; starting the stack (nats-server, api, scheduler, failover-watcher, ${opts.agents ?? 2} agents)`);
  const stack = await startStack({
    runId: id, physicalNetwork: physnet, bridge, agents: opts.agents ?? 2, identities: { tls: false },
    // BENCH_NODE_OPTIONS (e.g. `--require <a profiler>`; node refuses --cpu-prof there) goes to every app of the stack.
    env: { LOG_LEVEL: 'info', ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}), ...opts.env },
  }).catch(async (err: unknown) => {
    // No stack: the lab's own namespaces, bridge and backends go now (nothing else would remove them).
    for (const b of backends) await b.stop();
    flapper.kill();
    await removeNetns(...Object.values(ns));
    await removeLinks(...links, bridge);
    throw err;
  });
  // The control plane's priority, as `lbaasctl up` gives it (docs/scale.md): nats-server and the api above the agents.
  if (CONTROL_NICE !== 0) {
    for (const pid of [stack.nats.pid, stack.procs.get('api')?.pid]) if (pid) setPriority(pid, CONTROL_NICE);
    log(`nats-server and api at nice ${CONTROL_NICE}`);
  }
  let stopped: Promise<void> | undefined;
  const lab: Lab = {
    id, prefix, bridge, physnet, stack, ns, backends, flapper,
    stop: () => (stopped ??= (async () => {
      await stack.stop().catch((err: unknown) => log(`stack stop: ${String(err)}`));
      for (const b of backends) await b.stop();
      flapper.kill();
      await removeNetns(...Object.values(ns));
      await removeLinks(...links, bridge);
    })()),
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void lab.stop().finally(() => process.exit(130)));
  return lab;
}

/** A network and a /16 subnet on the lab's segment for `project` (shared, so every project may use it). */
async function labSubnet(lab: Lab, api: ReturnType<typeof apiClient>): Promise<string> {
  const net = await api.post('/v2.0/networks', { network: { name: `scale-${lab.id}`, shared: true, 'provider:physical_network': lab.physnet } });
  if (net.status !== 201) throw new Error(`network: ${net.status} ${JSON.stringify(net.body)}`);
  const sub = await api.post('/v2.0/subnets', {
    subnet: {
      network_id: net.body.network.id, cidr: `${lab.prefix}.0.0/16`, gateway_ip: `${lab.prefix}.0.1`, ip_version: 4,
      allocation_pools: [{ start: `${lab.prefix}.1.0`, end: `${lab.prefix}.250.250` }],
    },
  });
  if (sub.status !== 201) throw new Error(`subnet: ${sub.status} ${JSON.stringify(sub.body)}`);
  return sub.body.subnet.id;
}

/** A graph create body: an HTTP listener, a round-robin pool with `members` (`address` or `address:port`, port 8080 by default), an HTTP health monitor. */
function graphBody(subnet: string, name: string, members: string[], monitor: Record<string, unknown> = {}) {
  return {
    loadbalancer: {
      name, vip_subnet_id: subnet,
      listeners: [{
        name: `${name}-l`, protocol: 'HTTP', protocol_port: 80,
        default_pool: {
          name: `${name}-p`, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
          members: members.map((m) => ({ address: m.split(':')[0], protocol_port: Number(m.split(':')[1] ?? 8080) })),
          healthmonitor: { type: 'HTTP', delay: 2, timeout: 1, max_retries: 2, url_path: '/', ...monitor },
        },
      }],
    },
  };
}

/** The api client for `project`, timing every call into `samples`. */
function timedApi(url: string, project: string, samples: number[]) {
  const api = apiClient(url, { 'x-project-id': project });
  const timed = async <T>(f: () => Promise<T>) => {
    const t0 = performance.now();
    try { return await f(); } finally { samples.push(performance.now() - t0); }
  };
  return {
    ...api,
    get: (p: string) => timed(() => api.get(p)),
    post: (p: string, b: unknown) => timed(() => api.post(p, b)),
    put: (p: string, b: unknown) => timed(() => api.put(p, b)),
  };
}

/** How many LBs of `project` are in each provisioning status (one list call). */
async function statusCounts(api: ReturnType<typeof apiClient>): Promise<Record<string, number>> {
  const r = await api.get('/v2/lbaas/loadbalancers?fields=id&fields=provisioning_status');
  const out: Record<string, number> = {};
  for (const lb of (r.body?.loadbalancers ?? []) as { provisioning_status: string }[]) out[lb.provisioning_status] = (out[lb.provisioning_status] ?? 0) + 1;
  return out;
}

/** Lease lapses and returns the agents logged. */
function leaseEvents(stack: Stack): { lapses: number; returns: number } {
  let lapses = 0;
  let returns = 0;
  for (const id of stack.agentIds) {
    const text = stack.log(id);
    lapses += (text.match(/lease lapsed/g) ?? []).length;
    returns += (text.match(/NATS is back/g) ?? []).length;
  }
  return { lapses, returns };
}

/**
 * Where one LB's time went, from every app's log lines that name it: for each app and message, the first time it was
 * logged, in ms after `t0` (the create was sent), in order (e.g. the api's commit, the scheduler's placement decided,
 * the agent's build and report, the relay into the LB's history).
 */
function lbTimeline(stack: Stack, lbId: string, t0: number): Array<{ ms: number; app: string; msg: string }> {
  const seen = new Map<string, number>();
  for (const name of stack.procs.keys()) {
    for (const line of stack.log(name).split('\n')) {
      if (!line.includes(lbId)) continue;
      try {
        const l = JSON.parse(line) as { time?: string; msg?: string; op?: string };
        const key = `${name}\u0000${l.op ?? ''} ${l.msg ?? ''}`.trim();
        const at = Date.parse(l.time ?? '');
        if (Number.isFinite(at) && !seen.has(key)) seen.set(key, at - t0);
      } catch { /* not a log line */ }
    }
  }
  return [...seen].map(([k, ms]) => { const [app, msg] = k.split('\u0000'); return { ms, app, msg: msg.slice(0, 120) }; }).sort((a, b) => a.ms - b.ms);
}

/**
 * The api's own time for each create (its `request` log lines: from the request's first byte to the reply's last), so
 * a report tells the api's latency from what the bench's clients add (they wait for the same CPU).
 */
function apiServerCreateMs(stack: Stack): number[] {
  const out: number[] = [];
  for (const line of stack.log('api').split('\n')) {
    if (!line.includes('"op":"http"') || !line.includes('"method":"POST"')) continue;
    try {
      const l = JSON.parse(line) as { path?: string; status?: number; ms?: number };
      if (l.path === '/v2/lbaas/loadbalancers' && l.status === 201 && typeof l.ms === 'number') out.push(l.ms);
    } catch { /* not a log line */ }
  }
  return out;
}

/** A serving LB of project `canary` (web1 + web2) and its probers: traffic every 50 ms, its API every 200 ms. */
async function canary(lab: Lab, subnet: string, samples: number[]) {
  const api = timedApi(lab.stack.apiUrl, 'canary', samples);
  const c = await api.post('/v2/lbaas/loadbalancers', graphBody(subnet, 'canary', [`${lab.prefix}.0.11`, `${lab.prefix}.0.12`]));
  if (c.status !== 201) throw new Error(`canary: ${c.status} ${JSON.stringify(c.body)}`);
  const lb = c.body.loadbalancer;
  await api.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 60_000);
  await api.waitFor(`/v2/lbaas/loadbalancers/${lb.id}/status`, (b) => JSON.stringify(b).split('"ONLINE"').length > 4, 30_000).catch(() => undefined);
  let reading = true;
  let readErrors = 0;
  const reads = (async () => {
    while (reading) {
      await api.get(`/v2/lbaas/loadbalancers/${lb.id}`).catch(() => { readErrors++; });
      await sleep(200);
    }
  })();
  const prober = startProber(lab.ns.cli, `http://${lb.vip_address}/`, 50, 1000);
  return {
    lb, api,
    async stop(): Promise<{ requests: number; failed: number; failures: Probe[]; apiReadErrors: number }> {
      reading = false;
      await reads;
      const probes = await prober.stop();
      const failures = probes.filter((p) => !p.ok);
      return { requests: probes.length, failed: failures.length, failures: failures.slice(0, 20), apiReadErrors: readErrors };
    },
  };
}

/** Runs `work` over `items` with `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => { for (let i = next++; i < items.length; i = next++) await work(items[i], i); }));
}

// ---- burst

async function burst(): Promise<Record<string, unknown>> {
  const lab = await startLab();
  // The bench's clients and probers stand for tenants on other machines: they run at the control plane's priority, so
  // that their own wait for this host's CPU is not counted as the api's or the canary's (the stack and the backends were
  // started before, at 0; the report has the api's own time per create too). stress-ng runs at 0.
  if (CONTROL_NICE !== 0) setPriority(CONTROL_NICE);
  const stressor = STRESS > 0
    ? spawn('nice', ['-n', String(-CONTROL_NICE), 'stress-ng', '--cpu', String(STRESS), '--timeout', `${TIMEOUT_S + 120}s`], { stdio: 'ignore' }) : null;
  try {
    const admin = apiClient(lab.stack.apiUrl, { 'x-project-id': 'admin' });
    const subnet = await labSubnet(lab, admin);
    const canaryApi: number[] = [];
    const can = await canary(lab, subnet, canaryApi);
    log(`canary ${can.lb.id} serves; ${stressor ? `stress-ng --cpu ${STRESS} running; ` : ''}creating ${LBS} LBs with 16 clients`);
    const mem = memorySampler(stackPids(lab.stack));
    const cpuBefore = cpuOfStack(lab.stack);
    // The backends' own CPU (the burst's members on web3, the canary's web1): work on the 2 cores that is not the system's.
    const backendPids = () => ({ members: lab.flapper?.pid, canaryWeb1: lab.backends[0]?.child.pid });
    const backendsBefore = Object.fromEntries(Object.entries(backendPids()).map(([n, pid]) => [n, cpuOf(pid)]));
    const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
    const createMs: number[] = [];
    const api = timedApi(lab.stack.apiUrl, 'bench', createMs);
    const failures: string[] = [];
    const t0 = Date.now();
    await inParallel(Array.from({ length: LBS }, (_, i) => i), 16, async (i) => {
      // The burst's members are on web3 (its own backend): the canary's web1 and web2 would otherwise get the health
      // checks of a thousand LBs (~1,000 requests/s), which measures those two small servers, not the load balancers.
      const r = await api.post('/v2/lbaas/loadbalancers', graphBody(subnet, `b${i}`, [`${lab.prefix}.0.13:8082`, `${lab.prefix}.0.13:8083`]));
      if (r.status !== 201) failures.push(`${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    });
    const createdS = (Date.now() - t0) / 1000;
    log(`${LBS - failures.length} created in ${createdS.toFixed(1)} s (${failures.length} refused); waiting for ACTIVE`);
    const plain = apiClient(lab.stack.apiUrl, { 'x-project-id': 'bench' });
    let counts: Record<string, number> = {};
    let activeS: number | null = null;
    const progress: { s: number; counts: Record<string, number> }[] = [];
    while ((Date.now() - t0) / 1000 < TIMEOUT_S) {
      counts = await statusCounts(plain);
      const s = Math.round((Date.now() - t0) / 100) / 10;
      progress.push({ s, counts });
      if ((counts.ACTIVE ?? 0) >= LBS - failures.length) { activeS = s; break; }
      log(`${s} s: ${JSON.stringify(counts)}`);
      await sleep(1000);
    }
    log(activeS !== null ? `all ACTIVE after ${activeS} s` : `not all ACTIVE after ${TIMEOUT_S} s: ${JSON.stringify(counts)}`);
    const cpuSeconds = cpuSince(cpuBefore, cpuOfStack(lab.stack));
    const backendCpuSeconds = cpuSince(backendsBefore, Object.fromEntries(Object.entries(backendPids()).map(([n, pid]) => [n, cpuOf(pid)])));
    const stages = agentStages(lab.stack, t0);
    await sleep(3000);
    const traffic = await can.stop();
    const memory = mem.stop();
    const agentRss = Object.fromEntries(lab.stack.agentIds.map((a) => [a, rssOf(lab.stack.procs.get(a)?.pid)]));
    const out = {
      lbs: LBS, stress: STRESS, createdS, refused: failures.length, refusals: failures.slice(0, 5), allActiveS: activeS, finalCounts: counts,
      apiCreateMs: latency(createMs), apiCreateServerMs: latency(apiServerCreateMs(lab.stack)), canaryApiMs: latency(canaryApi), canaryTraffic: { requests: traffic.requests, failed: traffic.failed, failures: traffic.failures },
      lease: leaseEvents(lab.stack), memory, agentRssAfterMb: agentRss, cpuSeconds, backendCpuSeconds, stages, loadAverageBefore: loadBefore, loadAverage: loadavg().map((x) => Math.round(x * 100) / 100), progress: progress.filter((_, i) => i % 5 === 0 || i === progress.length - 1),
    };
    log(JSON.stringify({ ...out, progress: undefined }));
    return out;
  } finally {
    stressor?.kill();
    await lab.stop();
  }
}

// ---- batch

/** Sends `command` to the unix socket at `path` and returns haproxy's whole answer. */
function haproxySocket(path: string, command: string): Promise<string> {
  return new Promise((res, rej) => {
    const s = createConnection(path);
    let out = '';
    s.on('connect', () => s.end(`${command}\n`));
    s.on('data', (d) => { out += d.toString(); });
    s.on('end', () => res(out));
    s.on('error', rej);
  });
}

async function batch(): Promise<Record<string, unknown>> {
  const lab = await startLab();
  try {
    const api = apiClient(lab.stack.apiUrl, { 'x-project-id': 'bench' });
    const subnet = await labSubnet(lab, api);
    const created = await api.post('/v2/lbaas/loadbalancers', {
      loadbalancer: {
        name: 'batch', vip_subnet_id: subnet,
        listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'batch-p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }],
      },
    });
    if (created.status !== 201) throw new Error(`lb: ${created.status} ${JSON.stringify(created.body)}`);
    const lb = created.body.loadbalancer;
    const active = (ms = 120_000) => api.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
    await active();
    const pool = (await api.get(`/v2/lbaas/pools?loadbalancer_id=${lb.id}`)).body.pools[0].id as string;
    const host = (await api.get(`/v2.0/lbaas/loadbalancers/${lb.id}/loadbalancer-hosting-agent`)).body.agent.host.replace(/^host-/, '');
    const sock = join('/run/lbaas-e2e', host, lb.id, 's.sock');
    const servers = async () => (await haproxySocket(sock, `show servers state ${pool}`).catch(() => '')).split('\n').filter((l) => /^\d+ /.test(l));
    const addr = (i: number) => `10.${200 + Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`;
    const run = async (what: string, members: { address: string; protocol_port: number; weight?: number }[], reached: (lines: string[]) => boolean) => {
      const t0 = Date.now();
      const r = await api.put(`/v2/lbaas/pools/${pool}/members`, { members });
      const answeredMs = Date.now() - t0;
      let haproxyMs: number | null = null;
      for (;;) {
        if (reached(await servers())) { haproxyMs = Date.now() - t0; break; }
        if (Date.now() - t0 > 120_000) break;
        await sleep(50);
      }
      await active().catch(() => undefined);
      const activeMs = Date.now() - t0;
      const row = { what, status: r.status, answeredMs, haproxyMs, activeMs, body: r.status >= 300 ? r.body : undefined };
      log(JSON.stringify(row));
      return row;
    };
    const all = Array.from({ length: MEMBERS }, (_, i) => ({ address: addr(i), protocol_port: 8080 }));
    const rows = [];
    rows.push(await run(`create ${MEMBERS}`, all, (l) => l.length === MEMBERS));
    // Every member's weight changes (field 7 of `show servers state` is srv_uweight).
    rows.push(await run(`weight of ${MEMBERS}`, all.map((m) => ({ ...m, weight: 7 })), (l) => l.length === MEMBERS && l.every((x) => x.split(' ')[7] === '7')));
    rows.push(await run(`delete ${MEMBERS / 2}`, all.slice(0, MEMBERS / 2).map((m) => ({ ...m, weight: 7 })), (l) => l.length === MEMBERS / 2));
    // A body over the API's limit (API_BODY_LIMIT, 1 MiB by default): 413 in the API's error format, never a 500.
    const huge = Array.from({ length: 20_000 }, (_, i) => ({ address: addr(i), protocol_port: 8080, name: `member-${i}-${'x'.repeat(20)}` }));
    const tooLarge = await api.put(`/v2/lbaas/pools/${pool}/members`, { members: huge });
    log(`body over the limit: ${tooLarge.status} ${JSON.stringify(tooLarge.body)}`);
    return { members: MEMBERS, rows, bodyOverLimit: { status: tooLarge.status, body: tooLarge.body } };
  } finally {
    await lab.stop();
  }
}

// ---- tenants

async function tenants(): Promise<Record<string, unknown>> {
  const lab = await startLab();
  try {
    const admin = apiClient(lab.stack.apiUrl, { 'x-project-id': 'admin' });
    const subnet = await labSubnet(lab, admin);
    const bApi: number[] = [];
    const b = await canary(lab, subnet, bApi);
    const bMember = (await b.api.get(`/v2/lbaas/pools?loadbalancer_id=${b.lb.id}`)).body.pools[0];
    const members = (await b.api.get(`/v2/lbaas/pools/${bMember.id}/members`)).body.members as { id: string }[];
    /** One change of B's LB (a member's weight): when the API answered and when B's LB was ACTIVE again. */
    const applies: { phase: string; ms: number; answeredMs: number; at: number; notActiveAfter120s?: boolean }[] = [];
    /** Every log line of every app that names B's LB, to a file (what to look at when B's change does not get through). */
    const dumpLogs = (why: string) => {
      const file = `/tmp/scale-tenants-${lab.id}-${Date.now()}.log`;
      const lines = [...lab.stack.procs.keys()].flatMap((n) => lab.stack.log(n).split('\n').filter((l) => l.includes(b.lb.id) || /"level":(40|50)/.test(l)).map((l) => `${n} ${l}`));
      writeFileSync(file, `${why}\n${lines.join('\n')}\n`);
      log(`${why}: ${lines.length} log lines in ${file}`);
    };
    let weight = 1;
    const change = async (phase: string) => {
      const t0 = Date.now();
      weight = weight === 1 ? 2 : 1;
      await b.api.put(`/v2/lbaas/pools/${bMember.id}/members/${members[0].id}`, { member: { weight } });
      const answeredMs = Date.now() - t0;
      const ok = await b.api.waitFor(`/v2/lbaas/loadbalancers/${b.lb.id}`, (x) => x?.loadbalancer?.provisioning_status === 'ACTIVE', 120_000)
        .then(() => true, () => false);
      applies.push({ phase, ms: Date.now() - t0, answeredMs, at: t0, ...(ok ? {} : { notActiveAfter120s: true }) });
      if (!ok) dumpLogs(`B's change ${phase} not ACTIVE after 120 s`);
    };
    /** A new LB of B (graph create): how long until it is ACTIVE (it is built behind A's builds on the same agents). */
    const creates: { phase: string; ms: number; answeredMs: number; status: number; lbId?: string; at: number }[] = [];
    const createB = async (phase: string) => {
      const t0 = Date.now();
      const r = await b.api.post('/v2/lbaas/loadbalancers', graphBody(subnet, `b-${phase}-${creates.length}`, [`${lab.prefix}.0.11`]));
      const answeredMs = Date.now() - t0;
      if (r.status === 201) {
        await b.api.waitFor(`/v2/lbaas/loadbalancers/${r.body.loadbalancer.id}`, (x) => x?.loadbalancer?.provisioning_status === 'ACTIVE', 120_000).catch(() => undefined);
      }
      creates.push({ phase, ms: Date.now() - t0, answeredMs, status: r.status, lbId: r.body?.loadbalancer?.id, at: t0 });
    };
    // Quiet: 20 s of B alone.
    const quietFrom = bApi.length;
    for (let i = 0; i < 5; i++) { await change('quiet'); await sleep(3000); }
    await createB('quiet');
    const quietApi = bApi.slice(quietFrom);
    // Project A: 20 LBs whose 10 members each flap (the flapping backend's /health), then as many LBs as 32 clients create in 60 s.
    const aMs: number[] = [];
    const a = timedApi(lab.stack.apiUrl, 'tenant-a', aMs);
    const monitor = { delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/health' };
    const stormFrom = bApi.length;
    let storming = true;
    let aCreated = 0;
    let aRefused = 0;
    const storm = (async () => {
      for (let i = 0; i < 20; i++) {
        const body = graphBody(subnet, `flap${i}`, [], monitor);
        body.loadbalancer.listeners[0].default_pool.members = Array.from({ length: 10 }, (_, k) => ({ address: `${lab.prefix}.0.13`, protocol_port: 8080 + k }));
        await a.post('/v2/lbaas/loadbalancers', body);
      }
      const t0 = Date.now();
      await inParallel(Array.from({ length: 32 }, (_, i) => i), 32, async (c) => {
        for (let i = 0; storming && Date.now() - t0 < 60_000; i++) {
          const r = await a.post('/v2/lbaas/loadbalancers', graphBody(subnet, `a${c}-${i}`, [`${lab.prefix}.0.13:8080`, `${lab.prefix}.0.13:8081`], monitor))
            .catch(() => ({ status: 0 }));
          if (r.status === 201) aCreated++;
          else aRefused++;
        }
      });
    })();
    const stormT0 = Date.now();
    for (let i = 0; Date.now() - stormT0 < 60_000; i++) {
      await change('storm');
      if (i === 3 || i === 8) await createB('storm');
      await sleep(3000);
    }
    storming = false;
    await storm;
    const stormApi = bApi.slice(stormFrom);
    const traffic = await b.stop();
    const phase = (p: string) => summarize(applies.filter((x) => x.phase === p).map((x) => x.ms));
    // Where each change of B's spent its time: until B's agent reported it applied (its log), then until B saw ACTIVE
    // (the scheduler's relay of that report into B's history, and the api's view of it).
    const agentReports: number[] = [];
    for (const id of lab.stack.agentIds) {
      for (const line of lab.stack.log(id).split('\n')) {
        if (!line.includes(b.lb.id) || !line.includes('"op":"report"') || !line.includes('applied')) continue;
        try { agentReports.push(Date.parse((JSON.parse(line) as { time: string }).time)); } catch { /* not a JSON line */ }
      }
    }
    agentReports.sort((x, y) => x - y);
    const stages = applies.map((x) => {
      const reported = agentReports.find((t) => t >= x.at);
      return {
        phase: x.phase, answeredMs: x.answeredMs, totalMs: x.ms,
        toAgentReportMs: reported !== undefined ? reported - x.at : null, reportToActiveMs: reported !== undefined ? x.at + x.ms - reported : null,
      };
    });
    const statusReports = lab.stack.agentIds.reduce((n, id) => n + (lab.stack.log(id).match(/"op":"health"/g) ?? []).length, 0);
    const out = {
      bTraffic: { requests: traffic.requests, failed: traffic.failed, failures: traffic.failures },
      bApiMs: { quiet: latency(quietApi), storm: latency(stormApi) }, bApplyMs: { quiet: phase('quiet'), storm: phase('storm') },
      bChangeStages: stages,
      bNewLb: creates.map(({ lbId, at, ...c }) => ({ ...c, timeline: lbId ? lbTimeline(lab.stack, lbId, at) : [] })),
      aCreated, aRefused, aApiMs: latency(aMs), memberStatusReportsLogged: statusReports, lease: leaseEvents(lab.stack),
    };
    log(JSON.stringify(out));
    return out;
  } finally {
    await lab.stop();
  }
}

// ---- memory

async function memory(): Promise<Record<string, unknown>> {
  const nats = await startNatsServer();
  try {
    await bootstrapNats(nats.url);
    log(`writing ${MEMORY_LBS} LBs with 10 members each into the store`);
    const t0 = Date.now();
    const written = await reportsBench.fillFleet(nats.url, MEMORY_LBS, 10);
    log(`written in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(written)}`);
    const port = await freePort();
    const out: Record<string, unknown> = { lbs: MEMORY_LBS, members: MEMORY_LBS * 10, written };
    const api = await startAppProcess({
      name: 'api', command: [process.execPath, join(ROOT, 'apps/api/dist/main.js')], logFile: `/tmp/scale-memory-api-${port}.log`,
      env: { NATS_URL: nats.url, API_HOST: '127.0.0.1', API_PORT: String(port), AUTH_STRATEGY: 'noauth', DEFAULT_PROJECT_ID: 'mem', LOG_LEVEL: 'info' },
      startTimeoutMs: 600_000,
    });
    const sched = await startAppProcess({
      name: 'scheduler', command: [process.execPath, join(ROOT, 'apps/scheduler/dist/main.js')], logFile: `/tmp/scale-memory-scheduler-${port}.log`,
      env: { NATS_URL: nats.url, LOG_LEVEL: 'info' }, startTimeoutMs: 600_000,
    });
    try {
      const ready = Date.now();
      out.apiReadyS = (ready - t0) / 1000;
      await sleep(5000);
      global.gc?.();
      out.afterReplay = { api: rssOf(api.pid), scheduler: rssOf(sched.pid) };
      const client = apiClient(`http://127.0.0.1:${port}`, { 'x-project-id': 'mem' });
      const t1 = Date.now();
      const list = await client.get('/v2/lbaas/loadbalancers');
      const members = await client.get('/v2/lbaas/members?limit=1000');
      out.listMs = Date.now() - t1;
      out.listed = { loadbalancers: list.body?.loadbalancers?.length, status: list.status, membersStatus: members.status };
      out.afterList = { api: rssOf(api.pid), scheduler: rssOf(sched.pid) };
      log(JSON.stringify(out));
    } finally {
      await api.stop();
      await sched.stop();
    }
    return out;
  } finally {
    await nats.stop();
  }
}

async function main(): Promise<void> {
  const report: Record<string, unknown> = {
    benchmark: 'scale', at: new Date().toISOString(), args: argv, machine: { cpus: cpus().length, node: process.version },
    // The machine is shared: the load average before and after says how noisy the figures are.
    loadAverageBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  const needsRoot = ['batch', 'burst', 'tenants'].some((s) => sections.has(s));
  if (needsRoot && !canUseNetns()) throw new Error('needs root (network namespaces) for batch, burst and tenants');
  if (sections.has('reports')) report.reports = await reportsBench.reports(log);
  if (sections.has('batch')) report.batch = await batch();
  if (sections.has('burst')) report.burst = await burst();
  if (sections.has('tenants')) report.tenants = await tenants();
  if (sections.has('memory')) report.memory = await memory();
  report.loadAverageAfter = loadavg().map((x) => Math.round(x * 100) / 100);
  mkdirSync(join(__dirname, 'reports'), { recursive: true });
  const file = join(__dirname, 'reports', `scale-${String(report.at).replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(`report: ${file}`);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
