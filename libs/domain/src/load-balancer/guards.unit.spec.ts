import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, applied, createListener, createPool, deleteLb, deleteListener, deleteMember, deleteMonitor, deletePool,
  IMMUTABLE, LB, lbCreated, lbDeleted, lbPlaced, lbSettingsChanged, listenerCreated, memberCreated, monitorCreated,
  OTHER, placeLb, placementFailed, poolCreated, poolDeleted, rejected, updateLb, updateListener, updateMember,
  updateMonitor, updatePool, withPool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: unknown objects', () => {
  it.each([
    ['update', updateLb({ name: 'x' })], ['delete', deleteLb()], ['listener create', createListener()],
    ['pool create', createPool()], ['placement', placeLb()],
  ])('answers NotFound to %s on a load balancer that does not exist', (_what, command) =>
    given([]).when(command).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('answers NotFound for a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(updateLb({ name: 'x' })).thenThrows('NotFound', `Load Balancer ${LB} not found.`));
  it('names an unknown listener', () =>
    given(active()).when(updateListener({ name: 'x' }, OTHER)).thenThrows('NotFound', `Listener ${OTHER} not found.`));
  it('names an unknown pool', () =>
    given(active()).when(updatePool({ name: 'x' }, OTHER)).thenThrows('NotFound', `Pool ${OTHER} not found.`));
  it('names an unknown member', () =>
    given(withPool()).when(updateMember({ weight: 2 }, OTHER)).thenThrows('NotFound', `Member ${OTHER} not found.`));
  it('names an unknown health monitor', () =>
    given(withPool()).when(updateMonitor({ delay: 9 }, OTHER)).thenThrows('NotFound', `Health Monitor ${OTHER} not found.`));
  it('names an unknown listener given for a new pool', () =>
    given(active()).when(createPool({ listenerId: OTHER })).thenThrows('NotFound', `Listener ${OTHER} not found.`));
});

describe('LoadBalancer: immutability while PENDING', () => {
  it('refuses a child while the load balancer is being created', () =>
    given([lbCreated()]).when(createListener()).thenThrows('IllegalState', IMMUTABLE));
  it('refuses a child while it is placed but not yet applied', () =>
    given([lbCreated(), lbPlaced()]).when(createListener()).thenThrows('IllegalState', IMMUTABLE));
  it('refuses a second change before the first is applied', () =>
    given([...active(), listenerCreated()]).when(createPool()).thenThrows('IllegalState', IMMUTABLE));
  it.each([
    ['update a listener', updateListener({ name: 'x' })], ['delete a listener', deleteListener()],
    ['update a pool', updatePool({ name: 'x' })], ['delete a pool', deletePool()],
    ['update a member', updateMember({ weight: 3 })], ['delete a member', deleteMember()],
    ['update a monitor', updateMonitor({ delay: 9 })], ['delete a monitor', deleteMonitor()],
  ])('refuses to %s while pending', (_what, command) =>
    given([...active(listenerCreated(), poolCreated(), memberCreated(), monitorCreated()), lbSettingsChanged({ name: 'n' })])
      .when(command).thenThrows('IllegalState', IMMUTABLE));
  it('refuses to delete a load balancer being created (Octavia: Invalid state PENDING_CREATE)', () =>
    given([lbCreated(), lbPlaced()]).when(deleteLb()).thenThrows('IllegalState', `Invalid state PENDING_CREATE of loadbalancer resource ${LB}`));
  it('refuses to delete a load balancer being updated (PENDING_UPDATE once a version was applied)', () =>
    given([...active(), lbSettingsChanged({ name: 'n' })]).when(deleteLb())
      .thenThrows('IllegalState', `Invalid state PENDING_UPDATE of loadbalancer resource ${LB}`));
  it('refuses to update a load balancer being created, as Octavia does', () =>
    given([lbCreated()]).when(updateLb({ name: 'n' })).thenThrows('IllegalState', `Invalid state PENDING_CREATE of loadbalancer resource ${LB}`));
  it('allows changes again once the agent applied the latest version', () =>
    given(active(listenerCreated())).when(createPool()).then([poolCreated()]));
  it('stays pending when only an older version was applied', () =>
    given([...active(), listenerCreated(), lbSettingsChanged({ name: 'n' }), applied(3)]).when(createPool())
      .thenThrows('IllegalState', IMMUTABLE));
  it('lets a load balancer whose latest version was rejected (ERROR) be updated', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3)]).when(updateLb({ name: 'fixed' }))
      .then([lbSettingsChanged({ name: 'fixed' })]));
  it('lets a load balancer in ERROR get children changed', () =>
    given([...active(listenerCreated()), poolCreated(), rejected(4)]).when(deletePool()).then([poolDeleted()]));
  it('lets a load balancer in ERROR be deleted', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3)]).when(deleteLb()).then([lbDeleted()]));
  it('is pending again after a rejected version is followed by a new one', () =>
    given([...active(), lbSettingsChanged({ name: 'n' }), rejected(3), lbSettingsChanged({ name: 'm' })]).when(createListener())
      .thenThrows('IllegalState', IMMUTABLE));
  it('lets a load balancer nobody could host (placement failed) be deleted', () =>
    given([lbCreated(), placementFailed()]).when(deleteLb()).then([lbDeleted()]));
});
