import type { DomainEvent } from '@lbaas/events';
import { evolveCatalog, initialCatalog, type Catalog } from './catalog';

/**
 * Deleted children live in the view (every api replica folds the same history, so each shows the same thing): a
 * deleted listener, pool, member or health monitor is kept, with its owner entry, until the hosting agent reports the
 * version without it applied (Octavia's PENDING_DELETE), then dropped.
 */
const LB = '6f1c2a9e-0000-4000-8000-0000000000d1';
const S = `lbaas.evt.lb.${LB}`;
const at = '2026-11-25T00:00:00.000Z';
let seq = 0;
const fold = (c: Catalog, ...events: DomainEvent[]): Catalog =>
  evolveCatalog(c, { commitId: `c${++seq}`, at, actor: { kind: 'service', service: 'test' }, events, seq, subject: S });

const tree = (): Catalog => {
  let c = initialCatalog();
  c = fold(c, { type: 'LoadBalancerCreated', v: 1, data: {
    lbId: LB, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '10.231.0.10', vipSubnetId: 'sub1',
    vipNetworkId: 'net1', vipPortId: 'port1', provider: 'haproxy', at } });
  c = fold(c, { type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, reason: 'initial', at } });
  c = fold(c, { type: 'ListenerCreated', v: 1, data: { lbId: LB, listenerId: 'l1', protocol: 'HTTP', protocolPort: 80, name: 'web', description: '',
    adminStateUp: true, connectionLimit: -1, defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000,
    timeoutMemberData: 50000, timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at } });
  c = fold(c, { type: 'PoolCreated', v: 1, data: { lbId: LB, poolId: 'p1', listenerId: 'l1', protocol: 'HTTP', name: '', description: '',
    adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, tags: [], at } });
  for (const memberId of ['m1', 'm2']) {
    c = fold(c, { type: 'MemberCreated', v: 1, data: { lbId: LB, poolId: 'p1', memberId, address: '10.231.1.11', protocolPort: 8080, subnetId: null,
      name: memberId, adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [], at } });
  }
  c = fold(c, { type: 'HealthMonitorCreated', v: 1, data: { lbId: LB, poolId: 'p1', healthMonitorId: 'h1', type: 'HTTP', name: '', adminStateUp: true,
    delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null,
    domainName: null, tags: [], at } });
  return applied(c);
};
const lbOf = (c: Catalog) => c.loadBalancers.lbs.get(LB)!;
const applied = (c: Catalog, version = lbOf(c).version, epoch = 1) =>
  fold(c, { type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: 'a1', epoch, version, at } });

describe('deleted children in the load-balancer view', () => {
  const cases: [string, DomainEvent, string, string][] = [
    ['a member', { type: 'MemberDeleted', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', at } }, 'm1', 'member'],
    ['a health monitor', { type: 'HealthMonitorDeleted', v: 1, data: { lbId: LB, healthMonitorId: 'h1', at } }, 'h1', 'healthMonitor'],
    ['a pool', { type: 'PoolDeleted', v: 1, data: { lbId: LB, poolId: 'p1', at } }, 'p1', 'pool'],
    ['a listener', { type: 'ListenerDeleted', v: 1, data: { lbId: LB, listenerId: 'l1', at } }, 'l1', 'listener'],
  ];

  it.each(cases)('keeps %s, with its last settings and its owner entry, until the deletion is applied', (_what, deleted, id, kind) => {
    let c = fold(tree(), deleted);
    const lb = lbOf(c);
    expect(lb.deletedChildren.get(id)).toMatchObject({ kind, version: lb.version, view: expect.objectContaining({ lbId: LB }) });
    expect(c.loadBalancers.owner.get(id)).toBe(LB);
    // An older version applied (the agent had not seen the deletion yet): still there.
    c = applied(c, lb.version - 1);
    expect(lbOf(c).deletedChildren.has(id)).toBe(true);
    // The version without it applied: gone from the view, owner entry too.
    c = applied(c);
    expect(lbOf(c).deletedChildren.has(id)).toBe(false);
    expect(c.loadBalancers.owner.has(id)).toBe(false);
  });

  it('keeps the member a pool deletion takes with it out of the deleted children (its pool is the one shown)', () => {
    const c = fold(tree(), { type: 'PoolDeleted', v: 1, data: { lbId: LB, poolId: 'p1', at } });
    expect([...lbOf(c).deletedChildren.keys()].sort()).toEqual(['p1']);
    expect(lbOf(c).members.size).toBe(0);
  });

  it('does not drop a deleted child on an applied report of another placement epoch', () => {
    let c = fold(tree(), { type: 'MemberDeleted', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm2', at } });
    c = applied(c, lbOf(c).version, 7);
    expect(lbOf(c).deletedChildren.has('m2')).toBe(true);
  });

  it('forgets every deleted child with the load balancer once its teardown is applied', () => {
    let c = fold(tree(), { type: 'MemberDeleted', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', at } });
    c = fold(c, { type: 'LoadBalancerDeleted', v: 1, data: { lbId: LB, cascade: true, at } });
    c = applied(c);
    expect(c.loadBalancers.lbs.has(LB)).toBe(false);
    expect(c.loadBalancers.owner.has('m1')).toBe(false);
  });
});
