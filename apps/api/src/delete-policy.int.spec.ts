import { apiHarness } from './api-harness.fixtures';

/** DELETE_POLICY=octavia: the api passes the setting to the domain, and Octavia's looser child deletes apply. */
const { api, converge } = apiHarness({ agentId: 'agent-d', env: { DEFAULT_PROJECT_ID: 'proj-d', DELETE_POLICY: 'octavia' } });

it('deletes a pool with its members and monitor, and a listener with its L7 policies; a load balancer with children still needs cascade', async () => {
  const n = (await api('POST', '/v2.0/networks', { network: { name: 'n', 'provider:physical_network': 'physnet1' } })).body.network.id;
  const subnet = (await api('POST', '/v2.0/subnets', { subnet: { network_id: n, cidr: '198.51.100.0/24' } })).body.subnet.id;
  const lb = (await api('POST', '/v2/lbaas/loadbalancers', {
    loadbalancer: {
      vip_subnet_id: subnet, listeners: [{ name: 'l', protocol: 'HTTP', protocol_port: 80, default_pool: {
        name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', members: [{ address: '192.0.2.1', protocol_port: 80 }],
        healthmonitor: { type: 'TCP', delay: 2, timeout: 1, max_retries: 1 },
      } }],
    },
  })).body.loadbalancer;
  await converge(lb.id);
  const listener = lb.listeners[0];
  expect((await api('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: listener.id, action: 'REJECT' } })).status).toBe(201);
  await converge(lb.id);
  expect((await api('DELETE', `/v2/lbaas/pools/${listener.default_pool.id}`)).status).toBe(204);
  await converge(lb.id);
  expect((await api('GET', '/v2/lbaas/healthmonitors')).body.healthmonitors).toEqual([]);
  expect((await api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).body.faultstring).toBe(`Validation failure: Cannot delete Load Balancer ${lb.id} - it has children`);
  expect((await api('DELETE', `/v2/lbaas/listeners/${listener.id}`)).status).toBe(204);
  await converge(lb.id);
  expect((await api('GET', '/v2/lbaas/l7policies')).body.l7policies).toEqual([]);
  expect((await api('DELETE', `/v2/lbaas/loadbalancers/${lb.id}`)).status).toBe(204);
});
