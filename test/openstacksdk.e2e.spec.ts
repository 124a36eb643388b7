import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { canUseNetns, createBridge, netnsRunId, removeLinks } from '@lbaas/testing';
import { apiClient, startStack, type Stack } from './support/stack';

/**
 * openstacksdk's `load_balancer` proxy (Debian python3-openstacksdk 0.101, what Ansible and Terraform-adjacent tooling
 * use) against a real stack, with `auth_type='none'` and the endpoint only: flavors and availability zones with their
 * profiles, the provider's capabilities, a load balancer of both and its whole tree (the SDK's filters included),
 * amphorae (configure; failover in amphora-failover.e2e.spec.ts), quotas, and bottom-up deletion. One Python process (test/support/openstacksdk-session.py).
 */
const PYTHON = '/usr/bin/python3';
const root = canUseNetns();
const have = existsSync('/usr/lib/python3/dist-packages/openstack/load_balancer');
if (!root || !have) console.warn('SKIPPED LOUDLY: test/openstacksdk.e2e.spec.ts needs root and python3-openstacksdk; CI has both');
const maybe = root && have ? describe : describe.skip;

maybe('openstacksdk drives the load_balancer API', () => {
  const id = netnsRunId();
  const bridge = `brs${id}`;
  const prefix = `10.245.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  let stack: Stack;
  let subnet = '';

  beforeAll(async () => {
    await createBridge(bridge);
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 2, env: { AVAILABILITY_ZONE: 'rack-s' } });
    const api = apiClient(stack.apiUrl);
    const net = await api.post('/v2.0/networks', { network: { name: `sdk-${id}`, 'provider:physical_network': `physnet-${id}` } });
    subnet = (await api.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1` } })).body.subnet.id;
  }, 180_000);

  afterAll(async () => {
    await stack?.stop();
    await removeLinks(bridge);
  }, 120_000);

  it('covers flavors, zones, capabilities, a load balancer tree, amphorae, quotas and deletion', async () => {
    const out = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [join(__dirname, 'support', 'openstacksdk-session.py'), stack.apiUrl, subnet, prefix, 'e2e-project'], { timeout: 240_000 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout))));
    const r = JSON.parse(out);
    expect(r.offerings).toEqual({
      flavor_profiles: ['sdk-fp'], flavors: [['sdk-flavor', 'three thousand', true]], find_flavor: true,
      availability_zone_profiles: ['sdk-azp'], availability_zones: [['sdk-az', 'rack s']], get_availability_zone: true, providers: ['lbaas'],
      flavor_capabilities: ['loadbalancer_topology', 'max_listeners', 'max_listener_connections'], az_capabilities: ['compute_zone', 'valid_vip_networks'],
    });
    expect(r.lb_create).toEqual({ flavor_id: true, availability_zone: 'sdk-az', status: 'PENDING_CREATE' });
    expect(r.tree).toEqual({
      listeners_by_lb: ['sdk-l'], listeners_other_lb: [], pools_by_lb: ['sdk-p'], pools_by_listener: ['sdk-p'], members: ['sdk-m'], find_member: true,
      health_monitors: [['sdk-hm', 5, 10]], l7_policies: ['sdk-pol'], l7_rules: ['/admin'],
      listener: { connection_limit: 3000, description: 'sdk listener', updated_at: true },
      lb_stats: ['active_connections', 'bytes_in', 'bytes_out', 'request_errors', 'total_connections'],
    });
    expect(r.amphorae).toEqual({ count: 1, role: 'STANDALONE', status: 'ALLOCATED', cached_zone: 'rack-s', ha_ip: true, by_role: 1 });
    expect(r.quota).toEqual({ pools: 7, listeners: null, default_listeners: -1 });
    expect(r.refused.pool_with_monitor).toMatchObject({ status: 409, message: expect.stringContaining('pool is using healthmonitor') });
    expect(r.refused.flavor_in_use).toMatchObject({ status: 409, message: expect.stringContaining('is in use and cannot be modified') });
    expect(r.refused.lb_with_children).toMatchObject({ status: 400, message: expect.stringContaining('it has children') });
    expect(r.left).toEqual({ flavors: [], availability_zones: [], load_balancers: [] });
  });
});
