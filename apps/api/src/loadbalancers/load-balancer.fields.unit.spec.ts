import type { EventEnvelope } from '@lbaas/contracts';
import { evolveCatalog, initialCatalog, type Catalog } from '@lbaas/projections';
import type { ApiError } from '../http/errors';
import { LISTENER } from '../listeners/listener.fields';
import { renderPool } from '../pools/pool.fields';
import { renderLoadBalancer } from './load-balancer.fields';
import { renderStatusTree } from './load-balancer.render';
import { chooseVipSubnet, freeAddresses, type VipNetworks } from './vip-subnet';

const LB = '11111111-1111-4111-8111-111111111111';
const LIS = '22222222-2222-4222-8222-222222222222';
const POOL = '33333333-3333-4333-8333-333333333333';
const NET = '44444444-4444-4444-8444-444444444444';
const SUB = '55555555-5555-4555-8555-555555555555';
const SUB2 = '66666666-6666-4666-8666-666666666666';
const AT = '2026-11-25T21:28:15.123Z';

function catalogOf(...commits: [string, EventEnvelope[]][]): Catalog {
  const c = initialCatalog();
  commits.forEach(([subject, events], i) =>
    evolveCatalog(c, { commitId: `c${i}`, at: AT, actor: { kind: 'user', service: 'api' }, events, seq: i + 1, subject }));
  return c;
}
const ev = (type: string, data: Record<string, unknown>): EventEnvelope => ({ type, v: 1, data: { at: AT, ...data } });
const network = (): [string, EventEnvelope[]] => [`lbaas.evt.network.${NET}`, [ev('NetworkCreated', { networkId: NET, projectId: 'p', name: 'n', physicalNetwork: 'physnet1', networkType: 'flat', shared: false })]];
const subnet = (id: string, cidr: string, start: string, end: string): [string, EventEnvelope[]] =>
  [`lbaas.evt.subnet.${id}`, [ev('SubnetCreated', { subnetId: id, networkId: NET, projectId: 'p', name: 's', ipVersion: 4, cidr, gatewayIp: null, allocationPools: [{ start, end }] })]];
const lbCreated = (): [string, EventEnvelope[]] => [`lbaas.evt.lb.${LB}`, [ev('LoadBalancerCreated', {
  lbId: LB, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '10.0.0.5', vipSubnetId: SUB,
  vipNetworkId: NET, vipPortId: 'port', provider: 'lbaas',
})]];
const listener = (): [string, EventEnvelope[]] => [`lbaas.evt.lb.${LB}`, [ev('ListenerCreated', {
  lbId: LB, listenerId: LIS, protocol: 'HTTP', protocolPort: 80, name: '', description: '', adminStateUp: true, connectionLimit: -1,
  defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000,
  timeoutTcpInspect: 0, allowedCidrs: null, tags: [],
})]];
const pool = (): [string, EventEnvelope[]] => [`lbaas.evt.lb.${LB}`, [ev('PoolCreated', {
  lbId: LB, poolId: POOL, listenerId: LIS, protocol: 'HTTP', name: '', description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN',
  sessionPersistence: null, tags: [],
})]];

describe('load balancer on the wire', () => {
  const c = catalogOf(lbCreated(), listener(), pool());
  const lb = c.loadBalancers.lbs.get(LB)!;

  it('puts listeners and pools first in the POST answer and after additional_vips elsewhere', () => {
    const created = Object.keys(renderLoadBalancer(lb, 'create'));
    const shown = Object.keys(renderLoadBalancer(lb));
    expect(created.slice(0, 3)).toEqual(['listeners', 'pools', 'id']);
    expect(shown.slice(shown.indexOf('additional_vips'), shown.indexOf('additional_vips') + 3)).toEqual(['additional_vips', 'listeners', 'pools']);
    expect(shown.at(-1)).toBe('tenant_id');
  });

  it('prints naive timestamps and references as [{id}]', () => {
    expect(renderLoadBalancer(lb)).toMatchObject({ created_at: '2026-11-25T21:28:15', listeners: [{ id: LIS }], pools: [{ id: POOL }], tenant_id: 'p' });
  });

  it('shows the default pool on its listener and healthmonitor_id only outside the POST answer', () => {
    expect(LISTENER.render({ lb, listener: lb.listeners.get(LIS)! })).toMatchObject({ default_pool_id: POOL, loadbalancers: [{ id: LB }] });
    expect(renderPool({ lb, pool: lb.pools.get(POOL)! }, 'create')).not.toHaveProperty('healthmonitor_id');
    expect(renderPool({ lb, pool: lb.pools.get(POOL)! })).toMatchObject({ healthmonitor_id: null, listeners: [{ id: LIS }] });
  });

  it('reaches pools through their listener in the status tree', () => {
    const tree = renderStatusTree(lb) as { statuses: { loadbalancer: { listeners: { pools: { id: string }[] }[] } } };
    expect(tree.statuses.loadbalancer.listeners[0].pools.map((p) => p.id)).toEqual([POOL]);
  });
});

/** Every network and subnet of the catalog (the lookup narrows them to the caller's; see cross-project.int.spec.ts). */
const networksOf = (c: Catalog): VipNetworks => ({ subnet: (id) => c.networks.subnets.get(id), network: (id) => c.networks.networks.get(id) });

describe('choosing the VIP subnet', () => {
  const c = catalogOf(network(), subnet(SUB, '10.0.0.0/24', '10.0.0.10', '10.0.0.10'), subnet(SUB2, '10.0.1.0/24', '10.0.1.10', '10.0.1.20'));
  const choose = (req: Partial<{ vipSubnetId: string; vipNetworkId: string; vipAddress: string }>) => {
    try {
      return chooseVipSubnet(networksOf(c), { vipSubnetId: null, vipNetworkId: null, vipAddress: null, ...req }).subnetId;
    } catch (err) {
      return `${(err as ApiError).status} ${(err as ApiError).message}`;
    }
  };

  it('takes the named subnet, checking network and address', () => {
    expect(choose({ vipSubnetId: SUB })).toBe(SUB);
    expect(choose({ vipSubnetId: SUB, vipAddress: '10.0.1.5' })).toBe(`400 Validation failure: VIP address 10.0.1.5 is not in subnet ${SUB} (10.0.0.0/24).`);
    expect(choose({ vipSubnetId: SUB, vipNetworkId: SUB2 })).toBe(`400 Validation failure: Subnet ${SUB} is not on network ${SUB2}.`);
    expect(choose({ vipSubnetId: LB })).toBe(`400 Subnet ${LB} not found.`);
  });

  it('picks a subnet of the network with a free address, or the one holding vip_address', () => {
    expect(choose({ vipNetworkId: NET })).toBe(SUB);
    expect(choose({ vipNetworkId: NET, vipAddress: '10.0.1.15' })).toBe(SUB2);
    expect(choose({ vipNetworkId: LB })).toBe(`400 Network ${LB} not found.`);
    const full = catalogOf(network(), subnet(SUB, '10.0.0.0/24', '10.0.0.10', '10.0.0.10'),
      [`lbaas.evt.subnet.${SUB}`, [ev('VipAllocated', { subnetId: SUB, address: '10.0.0.10', lbId: LB, portId: 'p' })]]);
    expect(freeAddresses(full.networks.subnets.get(SUB)!)).toBe(0);
    expect(() => chooseVipSubnet(networksOf(full), { vipSubnetId: null, vipNetworkId: NET, vipAddress: null }))
      .toThrow(`Validation failure: No subnet on network ${NET} has a free IP address for the VIP.`);
  });
});
