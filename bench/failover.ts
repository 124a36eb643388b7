/**
 * Failover benchmark (issue 4), with the default settings (report 500 ms, lease 3000 ms, agent_down_time 3500 ms):
 *   - failover outage: a host dies (agent and haproxy kill -9, links down) → the first good response through the VIP
 *     (client on the provider segment, a GET every 50 ms with a 500 ms timeout), over N runs
 *   - agent restart (kill -9 of the hosting agent, restarted at once): failed requests through the VIP, time until ready
 *   - rebuild from replay: one agent whose host lost everything rebuilds 100 load balancers (namespace, VIP, haproxy)
 * Everything runs for real (three hosts as network + mount namespaces, nats-server, every app as a process). Needs root.
 *   sudo node bench/run.js bench/failover.ts [runs=10] [lbs=100]
 * Prints the figures and writes bench/reports/failover-<time>.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseNetns, netnsRunId } from '@lbaas/testing';
import { apiClient } from '../test/support/stack';
import { outageAfter, startHostsLab, startProber, stopProbers, type Host } from '../test/support/hosts';
import { summarize } from './stats';

const runs = Number(process.argv[2] ?? 10);
const lbCount = Number(process.argv[3] ?? 100);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  if (!canUseNetns()) throw new Error('needs root (network namespaces)');
  const id = netnsRunId();
  const lab = await startHostsLab({ id, hosts: 3 });
  const api = apiClient(lab.apiUrl, { 'x-project-id': 'bench' });
  const outages: number[] = [];
  const restart: { failed: number; readyMs: number }[] = [];
  let rebuild: Record<string, number> = {};
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

    // 3. Rebuild 100 LBs on one host from replay: the other hosts disabled, the host wiped, its agent started again.
    const [target, ...others] = lab.hosts;
    for (const o of others) await api.put(`/v2.0/agents/${o.agentId}`, { agent: { admin_state_up: false } });
    for (;;) { if ((await hosting()).agentId === target.agentId) break; await sleep(200); }
    const lbs: string[] = [];
    for (let i = 0; i < lbCount; i++) lbs.push((await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `r${i}`, vip_subnet_id: subnet } })).body.loadbalancer.id);
    for (const lb of lbs) await active(lb, 300_000);
    await lab.killHost(target);
    await lab.inHost(target, 'sh', ['-c', 'for n in $(ip netns list | cut -d" " -f1); do ip netns del $n; done']);
    await lab.reviveHost(target);
    const t0 = Date.now();
    const agent = await lab.startAgent(target);
    const readyMs = Date.now() - t0;
    const want = lbs.length + 1;
    for (;;) {
      const n = (await lab.inHost(target, 'sh', ['-c', 'for n in $(ip netns list | cut -d" " -f1); do ip -n $n -br addr show dev vip0 2>/dev/null; done'])).split('\n').filter((l) => /UP\s+\d/.test(l)).length;
      const haproxies = (await lab.inHost(target, 'sh', ['-c', `ls ${target.runDir}/*/loaded.sha256 2>/dev/null | wc -l`])).trim();
      if (n >= want && Number(haproxies) >= want) break;
      if (Date.now() - t0 > 600_000) throw new Error(`rebuild incomplete: ${n} VIPs, ${haproxies} haproxies`);
      await sleep(250);
    }
    const replayLine = agent.output().split('\n').find((l) => l.includes('"replay done"'));
    rebuild = { lbs: want, replayMs: Number(/"ms":(\d+)/.exec(replayLine ?? '')?.[1] ?? NaN), readyMs, rebuiltMs: Date.now() - t0 };
    console.log(`rebuild of ${want} LBs from replay: replay ${rebuild.replayMs} ms, agent ready ${readyMs} ms, all VIPs + haproxy up after ${rebuild.rebuiltMs} ms`);
  } finally {
    await stopProbers();
    await lab.stop();
  }
  const report = {
    at: new Date().toISOString(),
    settings: { reportIntervalMs: 500, leaseMs: 3000, agentDownTimeMs: 3500 },
    failoverOutageMs: summarize(outages), outages,
    restart: { runs: restart.length, failedRequests: restart.reduce((a, r) => a + r.failed, 0), readyMs: summarize(restart.map((r) => r.readyMs)) },
    rebuild,
  };
  console.log(JSON.stringify(report, null, 2));
  const dir = join(__dirname, 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `failover-${report.at.replace(/[:.]/g, '-')}.json`), JSON.stringify(report, null, 2));
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
