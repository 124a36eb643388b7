import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  canUseNetns, createBridge, createNetnsOnBridge, httpGetFromNetns, netnsRunId, removeLinks, removeNetns, startHttpServer,
  type NetnsProcess,
} from '@lbaas/testing';
import { apiClient, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * The walking skeleton's scenario (issue 2), end to end: every app as a process, a real nats-server, real haproxy
 * in real network namespaces, backends web1/web2 on the VIP network's bridge, and a client namespace.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/seed-scenario.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;

const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });
const netnsNames = () => (JSON.parse(ip('-j', 'netns', 'list') || '[]') as { name: string }[]).map((n) => n.name);

maybe('seed scenario: a load balancer built top-down through the API serves real traffic', () => {
  const id = netnsRunId();
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  const prefix = `10.241.${octet}`;
  const bridge = `bre${id}`;
  const ns = { web1: `e2e-${id}-web1`, web2: `e2e-${id}-web2`, client: `e2e-${id}-cli` };
  const hostIfs = [`w1${id}`, `w2${id}`, `cl${id}`];
  let stack: Stack;
  let api: ApiClient;
  const servers: Record<string, NetnsProcess> = {};
  const ids: Record<string, string> = {};

  const lbPath = () => `/v2/lbaas/loadbalancers/${ids.lb}`;
  const waitActive = () => api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 20_000);
  const get = (url: string) => httpGetFromNetns(ns.client, url, 2000);

  beforeAll(async () => {
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: ns.web1, bridge, hostIf: hostIfs[0], cidr: `${prefix}.11/24` });
    await createNetnsOnBridge({ netns: ns.web2, bridge, hostIf: hostIfs[1], cidr: `${prefix}.12/24` });
    await createNetnsOnBridge({ netns: ns.client, bridge, hostIf: hostIfs[2], cidr: `${prefix}.2/24` });
    servers.web1 = await startHttpServer(ns.web1, 'web1', 8080);
    servers.web2 = await startHttpServer(ns.web2, 'web2', 8080);
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2 });
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });
  }, 180_000);

  afterAll(async () => {
    for (const s of Object.values(servers)) await s.stop();
    await stack?.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...hostIfs, bridge);
  }, 120_000);

  it('defines the network and subnet the VIP lives on (Neutron-style, admin)', async () => {
    const net = await api.post('/v2.0/networks', { network: { name: `e2e-${id}`, 'provider:physical_network': `physnet-${id}`, 'provider:network_type': 'flat' } });
    expect(net.status).toBe(201);
    ids.network = net.body.network.id;
    const sub = await api.post('/v2.0/subnets', {
      subnet: { network_id: ids.network, name: `e2e-${id}-subnet`, ip_version: 4, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1`,
        allocation_pools: [{ start: `${prefix}.50`, end: `${prefix}.60` }] },
    });
    expect(sub.status).toBe(201);
    ids.subnet = sub.body.subnet.id;
    const lookup = await api.get(`/v2.0/subnets?id=${ids.subnet}`);
    expect(lookup.body.subnets.map((s: { id: string }) => s.id)).toEqual([ids.subnet]);
  });

  it('creates the load balancer (201, PENDING_CREATE) and it turns ACTIVE on one agent with its namespace, veth, VIP and haproxy', async () => {
    const r = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'seed', vip_subnet_id: ids.subnet } });
    expect(r.status).toBe(201);
    expect(r.body.loadbalancer.provisioning_status).toBe('PENDING_CREATE');
    expect(r.body.loadbalancer.vip_address).toBe(`${prefix}.50`);
    ids.lb = r.body.loadbalancer.id;
    ids.vip = r.body.loadbalancer.vip_address;
    await waitActive();

    const hosting = await api.get(`/v2.0/lbaas/loadbalancers/${ids.lb}/loadbalancer-hosting-agent`);
    expect(stack.agentIds).toContain(hosting.body.agent.host.replace(/^host-/, ''));
    const netns = `qlbaas-${ids.lb}`;
    expect(netnsNames()).toContain(netns);
    const addrs = JSON.parse(ip('-j', '-n', netns, 'addr', 'show')) as { ifname: string; addr_info: { local: string; prefixlen: number }[] }[];
    expect(addrs.flatMap((a) => a.addr_info.map((i) => `${i.local}/${i.prefixlen}`))).toContain(`${ids.vip}/24`);
    const ports = JSON.parse(ip('-j', 'link', 'show', 'master', bridge)) as { ifname: string }[];
    expect(ports.map((p) => p.ifname).filter((n) => !hostIfs.includes(n))).toHaveLength(1);
    // one haproxy master-worker inside the namespace; its worker runs unprivileged
    const pids = ip('netns', 'pids', netns).split('\n').filter(Boolean);
    const procs = pids.map((pid) => ({ pid, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'), status: readFileSync(`/proc/${pid}/status`, 'utf8') }));
    const haproxies = procs.filter((p) => p.cmd[0].endsWith('haproxy'));
    expect(haproxies.filter((p) => p.cmd.includes('-W') || p.cmd.includes('-Ws')).length).toBeGreaterThanOrEqual(1);
    const uid = (s: string) => Number(/^Uid:\s+(\d+)/m.exec(s)?.[1]);
    expect(haproxies.some((p) => uid(p.status) !== 0)).toBe(true);
  });

  it('builds listener → pool → members → monitor, each 201 PENDING_* and ACTIVE once applied', async () => {
    const lis = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80, name: 'http' } });
    expect(lis.status).toBe(201);
    expect(lis.body.listener.provisioning_status).toBe('PENDING_CREATE');
    ids.listener = lis.body.listener.id;
    await waitActive();
    // the same API answers on /v2.0/lbaas (Neutron LBaaS v2 paths)
    const pool = await api.post('/v2.0/lbaas/pools', { pool: { listener_id: ids.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    expect(pool.status).toBe(201);
    ids.pool = pool.body.pool.id;
    await waitActive();
    for (const [n, addr] of [['web1', `${prefix}.11`], ['web2', `${prefix}.12`]]) {
      const m = await api.post(`/v2/lbaas/pools/${ids.pool}/members`, { member: { name: n, address: addr, protocol_port: 8080, subnet_id: ids.subnet } });
      expect(m.status).toBe(201);
      expect(m.body.member.provisioning_status).toBe('PENDING_CREATE');
      ids[n] = m.body.member.id;
      await waitActive();
    }
    const hm = await api.post('/v2/lbaas/healthmonitors', {
      healthmonitor: { pool_id: ids.pool, type: 'HTTP', http_method: 'GET', url_path: '/', expected_codes: '200', delay: 1, timeout: 1, max_retries: 2, max_retries_down: 2 },
    });
    expect(hm.status).toBe(201);
    expect(hm.body.healthmonitor.provisioning_status).toBe('PENDING_CREATE');
    ids.hm = hm.body.healthmonitor.id;
    await waitActive();
    const tree = await api.get(`${lbPath()}/status`);
    const pools = tree.body.statuses.loadbalancer.listeners[0].pools;
    expect(pools[0].members.map((m: { provisioning_status: string }) => m.provisioning_status)).toEqual(['ACTIVE', 'ACTIVE']);
    expect(pools[0].health_monitor.provisioning_status).toBe('ACTIVE');
  });

  it('balances round-robin over web1 and web2, and the backends see the client in X-Forwarded-For', async () => {
    await api.waitFor(`/v2/lbaas/pools/${ids.pool}/members/${ids.web2}`, (b) => b?.member?.operating_status === 'ONLINE', 20_000);
    await api.waitFor(`/v2/lbaas/pools/${ids.pool}/members/${ids.web1}`, (b) => b?.member?.operating_status === 'ONLINE', 20_000);
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push((await get(`http://${ids.vip}/`)).body);
    const names = answers.map((a) => a.split(' ')[0]);
    expect(new Set(names)).toEqual(new Set(['web1', 'web2']));
    for (let i = 1; i < names.length; i++) expect(names[i]).not.toBe(names[i - 1]);
    for (const a of answers) expect(a).toContain(`xff=${prefix}.2`);
    // live counters from the hosting agent's haproxy (NATS request/reply), for the LB and its listener
    const lbStats = (await api.get(`${lbPath()}/stats`)).body.stats;
    expect(lbStats.total_connections).toBeGreaterThanOrEqual(10);
    expect(lbStats.bytes_out).toBeGreaterThan(0);
    const lisStats = (await api.get(`/v2/lbaas/listeners/${ids.listener}/stats`)).body.stats;
    expect(Object.keys(lisStats).sort()).toEqual(['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections']);
    expect(lisStats.total_connections).toBeGreaterThanOrEqual(10);
  });

  it('takes a dead member out within a few check intervals (member ERROR, pool and LB DEGRADED) and back when it returns', async () => {
    await servers.web2.stop();
    const t0 = Date.now();
    await api.waitFor(`/v2/lbaas/pools/${ids.pool}/members/${ids.web2}`, (b) => b?.member?.operating_status === 'ERROR', 15_000);
    const seenAfterMs = Date.now() - t0;
    for (let i = 0; i < 6; i++) expect((await get(`http://${ids.vip}/`)).body).toMatch(/^web1 /);
    const pool = await api.get(`/v2/lbaas/pools/${ids.pool}`);
    expect(pool.body.pool.operating_status).toBe('DEGRADED');
    const lb = await api.get(lbPath());
    expect(lb.body.loadbalancer.operating_status).toBe('DEGRADED');
    expect(seenAfterMs).toBeLessThan(15_000);

    servers.web2 = await startHttpServer(ns.web2, 'web2', 8080);
    await api.waitFor(`/v2/lbaas/pools/${ids.pool}/members/${ids.web2}`, (b) => b?.member?.operating_status === 'ONLINE', 15_000);
    await api.waitFor(lbPath(), (b) => b?.loadbalancer?.operating_status === 'ONLINE', 10_000);
    // both serve again (haproxy's weighted round robin may favour the returning server for a few requests)
    const names = new Set<string>();
    for (let i = 0; i < 20 && names.size < 2; i++) names.add((await get(`http://${ids.vip}/`)).body.split(' ')[0]);
    expect(names).toEqual(new Set(['web1', 'web2']));
  });

  it('refuses wrong-order deletes and duplicates with Octavia codes and messages', async () => {
    const del = await api.del(lbPath());
    expect(del.status).toBe(400);
    expect(del.body.faultstring).toBe(`Validation failure: Cannot delete Load Balancer ${ids.lb} - it has children`);
    const hm2 = await api.post('/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: ids.pool, type: 'TCP', delay: 2, timeout: 1, max_retries: 1 } });
    expect(hm2.status).toBe(409);
    expect(hm2.body.faultstring).toBe('This pool already has a health monitor');
    const lis2 = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80 } });
    expect(lis2.status).toBe(409);
    expect(lis2.body.faultstring).toMatch(/already using protocol HTTP and protocol_port 80/);
    const m2 = await api.post(`/v2/lbaas/pools/${ids.pool}/members`, { member: { address: `${prefix}.11`, protocol_port: 8080 } });
    expect(m2.status).toBe(409);
    expect(m2.body).toEqual({ faultcode: 'Client', faultstring: expect.stringContaining(`${prefix}.11`), debuginfo: null });
    // still serving, nothing changed
    expect((await api.get(lbPath())).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });

  it('deletes bottom-up and leaves nothing behind: no haproxy, namespace or veth, and the VIP back in the pool', async () => {
    for (const path of [
      `/v2/lbaas/healthmonitors/${ids.hm}`, `/v2/lbaas/pools/${ids.pool}/members/${ids.web1}`, `/v2/lbaas/pools/${ids.pool}/members/${ids.web2}`,
      `/v2/lbaas/pools/${ids.pool}`, `/v2/lbaas/listeners/${ids.listener}`,
    ]) {
      const r = await api.del(path);
      expect([path, r.status]).toEqual([path, 204]);
      await waitActive();
    }
    expect((await api.del(lbPath())).status).toBe(204);
    await api.waitFor(lbPath(), (_b, status) => status === 404, 20_000);
    const netns = `qlbaas-${ids.lb}`;
    const t0 = Date.now();
    while (netnsNames().includes(netns) && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(netnsNames()).not.toContain(netns);
    const ports = JSON.parse(ip('-j', 'link', 'show', 'master', bridge)) as { ifname: string }[];
    expect(ports.map((p) => p.ifname).sort()).toEqual([...hostIfs].sort());
    const leftover = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(ids.lb));
    expect(leftover).toEqual([]);
    // the VIP address is free again: a new load balancer may ask for exactly it
    await api.waitFor(`/v2.0/ports`, (b) => Array.isArray(b?.ports) && !b.ports.some((p: { fixed_ips: { ip_address: string }[] }) => p.fixed_ips.some((f) => f.ip_address === ids.vip)), 15_000);
    const again = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'again', vip_subnet_id: ids.subnet, vip_address: ids.vip } });
    expect(again.status).toBe(201);
    expect(again.body.loadbalancer.vip_address).toBe(ids.vip);
    ids.lb = again.body.loadbalancer.id;
    await waitActive();
    expect((await api.del(lbPath())).status).toBe(204);
    await api.waitFor(lbPath(), (_b, status) => status === 404, 20_000);
  });
});
