/**
 * Convergence benchmark (issue 2): how long from an API write until real traffic through the VIP reflects it.
 *   - member: POST a member → the first response from that backend through the VIP
 *   - load balancer: POST a load balancer → ACTIVE → POST an HTTP listener → the VIP answers HTTP
 * Everything runs for real (nats-server, every app as a process, haproxy in namespaces). Needs root.
 *   sudo node bench/run.js bench/convergence.ts [runs=20]
 * Prints the figures and writes bench/reports/convergence-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  canUseNetns, createBridge, createNetnsOnBridge, httpGetFromNetns, netnsRunId, removeLinks, removeNetns, startHttpServer,
} from '@lbaas/testing';
import { apiClient, startStack } from '../test/support/stack';
import { summarize } from './stats';

const runs = Number(process.argv[2] ?? 20);

async function main(): Promise<void> {
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
  const servers = [await startHttpServer(ns.web1, 'web1', 8080), await startHttpServer(ns.web2, 'web2', 8080)];
  const stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2 });
  const api = apiClient(stack.apiUrl, { 'x-project-id': 'bench' });
  const memberMs: number[] = [];
  const lbActiveMs: number[] = [];
  const lbServeMs: number[] = [];
  try {
    const net = (await api.post('/v2.0/networks', { network: { name: 'bench', 'provider:physical_network': `physnet-${id}` } })).body.network.id;
    const subnet = (await api.post('/v2.0/subnets', { subnet: { network_id: net, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1`, ip_version: 4 } })).body.subnet.id;
    const active = (lb: string) => api.waitFor(`/v2/lbaas/loadbalancers/${lb}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);

    // --- member convergence: one LB with web1; add web2, time until web2 answers through the VIP, remove it again
    const lb = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'bench-members', vip_subnet_id: subnet } })).body.loadbalancer;
    await active(lb.id);
    const lis = (await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener.id;
    await active(lb.id);
    const pool = (await api.post('/v2/lbaas/pools', { pool: { listener_id: lis, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool.id;
    await active(lb.id);
    await api.post(`/v2/lbaas/pools/${pool}/members`, { member: { address: `${prefix}.11`, protocol_port: 8080 } });
    await active(lb.id);
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const m = await api.post(`/v2/lbaas/pools/${pool}/members`, { member: { address: `${prefix}.12`, protocol_port: 8080 } });
      if (m.status !== 201) throw new Error(`member create: ${m.status} ${JSON.stringify(m.body)}`);
      for (;;) {
        const r = await httpGetFromNetns(ns.cli, `http://${lb.vip_address}/`, 1000);
        if (r.body.startsWith('web2')) break;
      }
      memberMs.push(performance.now() - t0);
      await active(lb.id);
      await api.del(`/v2/lbaas/pools/${pool}/members/${m.body.member.id}`);
      await active(lb.id);
      process.stdout.write(`member run ${i + 1}/${runs}: ${memberMs[i].toFixed(0)} ms\n`);
    }
    await api.del(`/v2/lbaas/loadbalancers/${lb.id}?cascade=true`);

    // --- new load balancer: POST LB → ACTIVE → POST listener → the VIP answers HTTP (503 without a pool is an answer)
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const created = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `bench-${i}`, vip_subnet_id: subnet } });
      if (created.status !== 201) throw new Error(`lb create: ${created.status} ${JSON.stringify(created.body)}`);
      const l = created.body.loadbalancer;
      await active(l.id);
      lbActiveMs.push(performance.now() - t0);
      await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: l.id, protocol: 'HTTP', protocol_port: 80 } });
      for (;;) {
        const r = await httpGetFromNetns(ns.cli, `http://${l.vip_address}/`, 1000);
        if (r.status > 0) break;
      }
      lbServeMs.push(performance.now() - t0);
      await active(l.id);
      await api.del(`/v2/lbaas/loadbalancers/${l.id}?cascade=true`);
      await api.waitFor(`/v2/lbaas/loadbalancers/${l.id}`, (_b, s) => s === 404, 30_000);
      process.stdout.write(`load balancer run ${i + 1}/${runs}: ACTIVE ${lbActiveMs[i].toFixed(0)} ms, VIP answers ${lbServeMs[i].toFixed(0)} ms\n`);
    }
  } finally {
    for (const s of servers) await s.stop();
    await stack.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...links, bridge);
  }
  const report = {
    benchmark: 'convergence', at: new Date().toISOString(), runs, machine: { cpus: require('node:os').cpus().length, node: process.version },
    memberPostToTrafficMs: summarize(memberMs),
    loadBalancerPostToActiveMs: summarize(lbActiveMs),
    loadBalancerPostToVipAnswersMs: summarize(lbServeMs),
    samples: { memberMs, lbActiveMs, lbServeMs },
  };
  mkdirSync(join(__dirname, 'reports'), { recursive: true });
  const file = join(__dirname, 'reports', `convergence-${report.at.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(report, null, 2));
  console.log(JSON.stringify({ memberPostToTrafficMs: report.memberPostToTrafficMs, loadBalancerPostToActiveMs: report.loadBalancerPostToActiveMs, loadBalancerPostToVipAnswersMs: report.loadBalancerPostToVipAnswersMs }, null, 2));
  console.log(`report: ${file}`);
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
