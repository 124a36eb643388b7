import type { DomainEvent } from '@lbaas/events';
import { evolveCatalog, initialCatalog, type Catalog } from './catalog';
import { lbOperatingStatus, lbProvisioningStatus, memberOperatingStatus } from './status';

const LB = '6f1c2a9e-0000-4000-8000-000000000001';
const at = '2026-11-25T00:00:00.000Z';
let seq = 0;
const fold = (c: Catalog, ...events: DomainEvent[]) =>
  evolveCatalog(c, { commitId: `c${++seq}`, at, actor: { kind: 'service' as const, service: 'test' }, events, seq, subject: `lbaas.evt.lb.${LB}` });
const lbOf = (c: Catalog) => c.loadBalancers.lbs.get(LB)!;
const memberOf = (c: Catalog) => lbOf(c).members.get('m1')!;

/** A placed LB (epoch 1, agent a1) with a pool, an HTTP monitor and member m1, all applied; m1 reported ONLINE. */
function serving(): Catalog {
  let c = initialCatalog();
  c = fold(c, { type: 'LoadBalancerCreated', v: 1, data: { lbId: LB, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '10.0.0.10', vipSubnetId: 's', vipNetworkId: 'n', vipPortId: 'port', provider: 'haproxy', at } });
  c = fold(c, { type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, reason: 'initial', at } });
  c = fold(c, { type: 'PoolCreated', v: 1, data: { lbId: LB, poolId: 'p1', listenerId: null, protocol: 'HTTP', name: '', description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, tags: [], at } });
  c = fold(c, { type: 'MemberCreated', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', address: '10.0.1.11', protocolPort: 80, subnetId: null, name: '', adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [], at } });
  c = fold(c, { type: 'HealthMonitorCreated', v: 1, data: { lbId: LB, poolId: 'p1', healthMonitorId: 'h1', type: 'HTTP', name: '', adminStateUp: true, delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, tags: [], at } });
  c = fold(c, { type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, version: lbOf(c).version, at } });
  return fold(c, { type: 'MemberOperatingStatusChanged', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', agentId: 'a1', epoch: 1, status: 'ONLINE', at } });
}

describe('status after a failover', () => {
  it('keeps a serving member ONLINE while its load balancer moves, until the new host reports', () => {
    let c = serving();
    c = fold(c, { type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, reason: 'failover', at } });
    c = fold(c, { type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, version: lbOf(c).version, at } });
    expect(lbProvisioningStatus(lbOf(c))).toBe('ACTIVE');
    expect(memberOperatingStatus(lbOf(c), memberOf(c))).toBe('ONLINE');
    c = fold(c, { type: 'MemberOperatingStatusChanged', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', agentId: 'a2', epoch: 2, status: 'ERROR', at } });
    expect(memberOperatingStatus(lbOf(c), memberOf(c))).toBe('ERROR');
    expect(memberOf(c).reportedEpoch).toBe(2);
  });

  it('ignores a late status from the old host', () => {
    let c = serving();
    c = fold(c, { type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, reason: 'failover', at } });
    c = fold(c, { type: 'MemberOperatingStatusChanged', v: 1, data: { lbId: LB, poolId: 'p1', memberId: 'm1', agentId: 'a1', epoch: 1, status: 'ERROR', at } });
    expect(memberOperatingStatus(lbOf(c), memberOf(c))).toBe('ONLINE');
  });
});

describe('status of a version that was applied and then could not be built', () => {
  it('is ERROR (provisioning and operating) after a rejection of the applied version, and ACTIVE/ONLINE once rebuilt', () => {
    let c = serving();
    const version = lbOf(c).version;
    c = fold(c, { type: 'DesiredStateRejected', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, version, reason: 'missing certificate', at } });
    expect(lbProvisioningStatus(lbOf(c))).toBe('ERROR');
    expect(lbOperatingStatus(lbOf(c))).toBe('ERROR');
    expect(lbOf(c).rejected?.reason).toBe('missing certificate');
    c = fold(c, { type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: 'a1', epoch: 1, version, at } });
    expect(lbProvisioningStatus(lbOf(c))).toBe('ACTIVE');
    expect(lbOperatingStatus(lbOf(c))).toBe('ONLINE');
  });

  it('is ERROR when a new host rejects the version the old host had applied', () => {
    let c = serving();
    c = fold(c, { type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, reason: 'failover', at } });
    c = fold(c, { type: 'DesiredStateRejected', v: 1, data: { lbId: LB, agentId: 'a2', epoch: 2, version: lbOf(c).version, reason: 'no bridge mapping', at } });
    expect(lbProvisioningStatus(lbOf(c))).toBe('ERROR');
    expect(lbOperatingStatus(lbOf(c))).toBe('ERROR');
  });
});
