import type { DomainEvent } from '@lbaas/events';
import { evolveCatalog, initialCatalog, type Catalog } from './catalog';

const LB = '6f1c2a9e-0000-4000-8000-000000000001';
const L1 = '6f1c2a9e-0000-4000-8000-0000000000a1';
const L2 = '6f1c2a9e-0000-4000-8000-0000000000a2';
const t = (s: number) => `2026-11-25T00:00:${String(s).padStart(2, '0')}.000Z`;
let seq = 0;
const fold = (c: Catalog, subject: string, ...events: DomainEvent[]) =>
  evolveCatalog(c, { commitId: `c${++seq}`, at: t(0), actor: { kind: 'service', service: 'test' }, events, seq, subject });
const lbSubject = `lbaas.evt.lb.${LB}`;
const created: DomainEvent = {
  type: 'LoadBalancerCreated', v: 1, data: {
    lbId: LB, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: '10.231.0.10', vipSubnetId: 'sub1',
    vipNetworkId: 'net1', vipPortId: 'port1', provider: 'lbaas', at: t(1),
  },
};
const placed = (epoch: number, at: string): DomainEvent => ({ type: 'LoadBalancerPlaced', v: 1, data: { lbId: LB, agentId: `a${epoch}`, epoch, reason: 'initial', at } });
const applied = (epoch: number, version: number, at: string): DomainEvent =>
  ({ type: 'DesiredStateApplied', v: 1, data: { lbId: LB, agentId: `a${epoch}`, epoch, version, at } });
const listener = (listenerId: string, at: string): DomainEvent => ({
  type: 'ListenerCreated', v: 1, data: {
    lbId: LB, listenerId, protocol: 'HTTP', protocolPort: listenerId === L1 ? 80 : 81, name: '', description: '', adminStateUp: true,
    connectionLimit: -1, defaultPoolId: null, insertHeaders: {}, timeoutClientData: 1, timeoutMemberConnect: 1, timeoutMemberData: 1,
    timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at,
  },
});

describe('the load-balancer view: updated_at as Octavia sets it', () => {
  it('is null for a new object until its agent applied it, then the time of that report', () => {
    let c = fold(initialCatalog(), lbSubject, created, placed(1, t(2)), applied(1, 2, t(3)));
    c = fold(c, lbSubject, listener(L1, t(4)));
    const lb = c.loadBalancers.lbs.get(LB)!;
    expect(lb.listeners.get(L1)!.updatedAt).toBeNull();
    c = fold(c, lbSubject, applied(1, 3, t(5)));
    expect(lb.listeners.get(L1)!.updatedAt).toBe(t(5));
    expect(lb.updatedAt).toBe(t(5));
  });
  it('stamps only what the report covers', () => {
    let c = fold(initialCatalog(), lbSubject, created, placed(1, t(2)), applied(1, 2, t(3)), listener(L1, t(4)), applied(1, 3, t(5)));
    c = fold(c, lbSubject, listener(L2, t(6)), applied(1, 4, t(7)));
    const lb = c.loadBalancers.lbs.get(LB)!;
    expect([lb.listeners.get(L1)!.updatedAt, lb.listeners.get(L2)!.updatedAt]).toEqual([t(5), t(7)]);
  });
  it('ignores a report of a superseded placement', () => {
    let c = fold(initialCatalog(), lbSubject, created, placed(1, t(2)), listener(L1, t(3)), placed(2, t(4)));
    c = fold(c, lbSubject, applied(1, 3, t(5)));
    expect(c.loadBalancers.lbs.get(LB)!.listeners.get(L1)!.updatedAt).toBeNull();
  });
});

describe('the load-balancer view: placement (the amphora record)', () => {
  it('notes the version a placement made and when its agent first applied it', () => {
    let c = fold(initialCatalog(), lbSubject, created, placed(1, t(2)));
    const lb = c.loadBalancers.lbs.get(LB)!;
    expect(lb.placement).toEqual({ agentId: 'a1', epoch: 1, at: t(2), version: 2, appliedAt: null });
    c = fold(c, lbSubject, applied(1, 2, t(3)));
    expect(lb.placement?.appliedAt).toBe(t(3));
    c = fold(c, lbSubject, placed(2, t(4)));
    expect(c.loadBalancers.lbs.get(LB)!.placement).toEqual({ agentId: 'a2', epoch: 2, at: t(4), version: 3, appliedAt: null });
  });
});

describe('the offerings view', () => {
  it('folds flavors, profiles and zones', () => {
    let c = fold(initialCatalog(), 'lbaas.evt.flavor.lbaas',
      { type: 'FlavorProfileCreated', v: 1, data: { provider: 'lbaas', flavorProfileId: 'fp', name: 'p', providerName: 'lbaas', flavorData: '{}', at: t(1) } },
      { type: 'FlavorCreated', v: 1, data: { provider: 'lbaas', flavorId: 'f', name: 'small', description: '', enabled: true, flavorProfileId: 'fp', at: t(1) } },
      { type: 'FlavorSettingsChanged', v: 1, data: { provider: 'lbaas', flavorId: 'f', changes: { enabled: false }, at: t(2) } });
    c = fold(c, 'lbaas.evt.az.lbaas',
      { type: 'AvailabilityZoneProfileCreated', v: 1, data: { provider: 'lbaas', availabilityZoneProfileId: 'zp', name: 'z', providerName: 'lbaas', availabilityZoneData: '{}', at: t(1) } },
      { type: 'AvailabilityZoneCreated', v: 1, data: { provider: 'lbaas', name: 'az1', description: '', enabled: true, availabilityZoneProfileId: 'zp', at: t(1) } },
      { type: 'AvailabilityZoneDeleted', v: 1, data: { provider: 'lbaas', name: 'az1', at: t(3) } });
    expect(c.offerings.flavors.get('f')).toEqual({ flavorId: 'f', name: 'small', description: '', enabled: false, flavorProfileId: 'fp' });
    expect([...c.offerings.zones.keys()]).toEqual([]);
    expect([...c.offerings.zoneProfiles.keys()]).toEqual(['zp']);
  });
});
