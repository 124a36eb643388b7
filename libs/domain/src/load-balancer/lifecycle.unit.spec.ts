import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, createLb, deleteLb, LB, lbCreated, lbDeleted, lbSettingsChanged, listenerCreated, poolCreated, updateLb,
  withMember,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: create', () => {
  it('creates a load balancer', () => given([]).when(createLb()).then([lbCreated()]));
  it('treats a retried create as already done', () => given([lbCreated()]).when(createLb()).then([]));
  it('refuses to reuse the id of a deleted load balancer', () =>
    given([...active(), lbDeleted()]).when(createLb()).thenThrows('IllegalState', 'Already an entity with that specified id.'));
  it('refuses a name longer than 255 characters', () =>
    given([]).when(createLb({ name: 'x'.repeat(256) })).thenThrows('Invalid', /field\/attribute name/));
  it('accepts a name of exactly 255 characters', () =>
    given([]).when(createLb({ name: 'x'.repeat(255) })).then([lbCreated({ name: 'x'.repeat(255) })]));
  it('refuses control characters in a description, naming the field', () =>
    given([]).when(createLb({ description: 'a\nb' })).thenThrows('Invalid', /field\/attribute description/));
  it('refuses control characters in a tag', () =>
    given([]).when(createLb({ tags: ['ok', 'bad\x00'] })).thenThrows('Invalid', /field\/attribute tags/));
  it('refuses more than 50 tags', () =>
    given([]).when(createLb({ tags: Array.from({ length: 51 }, (_, i) => `t${i}`) })).thenThrows('Invalid', /tags/));
  it('refuses a tag longer than 255 characters', () =>
    given([]).when(createLb({ tags: ['x'.repeat(256)] })).thenThrows('Invalid', /tags/));
  it('refuses a VIP that is not an IP address', () =>
    given([]).when(createLb({ vipAddress: '198.51.100.300' })).thenThrows('Invalid', /vip_address/));
});

describe('LoadBalancer: update and delete', () => {
  it('records only the settings that change', () =>
    given(active()).when(updateLb({ name: 'lb', description: 'new' })).then([lbSettingsChanged({ description: 'new' })]));
  it('treats an update that changes nothing as done', () =>
    given(active()).when(updateLb({ name: 'lb', tags: [] })).then([]));
  it('answers an update that changes nothing with [] even while pending', () =>
    given([lbCreated()]).when(updateLb({ name: 'lb' })).then([]));
  it('validates the merged settings', () =>
    given(active()).when(updateLb({ name: 'a\tb' })).thenThrows('Invalid', /name/));
  it('deletes a load balancer without children', () => given(active()).when(deleteLb()).then([lbDeleted()]));
  it('refuses to delete a load balancer with children without cascade', () =>
    given(active(listenerCreated())).when(deleteLb())
      .thenThrows('Invalid', `Validation failure: Cannot delete Load Balancer ${LB} - it has children`));
  it('counts a pool without listener as a child', () =>
    given(active(poolCreated({ listenerId: null }))).when(deleteLb()).thenThrows('Invalid', /it has children/));
  it('deletes the whole tree with cascade in one event', () =>
    given(withMember()).when(deleteLb(true)).then([lbDeleted(true)]));
});
