import type { LoadBalancerCommand, LoadBalancerEvent } from '@lbaas/events';
import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  LB, LISTENER, MEMBER, POOL, active, createListener, createLb, createMember, createMonitor, createPool, lbCreated, listenerCreated,
  memberCreated, memberDeleted, memberSettingsChanged, metadata, monitorCreated, poolCreated,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);
const M2 = '11111111-2222-4333-8444-555555555555';

const graph = (): LoadBalancerCommand => ({
  type: 'CreateLoadBalancerGraph',
  data: {
    loadBalancer: createLb().data,
    steps: [
      { type: 'CreateListener', data: createListener().data },
      { type: 'CreatePool', data: createPool().data },
      { type: 'CreateMember', data: createMember().data },
      { type: 'CreateMember', data: createMember({ memberId: M2, address: '192.0.2.12' }).data },
      { type: 'CreateHealthMonitor', data: createMonitor().data },
    ],
  },
  metadata,
});
const batch = (members: { address: string; port?: number; id?: string; weight?: number }[], additiveOnly = false): LoadBalancerCommand => ({
  type: 'BatchUpdateMembers',
  data: {
    lbId: LB, poolId: POOL, additiveOnly,
    members: members.map((m) => ({
      memberId: m.id ?? M2, address: m.address, protocolPort: m.port ?? 8080, subnetId: null, settings: m.weight === undefined ? {} : { weight: m.weight },
    })),
  },
  metadata,
});

describe('CreateLoadBalancerGraph', () => {
  it('creates the whole tree in one decision, in order', () =>
    given([]).when(graph()).then([
      lbCreated(), listenerCreated(), poolCreated(), memberCreated(), memberCreated({ memberId: M2, address: '192.0.2.12' }), monitorCreated(),
    ] as LoadBalancerEvent[]));
  it('treats a retried graph as already done', () => given([lbCreated()]).when(graph()).then([]));
  it('refuses the whole graph when one child breaks a rule (duplicate member)', () => {
    const c = graph() as Extract<LoadBalancerCommand, { type: 'CreateLoadBalancerGraph' }>;
    const bad = { ...c, data: { ...c.data, steps: [...c.data.steps, { type: 'CreateMember' as const, data: createMember({ memberId: 'x' }).data }] } };
    given([]).when(bad).thenThrows('Conflict');
  });
});

describe('BatchUpdateMembers', () => {
  const tree = () => active(listenerCreated(), poolCreated({ listenerId: LISTENER }), memberCreated());
  it('creates new members, updates matched ones and deletes the rest', () =>
    given(tree()).when(batch([{ address: '192.0.2.12' }])).then([memberCreated({ memberId: M2, address: '192.0.2.12', name: '' }), memberDeleted(MEMBER)]));
  it('keeps absent members with additive_only', () =>
    given(tree()).when(batch([{ address: '192.0.2.11', weight: 5 }], true)).then([memberSettingsChanged({ weight: 5 })]));
  it('is a no-op when nothing changes', () => given(tree()).when(batch([{ address: '192.0.2.11' }])).then([]));
  it('refuses the same member twice', () =>
    given(tree()).when(batch([{ address: '192.0.2.11' }, { address: '192.0.2.11' }])).thenThrows('Invalid'));
  it('refuses while the tree is PENDING_*', () =>
    given([...tree(), memberSettingsChanged({ weight: 3 })]).when(batch([{ address: '192.0.2.13' }])).thenThrows('IllegalState'));
});
