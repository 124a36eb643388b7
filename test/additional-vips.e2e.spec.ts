import { canUseNetns, createBridge, createNetnsOnBridge, netnsRunId, removeLinks, removeNetns, sh, type NetnsProcess } from '@lbaas/testing';
import { curl, startEchoServer } from './support/dataplane';
import { apiClient, createAndSettle, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * Issue 13, additional_vips end to end: the API allocates a VIP on another subnet of the VIP's network, the agent plugs
 * both, haproxy binds every listener on each, and a client reaches the member through each. (IPv6 VIPs and members
 * through the API: test/ipv6.e2e.spec.ts; at the agent: apps/agent/src/vips.int.spec.ts.)
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/additional-vips.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;

maybe('additional VIPs through the API, proven with traffic', () => {
  const id = netnsRunId();
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  const [p1, p2] = [`10.243.${octet}`, `10.244.${octet}`];
  const bridge = `brx${id}`;
  const ns = { web1: `xv-${id}-web1`, cli: `xv-${id}-cli` };
  const hostIfs = [`x1${id}`, `xc${id}`];
  let stack: Stack;
  let api: ApiClient;
  const servers: NetnsProcess[] = [];
  const ids: Record<string, string> = {};

  const lbPath = () => `/v2/lbaas/loadbalancers/${ids.lb}`;
  const waitActive = () => api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);
  const create = (path: string, rootKey: string, body: Record<string, unknown>) => createAndSettle(api, path, rootKey, body, waitActive);

  beforeAll(async () => {
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: ns.web1, bridge, hostIf: hostIfs[0], cidr: `${p1}.11/24` });
    await createNetnsOnBridge({ netns: ns.cli, bridge, hostIf: hostIfs[1], cidr: `${p1}.2/24` });
    await sh('ip', ['-n', ns.cli, 'addr', 'add', `${p2}.2/24`, 'dev', 'eth0']);
    servers.push(await startEchoServer(ns.web1, 'web1', 8080));
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 1 });
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });
    const net = await api.post('/v2.0/networks', { network: { name: `xv-${id}`, 'provider:physical_network': `physnet-${id}`, 'provider:network_type': 'flat' } });
    const subnet = async (body: Record<string, unknown>) => {
      const r = await api.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, ...body } });
      if (r.status !== 201) throw new Error(`subnet: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.subnet.id as string;
    };
    ids.sub1 = await subnet({ name: 'v4a', ip_version: 4, cidr: `${p1}.0/24`, gateway_ip: `${p1}.1`, allocation_pools: [{ start: `${p1}.50`, end: `${p1}.60` }] });
    ids.sub2 = await subnet({ name: 'v4b', ip_version: 4, cidr: `${p2}.0/24`, gateway_ip: null, allocation_pools: [{ start: `${p2}.50`, end: `${p2}.60` }] });
  }, 180_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await stack?.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...hostIfs, bridge);
  }, 120_000);

  it('allocates, plugs and serves every VIP', async () => {
    const lb = await api.post('/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'xv', vip_subnet_id: ids.sub1, additional_vips: [{ subnet_id: ids.sub2 }] },
    });
    expect(lb.status).toBe(201);
    ids.lb = lb.body.loadbalancer.id;
    const vips = [lb.body.loadbalancer.vip_address as string, ...(lb.body.loadbalancer.additional_vips as { ip_address: string }[]).map((v) => v.ip_address)];
    console.log(`VIPs allocated: ${vips.join(', ')}`);
    expect(vips).toHaveLength(2);
    expect(vips[1].startsWith(`${p2}.`)).toBe(true);
    await waitActive();
    ids.listener = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80 });
    ids.pool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    await create(`/v2/lbaas/pools/${ids.pool}/members`, 'member', { address: `${p1}.11`, protocol_port: 8080 });
    for (const vip of vips) {
      const r = await curl(ns.cli, `http://${vip}/`);
      expect({ vip, status: r.status, name: r.json?.name, src: r.json?.src }).toEqual({ vip, status: 200, name: 'web1', src: vips[0] });
    }
  });
});
