import type { EventEnvelope } from '@lbaas/contracts';
import { evolveCatalog, initialCatalog } from '@lbaas/projections';
import { fetchStats, listenerStats, sumStats } from './stats';

const LB = '11111111-1111-4111-8111-111111111111';
const L1 = '22222222-2222-4222-8222-222222222222';
const L2 = '33333333-3333-4333-8333-333333333333';
const ev = (type: string, data: Record<string, unknown>): EventEnvelope => ({ type, v: 1, data: { at: '2026-01-01T00:00:00Z', ...data } });
const listener = (listenerId: string, protocolPort: number) => ev('ListenerCreated', {
  lbId: LB, listenerId, protocol: 'HTTP', protocolPort, name: '', description: '', adminStateUp: true, connectionLimit: -1, defaultPoolId: null,
  insertHeaders: {}, timeoutClientData: 1, timeoutMemberConnect: 1, timeoutMemberData: 1, timeoutTcpInspect: 0, allowedCidrs: null, tags: [],
});
const catalog = initialCatalog();
evolveCatalog(catalog, {
  commitId: 'c', at: '', actor: { kind: 'user', service: 'api' }, seq: 1, subject: `lbaas.evt.lb.${LB}`,
  events: [ev('LoadBalancerCreated', { lbId: LB, projectId: 'p', name: '', description: '', adminStateUp: true, tags: [], vipAddress: '10.0.0.5', vipSubnetId: 's', vipNetworkId: 'n', vipPortId: 'x', provider: 'lbaas' }), listener(L1, 80), listener(L2, 81)],
});
const lb = catalog.loadBalancers.lbs.get(LB)!;

describe('statistics from the hosting agent', () => {
  const answer = { agentId: 'a', loadBalancers: { [LB]: [
    { pxname: L1, svname: 'FRONTEND', bin: '100', bout: '2000', scur: '3', stot: '40', ereq: '1' },
    { pxname: L2, svname: 'FRONTEND', bin: '5', bout: '6', scur: '0', stot: '2', ereq: '0' },
    { pxname: 'pool', svname: 'member', bin: '999', bout: '999', scur: '9', stot: '9', ereq: '' },
  ] } };
  it('reads each listener\'s FRONTEND row of haproxy\'s show stat', () => {
    expect(listenerStats(lb, answer).get(L1)).toEqual({ bytes_in: 100, bytes_out: 2000, active_connections: 3, total_connections: 40, request_errors: 1 });
  });
  it('sums the listeners for the load balancer', () => {
    expect(sumStats(listenerStats(lb, answer).values())).toEqual({ bytes_in: 105, bytes_out: 2006, active_connections: 3, total_connections: 42, request_errors: 1 });
  });
  it('reads zeros when the load balancer is not placed or its agent is silent', async () => {
    expect(sumStats((await fetchStats(lb, async () => { throw new Error('timeout'); })).values()).total_connections).toBe(0);
    expect(listenerStats(lb, { loadBalancers: { [LB]: { error: 'no socket' } } }).get(L2)?.bytes_in).toBe(0);
  });
});
