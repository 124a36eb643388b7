/**
 * Failover benchmark (issue 4), with the default settings (report 250 ms, lease 1750 ms, agent_down_time 2250 ms,
 * watcher tick 100 ms; before issue 14: 500 / 3000 / 3500 / 250):
 *   - failover outage: a host dies (agent and haproxy kill -9, links down) → the first good response through the VIP
 *     (client on the provider segment, a GET every 50 ms with a 500 ms timeout), over N runs
 *   - agent restart (kill -9 of the hosting agent, restarted at once): failed requests through the VIP, time until ready
 *   - taking over 100 load balancers (each with an HTTP listener): an agent whose host lost everything rebuilds them
 *     from replay (restart without adoption), and another agent takes them over when their host dies (failover);
 *     both timed until every VIP answers HTTP from the client
 * Everything runs for real (three hosts as network + mount namespaces, nats-server, every app as a process). Needs root.
 *   sudo node bench/run.js bench/failover.ts [runs=10] [lbs=100]
 * Prints the figures and writes bench/reports/failover-<time>.json.
 *
 * ACTIVE_STANDBY pairs (issue 14), the data plane alone (test/support/vrrp-pair.ts: two hosts, each with the LB's
 * namespace, a real haproxy and the agent's keepalived config and runner; no control plane):
 *   sudo node bench/run.js bench/failover.ts active-standby [deaths=10] [advert_ms=100] [quiet_s=30]
 * N host deaths of whichever side is master (link down, keepalived and haproxy SIGKILLed), each followed by the host
 * coming back as the new standby: outage through the VIP (a GET every 20 ms, 300 ms timeout), the VRRP takeover time
 * (the standby's MASTER notification), and ARP requests answered by two hosts (a raw ARP request every 20 ms); then
 * `quiet_s` seconds with nothing happening, counting VRRP transitions nobody caused (flaps of sub-second adverts on a
 * busy machine).
 * Writes bench/reports/failover-active-standby-<time>.json.
 *
 * ACTIVE_STANDBY through the whole stack (issue 14: api, scheduler, failover-watcher, an agent on each of three hosts):
 *   sudo node bench/run.js bench/failover.ts active-standby-stack [deaths=10]
 * One load balancer of an ACTIVE_STANDBY flavor; N deaths of the host of whichever side is VRRP master: outage through
 * the VIP (a GET every 20 ms, 300 ms timeout), the VRRP takeover (the standby's MASTER notification), the control plane's
 * promotion and new standby (amphora list: the old standby MASTER, a BACKUP on the third host), ARP requests answered by
 * two hosts; then the dead host comes back (its agent removes its stale copy) and is the spare for the next death.
 * Writes bench/reports/failover-active-standby-stack-<time>.json.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseNetns, netnsRunId } from '@lbaas/testing';
import { apiClient } from '../test/support/stack';
import { outageAfter, servedLoadBalancer, startHostsLab, startProber, stopProbers, type Host } from '../test/support/hosts';
import { startPairLab, watchArp, type PairSide } from '../test/support/vrrp-pair';
import { summarize } from './stats';

/**
 * Probes every VIP from `netns` (HTTP GET, any status is an answer: a listener without a pool answers 503) until each has
 * answered once; `at` resolves with the epoch ms when the last one first answered.
 */
const ALL_SERVING = `
const http = require('node:http');
const vips = JSON.parse(process.argv[1]);
const left = new Set(vips);
const one = (vip) => {
  if (!left.has(vip)) return;
  const req = http.get('http://' + vip + '/', { timeout: 300, agent: false }, (res) => {
    res.resume(); res.on('end', () => { left.delete(vip); if (left.size === 0) { console.log(Date.now()); process.exit(0); } });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => setTimeout(() => one(vip), 50));
};
console.log('ready');
for (const v of vips) one(v);
setInterval(() => console.log('left ' + left.size), 1000);`;
function allServing(netns: string, vips: string[]): { at: Promise<number>; done(): boolean; count(): number } {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', ALL_SERVING, JSON.stringify(vips)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let left = vips.length;
  let doneAt: number | null = null;
  const at = new Promise<number>((res, rej) => {
    child.stdout.on('data', (d: Buffer) => {
      for (const l of d.toString().split('\n')) {
        if (/^\d+$/.test(l)) { doneAt = Number(l); left = 0; res(doneAt); }
        const m = /^left (\d+)/.exec(l);
        if (m) left = Number(m[1]);
      }
    });
    child.on('exit', (code) => { if (doneAt === null) rej(new Error(`prober exited ${code}`)); });
  });
  at.catch(() => undefined);
  return { at, done: () => doneAt !== null, count: () => vips.length - left };
}

const runs = Number(process.argv[2] ?? 10);
const lbCount = Number(process.argv[3] ?? 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function activeStandby(deaths: number, advertIntMs: number, quietS: number): Promise<void> {
  if (!canUseNetns()) throw new Error('needs root (network namespaces)');
  const run = netnsRunId();
  const net = `10.234.${(parseInt(run, 16) % 200) + 20}`;
  const lab = await startPairLab({ run, net, advertIntMs });
  const [a, b] = lab.sides;
  const rows: Array<{ dead: string; outageMs: number; failed: number; takeoverMs: number; arpRequests: number; arpUnanswered: number; dual: number }> = [];
  let quiet = { seconds: quietS, transitions: 0, failedProbes: 0, probes: 0 };
  try {
    await lab.start(a, 'MASTER');
    await lab.start(b, 'BACKUP');
    const master = (): Promise<PairSide> => lab.waitFor('one MASTER', 5000, () => {
      const [ra, rb] = [lab.role(a), lab.role(b)];
      return ra === 'MASTER' && rb !== 'MASTER' ? a : rb === 'MASTER' && ra !== 'MASTER' ? b : null;
    });
    for (let i = 0; i < deaths; i++) {
      const dead = await master();
      const standby = dead === a ? b : a;
      await lab.waitFor('the standby BACKUP', 5000, () => (lab.role(standby) === 'BACKUP' ? true : null));
      const arp = await watchArp(lab.client, lab.vip, `${net}.99`);
      const probe = startProber(lab.client, `http://${lab.vip}/`, 20, 300);
      await sleep(600);
      const t0 = Date.now();
      await lab.killHost(dead);
      await lab.waitFor('the standby MASTER', 5000, () => (lab.role(standby) === 'MASTER' ? true : null));
      await sleep(1000);
      const o = outageAfter(await probe.stop(), t0);
      const seen = await arp.stop();
      const takeoverMs = (lab.transitions(standby).find((t) => t.role === 'MASTER' && t.at >= t0)?.at ?? NaN) - t0;
      rows.push({ dead: dead.name, outageMs: o.ms, failed: o.failed, takeoverMs, arpRequests: seen.requests, arpUnanswered: seen.requests - seen.replies, dual: seen.dual });
      console.log(`death ${i + 1}/${deaths} (${dead.name}): outage ${o.ms} ms (${o.failed} failed), takeover ${takeoverMs} ms, ARP ${seen.replies}/${seen.requests} answered, two answering ${seen.dual}`);
      // The host comes back and becomes the new standby (what the scheduler's re-placement does in the full system).
      await lab.reviveHost(dead);
      await lab.start(dead, 'BACKUP');
    }
    await master();
    await sleep(1000);
    const before = lab.transitions(a).length + lab.transitions(b).length;
    const probe = startProber(lab.client, `http://${lab.vip}/`, 50, 500);
    await sleep(quietS * 1000);
    const probes = await probe.stop();
    quiet = { seconds: quietS, transitions: lab.transitions(a).length + lab.transitions(b).length - before, failedProbes: probes.filter((p) => !p.ok).length, probes: probes.length };
    console.log(`quiet ${quietS} s: ${quiet.transitions} VRRP transitions, ${quiet.failedProbes} failed of ${quiet.probes} probes`);
  } finally {
    await stopProbers();
    await lab.stop();
  }
  const report = {
    at: new Date().toISOString(),
    mode: 'active-standby',
    settings: { advertIntMs, vrrp: 'VRRPv3 unicast, nopreempt, priorities 100/90, check every 1 s, keepalived 2.2.7', probeEveryMs: 20, probeTimeoutMs: 300 },
    deaths: rows.length,
    outageMs: summarize(rows.map((r) => r.outageMs)),
    takeoverMs: summarize(rows.map((r) => r.takeoverMs)),
    twoHostsAnsweringArp: rows.reduce((n, r) => n + r.dual, 0),
    quiet,
    rows,
  };
  console.log(JSON.stringify(report, null, 2));
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `failover-active-standby-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
}

async function activeStandbyStack(deaths: number): Promise<void> {
  if (!canUseNetns()) throw new Error('needs root (network namespaces)');
  const lab = await startHostsLab({ id: netnsRunId(), hosts: 3 });
  const api = apiClient(lab.apiUrl, { 'x-project-id': 'bench' });
  const rows: Array<{ dead: string; outageMs: number; failed: number; takeoverMs: number; promotedMs: number; dual: number; arpRequests: number }> = [];
  try {
    const profile = (await api.post('/v2/lbaas/flavorprofiles', {
      flavorprofile: { name: 'pair', provider_name: 'lbaas', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' },
    })).body.flavorprofile;
    const flavor = (await api.post('/v2/lbaas/flavors', { flavor: { name: 'pair', flavor_profile_id: profile.id } })).body.flavor;
    const active = (lb: string) => api.waitFor(`/v2/lbaas/loadbalancers/${lb}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 60_000);
    const { lb, vip } = await servedLoadBalancer(api, lab, 'pair', active, { flavor_id: flavor.id });
    const hostOf = (agentId: string) => lab.hosts.find((h) => h.agentId === agentId) as Host;
    const roles = async () => {
      const list = (await api.get(`/v2/octavia/amphorae?loadbalancer_id=${lb}`)).body.amphorae as { role: string; compute_id: string }[];
      const of = (role: string) => list.find((a) => a.role === role)?.compute_id.replace(/^host-/, '');
      return { master: of('MASTER'), backup: of('BACKUP') };
    };
    const file = (agentId: string, name: string) => {
      try { return readFileSync(join(hostOf(agentId).runDir, lb, name), 'utf8'); } catch { return ''; }
    };
    const until = async <T>(what: string, ms: number, probe: () => Promise<T | null> | T | null): Promise<T> => {
      const t0 = Date.now();
      for (;;) {
        const v = await probe();
        if (v !== null) return v;
        if (Date.now() - t0 > ms) throw new Error(`${what}: not within ${ms} ms`);
        await sleep(50);
      }
    };
    for (let i = 0; i < deaths; i++) {
      const pair = await until('a MASTER and a BACKUP in VRRP and in the API', 60_000, async () => {
        const r = await roles();
        return r.master && r.backup && file(r.master, 'vrrp.role').trim() === 'MASTER' && file(r.backup, 'vrrp.role').trim() === 'BACKUP'
          ? { master: r.master, backup: r.backup } : null;
      });
      const arp = await watchArp(lab.clientNs, vip, `${lab.prefix}.99`);
      const probe = startProber(lab.clientNs, `http://${vip}/`, 20, 300);
      await sleep(600);
      const t0 = Date.now();
      await lab.killHost(hostOf(pair.master));
      await until('promotion and a new standby', 60_000, async () => {
        const r = await roles();
        return r.master === pair.backup && r.backup && r.backup !== pair.master && file(r.backup, 'vrrp.role').trim() === 'BACKUP' ? true : null;
      });
      const promotedMs = Date.now() - t0;
      await sleep(1000);
      const o = outageAfter(await probe.stop(), t0);
      const seen = await arp.stop();
      const takeover = file(pair.backup, 'vrrp.log').split('\n').map((l) => l.split(' ')).find(([at, role]) => role === 'MASTER' && Number(at) >= t0);
      const takeoverMs = takeover ? Number(takeover[0]) - t0 : NaN;
      rows.push({ dead: pair.master, outageMs: o.ms, failed: o.failed, takeoverMs, promotedMs, dual: seen.dual, arpRequests: seen.requests });
      console.log(`death ${i + 1}/${deaths} (${pair.master}): outage ${o.ms} ms (${o.failed} failed), VRRP takeover ${takeoverMs} ms, promoted + new standby ${promotedMs} ms, two answering ARP ${seen.dual} of ${seen.requests}`);
      const dead = hostOf(pair.master);
      await lab.reviveHost(dead);
      await lab.startAgent(dead);
      await until('the returned host removes its stale copy', 30_000, async () => ((await lab.inHost(dead, 'ip', ['netns', 'list'])).includes(`qlbaas-${lb}`) ? null : true));
    }
  } finally {
    await stopProbers();
    await lab.stop();
  }
  const report = {
    at: new Date().toISOString(),
    mode: 'active-standby-stack',
    settings: { hosts: 3, advertIntMs: 100, probeEveryMs: 20, probeTimeoutMs: 300, apps: 'api, scheduler, failover-watcher, 3 agents (default lease and detection)' },
    deaths: rows.length,
    outageMs: summarize(rows.map((r) => r.outageMs)),
    takeoverMs: summarize(rows.map((r) => r.takeoverMs)),
    promotedAndNewStandbyMs: summarize(rows.map((r) => r.promotedMs)),
    twoHostsAnsweringArp: rows.reduce((n, r) => n + r.dual, 0),
    rows,
  };
  console.log(JSON.stringify(report, null, 2));
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `failover-active-standby-stack-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
}

async function main(): Promise<void> {
  if (process.argv[2] === 'active-standby-stack') return activeStandbyStack(Number(process.argv[3] ?? 10));
  if (process.argv[2] === 'active-standby') {
    return activeStandby(Number(process.argv[3] ?? 10), Number(process.argv[4] ?? 100), Number(process.argv[5] ?? 30));
  }
  if (!canUseNetns()) throw new Error('needs root (network namespaces)');
  const id = netnsRunId();
  const lab = await startHostsLab({ id, hosts: 3 });
  const api = apiClient(lab.apiUrl, { 'x-project-id': 'bench' });
  const outages: number[] = [];
  const restart: { failed: number; readyMs: number }[] = [];
  let rebuild: Record<string, number> = {};
  let takeover: Record<string, number> = {};
  try {
    const net = (await api.post('/v2.0/networks', { network: { name: 'bench', 'provider:physical_network': lab.physnet } })).body.network.id;
    const subnet = (await api.post('/v2.0/subnets', {
      subnet: { network_id: net, cidr: `${lab.prefix}.0/24`, gateway_ip: `${lab.prefix}.1`, ip_version: 4, allocation_pools: [{ start: `${lab.prefix}.20`, end: `${lab.prefix}.250` }] },
    })).body.subnet.id;
    const active = (lb: string, ms = 60_000) => api.waitFor(`/v2/lbaas/loadbalancers/${lb}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
    const lbr = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'f', vip_subnet_id: subnet } })).body.loadbalancer;
    await active(lbr.id);
    const lis = (await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lbr.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener.id;
    await active(lbr.id);
    const pool = (await api.post('/v2/lbaas/pools', { pool: { listener_id: lis, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool.id;
    await active(lbr.id);
    for (const n of [11, 12]) { await api.post(`/v2/lbaas/pools/${pool}/members`, { member: { address: `${lab.prefix}.${n}`, protocol_port: 8080 } }); await active(lbr.id); }
    const hosting = async (): Promise<Host> => {
      const h = (await api.get(`/v2.0/lbaas/loadbalancers/${lbr.id}/loadbalancer-hosting-agent`)).body.agent.host.replace(/^host-/, '');
      return lab.hosts.find((x) => x.agentId === h) as Host;
    };
    const url = `http://${lbr.vip_address}/`;

    // 1. Failover outage over `runs` host deaths.
    for (let i = 0; i < runs; i++) {
      const dead = await hosting();
      const probe = startProber(lab.clientNs, url);
      await sleep(500);
      const t0 = Date.now();
      await lab.killHost(dead);
      for (;;) { if ((await hosting()).agentId !== dead.agentId) break; await sleep(100); }
      await active(lbr.id);
      await sleep(1500);
      const o = outageAfter(await probe.stop(), t0);
      outages.push(o.ms);
      console.log(`run ${i + 1}/${runs}: outage ${o.ms} ms (${o.failed} failed probes)`);
      await lab.reviveHost(dead);
      await lab.startAgent(dead);
      for (let t = 0; t < 100; t++) { if (!(await lab.inHost(dead, 'ip', ['netns', 'list'])).includes(lbr.id)) break; await sleep(200); }
    }

    // 2. Agent restart (kill -9) under traffic.
    for (let i = 0; i < Math.min(5, runs); i++) {
      const on = await hosting();
      const probe = startProber(lab.clientNs, url, 20, 1000);
      await sleep(500);
      await lab.killAgent(on);
      const t0 = Date.now();
      await lab.startAgent(on);
      const readyMs = Date.now() - t0;
      await sleep(2000);
      const probes = await probe.stop();
      restart.push({ failed: probes.filter((p) => !p.ok).length, readyMs });
      console.log(`restart ${i + 1}: ${probes.filter((p) => !p.ok).length} failed of ${probes.length}, ready after ${readyMs} ms`);
    }

    // 3. Take over N LBs, each with an HTTP listener (no pool: haproxy answers 503, which is serving), two ways:
    //    (a) restart without adoption: the host lost everything (namespaces gone), its agent starts again and rebuilds;
    //    (b) failover: the host with N LBs dies and another agent builds all N.
    //    Timed until every VIP answers HTTP from the client (and, as before, until every VIP and haproxy is up on the host).
    const [target, second, third] = lab.hosts;
    for (const o of [second, third]) await api.put(`/v2.0/agents/${o.agentId}`, { agent: { admin_state_up: false } });
    for (;;) { if ((await hosting()).agentId === target.agentId) break; await sleep(200); }
    const lbs: { id: string; vip: string }[] = [];
    for (let i = 0; i < lbCount; i++) {
      const l = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `r${i}`, vip_subnet_id: subnet } })).body.loadbalancer;
      lbs.push({ id: l.id, vip: l.vip_address });
    }
    for (const lb of lbs) await active(lb.id, 300_000);
    for (const lb of lbs) await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } });
    for (const lb of lbs) await active(lb.id, 300_000);
    const vips = [lbr.vip_address, ...lbs.map((l) => l.vip)];
    console.log(`${vips.length} load balancers on ${target.agentId}, all ACTIVE`);
    const plumbed = async (h: Host) => {
      const n = (await lab.inHost(h, 'sh', ['-c', 'for n in $(ip netns list | cut -d" " -f1); do ip -n $n -br addr show dev vip0 2>/dev/null; done; true'])).split('\n').filter((l) => /UP\s+\d/.test(l)).length;
      const haproxies = Number((await lab.inHost(h, 'sh', ['-c', `ls ${h.runDir}/*/haproxy.pid 2>/dev/null | wc -l`])).trim());
      return Math.min(n, haproxies);
    };

    // (a) restart without adoption
    await lab.killHost(target);
    await lab.inHost(target, 'sh', ['-c', 'for n in $(ip netns list | cut -d" " -f1); do ip netns del $n; done']);
    await lab.reviveHost(target);
    let serving = allServing(lab.clientNs, vips);
    let t0 = Date.now();
    const agent = await lab.startAgent(target);
    const readyMs = Date.now() - t0;
    let hostMs = NaN;
    for (;;) {
      if (Number.isNaN(hostMs) && (await plumbed(target)) >= vips.length) hostMs = Date.now() - t0;
      if (serving.done()) break;
      if (Date.now() - t0 > 600_000) throw new Error(`rebuild incomplete: ${serving.count()} of ${vips.length} VIPs answer`);
      await sleep(100);
    }
    const servedMs = (await serving.at) - t0;
    if (Number.isNaN(hostMs)) hostMs = Date.now() - t0;
    const replayLine = agent.output().split('\n').find((l) => l.includes('"replay done"'));
    rebuild = { lbs: vips.length, replayMs: Number(/"ms":(\d+)/.exec(replayLine ?? '')?.[1] ?? NaN), readyMs, rebuiltMs: hostMs, allServingMs: servedMs };
    console.log(`restart without adoption, ${vips.length} LBs: replay ${rebuild.replayMs} ms, agent ready ${readyMs} ms, VIPs + haproxy up after ${hostMs} ms, every VIP answers after ${servedMs} ms`);

    // (b) failover of the host with N LBs to another agent
    await api.put(`/v2.0/agents/${second.agentId}`, { agent: { admin_state_up: true } });
    await sleep(1000);
    t0 = Date.now();
    await lab.killHost(target);
    serving = allServing(lab.clientNs, vips);
    let movedMs = NaN;
    for (;;) {
      if (Number.isNaN(movedMs) && (await hosting()).agentId === second.agentId) movedMs = Date.now() - t0;
      if (serving.done()) break;
      if (Date.now() - t0 > 600_000) throw new Error(`failover incomplete: ${serving.count()} of ${vips.length} VIPs answer`);
      await sleep(50);
    }
    const failoverMs = (await serving.at) - t0;
    takeover = { lbs: vips.length, fromKillMs: failoverMs, firstMovedSeenMs: movedMs, afterFirstMoveMs: failoverMs - movedMs };
    console.log(`failover of a host with ${vips.length} LBs: every VIP answers ${failoverMs} ms after the kill (first re-placement seen after ${movedMs} ms, so ${failoverMs - movedMs} ms to build all)`);
    await lab.reviveHost(target);
  } finally {
    await stopProbers();
    await lab.stop();
  }
  const report = {
    at: new Date().toISOString(),
    settings: { reportIntervalMs: 250, leaseMs: 1750, agentDownTimeMs: 2250, watcherTickMs: 100, kernelFence: true },
    failoverOutageMs: summarize(outages), outages,
    restart: { runs: restart.length, failedRequests: restart.reduce((a, r) => a + r.failed, 0), readyMs: summarize(restart.map((r) => r.readyMs)) },
    rebuild,
    takeover,
  };
  console.log(JSON.stringify(report, null, 2));
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `failover-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
