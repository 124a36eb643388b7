import type { CommandMetadata, L7Event } from '@lbaas/events';
import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, createListener, deleteListener, deleteMember, deleteMonitor, deletePool, HM, lbCreated, lbPlaced, LB, LISTENER, listenerCreated,
  listenerDeleted, MEMBER, memberCreated, memberDeleted, monitorCreated, monitorDeleted, NOW, OTHER, POOL, poolCreated, poolDeleted,
  settled, updateListener, listenerSettingsChanged,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);
const POLICY = '5a0c7f6e-4b0e-4b5c-9c55-0c2d8e7f1a01';
const policyCreated = (): L7Event => ({
  type: 'L7PolicyCreated', v: 1,
  data: {
    lbId: LB, listenerId: LISTENER, l7PolicyId: POLICY, name: '', description: '', adminStateUp: true, action: 'REJECT', position: 1,
    redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, tags: [], at: NOW,
  },
});
const octavia = <T extends { data: object }>(c: T): T => ({ ...c, data: { ...c.data, policy: 'octavia' } });
const tree = () => active(listenerCreated(), poolCreated(), memberCreated(), monitorCreated());

describe('deletion goes bottom-up by default (health monitor, members, pool, listener, load balancer)', () => {
  it('refuses a pool with a health monitor, naming it (neutron-lbaas EntityInUse)', () =>
    given(tree()).when(deletePool()).thenThrows('Conflict', `pool is using healthmonitor ${HM}`));
  it('refuses a pool with members, naming one', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated()))
      .when(deletePool()).thenThrows('Conflict', `pool is using member ${MEMBER}`));
  it('refuses a listener with L7 policies, naming one', () =>
    given(active(listenerCreated(), policyCreated())).when(deleteListener()).thenThrows('Conflict', `listener is using l7policy ${POLICY}`));
  it('refuses a listener with its default pool', () =>
    given(active(listenerCreated(), poolCreated())).when(deleteListener()).thenThrows('Conflict', `listener is using pool ${POOL}`));
  it('refuses a load balancer with children, as Octavia does (400, cascade=true deletes the tree)', () =>
    given(tree()).when({ type: 'DeleteLoadBalancer', data: { lbId: LB, cascade: false }, metadata: { commandId: 'c', now: NOW } as CommandMetadata })
      .thenThrows('Invalid', `Validation failure: Cannot delete Load Balancer ${LB} - it has children`));
  it('deletes in the seed\'s order', () => {
    given(tree()).when(deleteMonitor()).then([monitorDeleted()]);
    given(settled(...tree().slice(0, -1), monitorDeleted())).when(deleteMember()).then([memberDeleted()]);
    given(settled(lbCreated(), lbPlaced(), listenerCreated(), poolCreated())).when(deleteListener()).thenThrows('Conflict');
    given(settled(lbCreated(), lbPlaced(), listenerCreated(), poolCreated())).when(deletePool()).then([poolDeleted()]);
    given(settled(lbCreated(), lbPlaced(), listenerCreated())).when(deleteListener()).then([listenerDeleted()]);
  });
  it('counts a pool that left as default pool but was created on the listener', () =>
    given(active(listenerCreated(), poolCreated(), listenerSettingsChanged({ defaultPoolId: null })))
      .when(deleteListener()).thenThrows('Conflict', `listener is using pool ${POOL}`));
});

describe('DELETE_POLICY=octavia: Octavia\'s looser child deletes', () => {
  it('deletes a pool with its members and monitor', () => given(tree()).when(octavia(deletePool())).then([poolDeleted()]));
  it('deletes a listener with its L7 policies and leaves its pool', () =>
    given(active(listenerCreated(), poolCreated(), policyCreated())).when(octavia(deleteListener())).then([listenerDeleted()]));
  it('still refuses a pool an L7 policy redirects to', () => {
    const redirect: L7Event = { ...policyCreated(), data: { ...(policyCreated().data as object), action: 'REDIRECT_TO_POOL', redirectPoolId: OTHER } } as L7Event;
    given(active(listenerCreated(), poolCreated({ poolId: OTHER, listenerId: null }), redirect))
      .when(octavia(deletePool(OTHER))).thenThrows('Conflict', /in use by L7 policy/);
  });
});

describe('flavor limits on the tree', () => {
  const flavored = (o: { maxListeners?: number | null; maxListenerConnections?: number | null }) =>
    lbCreated({ flavor: { flavorId: OTHER, topology: 'SINGLE', maxListeners: o.maxListeners ?? null, maxListenerConnections: o.maxListenerConnections ?? null } });
  it('gives an unlimited listener the flavor\'s connection cap', () =>
    given(settled(flavored({ maxListenerConnections: 2000 }), lbPlaced())).when(createListener())
      .then([listenerCreated({ connectionLimit: 2000 })]));
  it('refuses a listener limit above the cap, naming connection_limit', () =>
    given(settled(flavored({ maxListenerConnections: 2000 }), lbPlaced())).when(createListener({ connectionLimit: 2001 }))
      .thenThrows('Invalid', /connection_limit.*lower or equal to 2000 \(max_listener_connections/));
  it('caps an update back to unlimited', () =>
    given(settled(flavored({ maxListenerConnections: 2000 }), lbPlaced(), listenerCreated({ connectionLimit: 10 })))
      .when(updateListener({ connectionLimit: -1 })).then([listenerSettingsChanged({ connectionLimit: 2000 })]));
  it('refuses a listener beyond max_listeners', () =>
    given(settled(flavored({ maxListeners: 1 }), lbPlaced(), listenerCreated()))
      .when(createListener({ listenerId: OTHER, protocolPort: 81 })).thenThrows('Conflict', /allows at most 1 \(max_listeners\)/));
  const pairFlavor = { flavorId: OTHER, topology: 'ACTIVE_STANDBY' as const, maxListeners: null, maxListenerConnections: null };
  const createPair = (o: object = {}) => ({
    type: 'CreateLoadBalancer', data: { ...lbCreated().data, flavor: pairFlavor, ...o }, metadata: { commandId: 'c', now: NOW },
  }) as never;
  it('creates an ACTIVE_STANDBY load balancer (a VRRP pair, issue 14)', () =>
    given([]).when(createPair()).then([lbCreated({ flavor: pairFlavor })]));
  it('refuses ACTIVE_STANDBY with an IPv6 VIP (not built yet: refused, never a silent single)', () =>
    given([]).when(createPair({ vipAddress: '2001:db8::10' }))
      .thenThrows('Invalid', "Provider 'lbaas' does not support a requested option: loadbalancer_topology ACTIVE_STANDBY with an IPv6 VIP is not supported."));
  it('refuses ACTIVE_STANDBY with additional VIPs', () =>
    given([]).when(createPair({ additionalVips: [{ subnetId: 'subnet-2', ipAddress: '198.51.101.10', portId: 'p2' }] }))
      .thenThrows('Invalid', /ACTIVE_STANDBY with additional_vips is not supported/));
});
