import type { LoadBalancerEvent } from '@lbaas/events';
import { initialLoadBalancers, evolveLoadBalancers, type LoadBalancersView } from './load-balancers';
import { listenerPolicies } from './l7';

const LB = '6f1c2a9e-0000-4000-8000-000000000001';
const L = '7a000000-0000-4000-8000-000000000001';
const at = '2026-11-25T00:00:00.000Z';
const policy = (l7PolicyId: string, position: number): LoadBalancerEvent => ({
  type: 'L7PolicyCreated', v: 1, data: {
    lbId: LB, listenerId: L, l7PolicyId, name: '', description: '', adminStateUp: true, action: 'REJECT', position,
    redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, tags: [], at,
  },
});
const fold = (...events: LoadBalancerEvent[]): LoadBalancersView => {
  let v = initialLoadBalancers();
  const all: LoadBalancerEvent[] = [
    { type: 'LoadBalancerCreated', v: 1, data: { lbId: LB, projectId: 'p', name: '', description: '', adminStateUp: true, tags: [], vipAddress: '10.0.0.5', vipSubnetId: 's', vipNetworkId: 'n', vipPortId: 'pt', provider: 'lbaas', at } },
    { type: 'ListenerCreated', v: 1, data: { lbId: LB, listenerId: L, protocol: 'HTTP', protocolPort: 80, name: '', description: '', adminStateUp: true, connectionLimit: -1, defaultPoolId: null, insertHeaders: {}, timeoutClientData: 1, timeoutMemberConnect: 1, timeoutMemberData: 1, timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at } },
    ...events,
  ];
  all.forEach((e, i) => { v = evolveLoadBalancers(v, e, i + 1); });
  return v;
};
const order = (v: LoadBalancersView) => listenerPolicies(v.lbs.get(LB)!, L).map((p) => `${p.l7PolicyId}@${p.position}`);

describe('L7 policy positions (Octavia ordering list)', () => {
  it('appends, inserts (shifting the others) and clamps a position past the end', () =>
    expect(order(fold(policy('a', 1), policy('b', 2), policy('c', 1), policy('d', 99)))).toEqual(['c@1', 'a@2', 'b@3', 'd@4']));
  it('moves a policy on update and closes the gap on delete', () => {
    const v = fold(policy('a', 1), policy('b', 2), policy('c', 3),
      { type: 'L7PolicySettingsChanged', v: 1, data: { lbId: LB, l7PolicyId: 'c', changes: { position: 1 }, at } },
      { type: 'L7PolicyDeleted', v: 1, data: { lbId: LB, l7PolicyId: 'a', at } });
    expect(order(v)).toEqual(['c@1', 'b@2']);
  });
  it('forgets the policies and rules of a deleted listener, owner index included', () => {
    const v = fold(policy('a', 1),
      { type: 'L7RuleCreated', v: 1, data: { lbId: LB, l7PolicyId: 'a', l7RuleId: 'r', type: 'PATH', compareType: 'EQUAL_TO', key: null, value: '/', invert: false, adminStateUp: true, tags: [], at } },
      { type: 'ListenerDeleted', v: 1, data: { lbId: LB, listenerId: L, at } });
    expect(v.lbs.get(LB)!.l7Policies.size).toBe(0);
    expect(v.lbs.get(LB)!.l7Rules.size).toBe(0);
    expect([v.owner.has('a'), v.owner.has('r')]).toEqual([false, false]);
  });
});
