import { apiHarness } from './api-harness.fixtures';

/**
 * A burst of creates on one subnet (issue 11): the VIP allocations that queue on the subnet aggregate while one is
 * being stored are decided together and stored as one commit (Writes.sendBatched), each caller answered with its own
 * address or its own refusal. Against a real nats-server, through HTTP (Fastify's inject).
 */
const h = apiHarness({ agentId: 'agent-vb', host: 'host-vb' });
const P = { 'x-project-id': 'proj-vb' };
const BURST = 24;

describe('VIP allocations of a burst share commits', () => {
  let subnetId = '';

  beforeAll(async () => {
    const n = await h.api('POST', '/v2.0/networks', { network: { name: 'vb', 'provider:physical_network': 'physnet1' } }, P);
    const s = await h.api('POST', '/v2.0/subnets', {
      subnet: { name: 'vb-sub', network_id: n.body.network.id, cidr: '198.51.100.0/24', ip_version: 4, allocation_pools: [{ start: '198.51.100.10', end: '198.51.100.60' }] },
    }, P);
    expect(s.status).toBe(201);
    subnetId = s.body.subnet.id;
  });

  it('gives every LB of a concurrent burst its own address in fewer commits than LBs; a taken address is refused alone', async () => {
    const create = (name: string, address?: string) => h.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name, vip_subnet_id: subnetId, ...(address ? { vip_address: address } : {}) } }, P);
    // Two of them ask for the same address: exactly one gets it, in whichever commit comes first.
    const replies = await Promise.all([
      ...Array.from({ length: BURST }, (_, i) => create(`vb${i}`)), create('twin-a', '198.51.100.55'), create('twin-b', '198.51.100.55'),
    ]);
    const created = replies.filter((r) => r.status === 201);
    const refused = replies.filter((r) => r.status !== 201);
    expect(created).toHaveLength(BURST + 1);
    expect(refused.map((r) => [r.status, r.body.faultstring])).toEqual([[409, `IP address 198.51.100.55 already allocated in subnet ${subnetId}`]]);
    const addresses = created.map((r) => r.body.loadbalancer.vip_address as string);
    expect(new Set(addresses).size).toBe(BURST + 1);
    expect(addresses).toContain('198.51.100.55');
    // The subnet's history: every allocation is there, in fewer commits than allocations (one each before).
    const { commits } = await h.store.read<{ type: string; data: { lbId?: string; address?: string } }>({ aggregate: 'subnet', id: subnetId });
    const allocating = commits.filter((c) => c.events.some((e) => e.type === 'VipAllocated'));
    const allocated = allocating.flatMap((c) => c.events.filter((e) => e.type === 'VipAllocated'));
    expect(allocated).toHaveLength(BURST + 1);
    expect(allocating.length).toBeLessThan(BURST);
    console.log(`${BURST + 2} concurrent creates: ${allocated.length} allocations in ${allocating.length} commits`);
    // Each LB's VIP is the address its commit allocated for it.
    const byLb = new Map(allocated.map((e) => [e.data.lbId, e.data.address]));
    for (const r of created) expect(byLb.get(r.body.loadbalancer.id)).toBe(r.body.loadbalancer.vip_address);
  });

  it('allocates for a lone create as before (a batch of one)', async () => {
    const r = await h.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'alone', vip_subnet_id: subnetId } }, P);
    expect(r.status).toBe(201);
    const again = await h.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'taken', vip_subnet_id: subnetId, vip_address: r.body.loadbalancer.vip_address } }, P);
    expect(again.status).toBe(409);
  });
});
