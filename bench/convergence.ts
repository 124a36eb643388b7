/**
 * Convergence benchmark (issue 2): how long from an API write until real traffic through the VIP reflects it.
 *   - member: POST a member → the first response from that backend through the VIP (and how long the POST itself took)
 *   - load balancer: POST a load balancer → ACTIVE → POST an HTTP listener → the VIP answers HTTP
 * Everything runs for real (nats-server, every app as a process, haproxy in namespaces). Needs root.
 *   sudo node bench/run.js bench/convergence.ts [runs=20]
 * Prints the figures and writes bench/reports/convergence-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canUseNetns, createBridge, createNetnsOnBridge, netnsRunId, removeLinks, removeNetns, startHttpServer,
} from '@lbaas/testing';
import { spawn } from 'node:child_process';
import { apiClient, startStack } from '../test/support/stack';

const PROBE = `
const http = require('node:http');
const [url, want] = process.argv.slice(1);
const re = new RegExp(want);
let done = false;
function once() {
  const req = http.get(url, { timeout: 500, agent: false }, (res) => {
    let body = ''; res.on('data', (d) => (body += d));
    res.on('end', () => { if (!done && re.test(res.statusCode + ' ' + body)) { done = true; console.log(Date.now()); process.exit(0); } setTimeout(once, 2); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => setTimeout(once, 2));
}
console.log('ready'); once();`;

/** Starts a prober in `netns` that polls `url` every ~2 ms; resolves with the epoch ms of the first answer matching `want`. */
async function probe(netns: string, url: string, want: string, timeoutMs = 60_000): Promise<{ first: Promise<number> }> {
  const child = spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', PROBE, url, want], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  let notify: (() => void) | undefined;
  child.stdout.on('data', (d: Buffer) => { lines.push(...d.toString().split('\n').filter(Boolean)); notify?.(); });
  await new Promise<void>((res) => { notify = () => { if (lines.includes('ready')) res(); }; notify(); });
  const first = new Promise<number>((res, rej) => {
    const t = setTimeout(() => { child.kill(); rej(new Error(`no answer matching /${want}/ from ${url} within ${timeoutMs} ms`)); }, timeoutMs);
    notify = () => { const l = lines.find((x) => /^\d+$/.test(x)); if (l) { clearTimeout(t); res(Number(l)); } };
  });
  return { first };
}
import { summarize } from './stats';

const runs = Number(process.argv[2] ?? 20);

async function main(): Promise<void> {
  const log = (m: string) => process.stdout.write(`[bench] ${m}\n`);
  if (!canUseNetns()) throw new Error('needs root (network namespaces)');
  const id = netnsRunId();
  const prefix = `10.242.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  const bridge = `brb${id}`;
  const ns = { web1: `bench-${id}-w1`, web2: `bench-${id}-w2`, cli: `bench-${id}-cli` };
  const links = [`b1${id}`, `b2${id}`, `bc${id}`];
  await createBridge(bridge);
  await createNetnsOnBridge({ netns: ns.web1, bridge, hostIf: links[0], cidr: `${prefix}.11/24` });
  await createNetnsOnBridge({ netns: ns.web2, bridge, hostIf: links[1], cidr: `${prefix}.12/24` });
  await createNetnsOnBridge({ netns: ns.cli, bridge, hostIf: links[2], cidr: `${prefix}.2/24` });
  log('namespaces ready; starting backends');
  const servers = [await startHttpServer(ns.web1, 'web1', 8080), await startHttpServer(ns.web2, 'web2', 8080)];
  log('starting the stack (nats-server, api, scheduler, failover-watcher, 2 agents)');
  const stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2 });
  const api = apiClient(stack.apiUrl, { 'x-project-id': 'bench' });
  log('stack ready');
  // Ctrl-C (or a timeout's SIGTERM) still removes every process, namespace and link the benchmark made.
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= (async () => {
    for (const s of servers) await s.stop();
    await stack.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...links, bridge);
  })());
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));
  const memberMs: number[] = [];
  /** How long the member POST itself took to answer (201): the API's share of the path. */
  const memberApiMs: number[] = [];
  const lbActiveMs: number[] = [];
  const lbServeMs: number[] = [];
  try {
    const net = (await api.post('/v2.0/networks', { network: { name: 'bench', 'provider:physical_network': `physnet-${id}` } })).body.network.id;
    const subnet = (await api.post('/v2.0/subnets', { subnet: { network_id: net, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1`, ip_version: 4, allocation_pools: [{ start: `${prefix}.50`, end: `${prefix}.99` }] } })).body.subnet.id;
    const active = (lb: string) => api.waitFor(`/v2/lbaas/loadbalancers/${lb}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);

    // --- member convergence: one LB with web1; add web2, time until web2 answers through the VIP, remove it again
    const lb = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'bench-members', vip_subnet_id: subnet } })).body.loadbalancer;
    log(`load balancer ${lb.id} created`);
    await active(lb.id);
    log('ACTIVE');
    const lis = (await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener.id;
    await active(lb.id);
    const pool = (await api.post('/v2/lbaas/pools', { pool: { listener_id: lis, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool.id;
    await active(lb.id);
    await api.post(`/v2/lbaas/pools/${pool}/members`, { member: { address: `${prefix}.11`, protocol_port: 8080 } });
    await active(lb.id);
    log('base tree ACTIVE');
    for (let i = 0; i < runs; i++) {
      const p = await probe(ns.cli, `http://${lb.vip_address}/`, '^200 web2');
      const t0 = Date.now();
      const m = await api.post(`/v2/lbaas/pools/${pool}/members`, { member: { address: `${prefix}.12`, protocol_port: 8080 } });
      memberApiMs.push(Date.now() - t0);
      if (m.status !== 201) throw new Error(`member create: ${m.status} ${JSON.stringify(m.body)}`);
      memberMs.push((await p.first) - t0);
      await active(lb.id);
      await api.del(`/v2/lbaas/pools/${pool}/members/${m.body.member.id}`);
      await active(lb.id);
      process.stdout.write(`member run ${i + 1}/${runs}: ${memberMs[i].toFixed(0)} ms (the POST itself answered in ${memberApiMs[i].toFixed(0)} ms)\n`);
    }
    await api.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);

    // --- new load balancer: POST LB → ACTIVE → POST listener → the VIP answers HTTP (503 without a pool is an answer)
    for (let i = 0; i < runs; i++) {
      const t0 = Date.now();
      const created = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `bench-${i}`, vip_subnet_id: subnet } });
      if (created.status !== 201) throw new Error(`lb create: ${created.status} ${JSON.stringify(created.body)}`);
      const l = created.body.loadbalancer;
      await active(l.id);
      lbActiveMs.push(Date.now() - t0);
      const p = await probe(ns.cli, `http://${l.vip_address}/`, '^[1-5][0-9][0-9] ');
      await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: l.id, protocol: 'HTTP', protocol_port: 80 } });
      lbServeMs.push((await p.first) - t0);
      await active(l.id);
      await api.del(`/v2/lbaas/loadbalancers/${l.id}?cascade=true`);
      await api.waitFor(`/v2/lbaas/loadbalancers/${l.id}`, (_b, s) => s === 404, 30_000);
      process.stdout.write(`load balancer run ${i + 1}/${runs}: ACTIVE ${lbActiveMs[i].toFixed(0)} ms, VIP answers ${lbServeMs[i].toFixed(0)} ms\n`);
    }
  } finally {
    await cleanup();
  }
  const report = {
    benchmark: 'convergence', at: new Date().toISOString(), runs, machine: { cpus: require('node:os').cpus().length, node: process.version },
    memberPostToTrafficMs: summarize(memberMs),
    memberPostAnsweredMs: summarize(memberApiMs),
    loadBalancerPostToActiveMs: summarize(lbActiveMs),
    loadBalancerPostToVipAnswersMs: summarize(lbServeMs),
    samples: { memberMs, memberApiMs, lbActiveMs, lbServeMs },
  };
  mkdirSync(join(__dirname, 'reports'), { recursive: true });
  const file = join(__dirname, 'reports', `convergence-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(JSON.stringify({ memberPostToTrafficMs: report.memberPostToTrafficMs, memberPostAnsweredMs: report.memberPostAnsweredMs, loadBalancerPostToActiveMs: report.loadBalancerPostToActiveMs, loadBalancerPostToVipAnswersMs: report.loadBalancerPostToVipAnswersMs }, null, 2));
  console.log(`report: ${file}`);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
