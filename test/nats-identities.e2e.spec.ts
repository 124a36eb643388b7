import { canUseNetns, createBridge, netnsRunId, removeLinks } from '@lbaas/testing';
import { apiClient, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * Every app as a real process with its own NATS identity from the permission table, over TLS with a client
 * certificate, against a nats-server that admits nothing else: the operator bootstraps the stream, the api,
 * scheduler, failover-watcher and two agents start, a load balancer and a listener go ACTIVE, and the server has
 * refused nothing any app tried (no permission violation in its log): the table gives every app what it needs.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/nats-identities.e2e.spec.ts needs root (agents build namespaces); CI runs as root');
const maybe = root ? describe : describe.skip;

maybe('all apps with their own NATS identities and TLS', () => {
  const id = netnsRunId();
  const bridge = `brni${id}`;
  let stack: Stack;
  let api: ApiClient;

  beforeAll(async () => {
    await createBridge(bridge);
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2, identities: { tls: true } });
    api = apiClient(stack.apiUrl);
  }, 180_000);

  afterAll(async () => {
    if (stack) {
      const violations = stack.nats.logs().split('\n').filter((l) => /Violation/.test(l));
      if (violations.length) console.log(`nats-server refused:\n${violations.join('\n')}`);
    }
    await stack?.stop();
    await removeLinks(bridge);
  }, 120_000);

  it('creates a load balancer and a listener that go ACTIVE, with no permission violation on the server', async () => {
    const net = await api.post('/v2.0/networks', { network: { name: `ni-${id}`, 'provider:physical_network': `physnet-${id}` } });
    expect(net.status).toBe(201);
    const sub = await api.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: '10.231.77.0/24', gateway_ip: '10.231.77.1' } });
    expect(sub.status).toBe(201);
    const lb = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'ni', vip_subnet_id: sub.body.subnet.id } });
    expect(lb.status).toBe(201);
    const lbId = lb.body.loadbalancer.id as string;
    const active = () => api.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 60_000);
    await active();
    const lis = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    expect(lis.status).toBe(201);
    await active();
    // The api asks the hosting agent over request/reply (its inbox, the agent's allow_responses).
    const stats = await api.get(`/v2/lbaas/loadbalancers/${lbId}/stats`);
    expect(stats.status).toBe(200);
    const logs = stack.nats.logs();
    expect(logs).toMatch(/Server is ready/);
    expect(logs.split('\n').filter((l) => /Violation|authentication error/.test(l))).toEqual([]);
  }, 180_000);
});
