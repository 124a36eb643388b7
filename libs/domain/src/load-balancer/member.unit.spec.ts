import { deciderSpec } from '@lbaas/testing';
import { checkMemberSubnet, loadBalancer } from '.';
import {
  active, createMember, deleteMember, listenerCreated, memberCreated, memberDeleted, memberSettingsChanged, metadata,
  OTHER, poolCreated, updateMember, withMember, withPool,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);

describe('LoadBalancer: members', () => {
  it('adds a member', () => given(withPool()).when(createMember()).then([memberCreated()]));
  it('adds an IPv6 member', () =>
    given(withPool()).when(createMember({ address: '2001:db8::11' })).then([memberCreated({ address: '2001:db8::11' })]));
  it('treats a retried create as already done', () => given(withMember()).when(createMember()).then([]));
  it.each(['192.0.2', '192.0.2.256', '010.0.0.1', 'example.com', '2001:db8:::1', '192.0.2.1 ', ''])('refuses address %p', (address) =>
    given(withPool()).when(createMember({ address })).thenThrows('Invalid', /field\/attribute address/));
  it('refuses the metadata address', () =>
    given(withPool()).when(createMember({ address: '169.254.169.254' }))
      .thenThrows('Invalid', '169.254.169.254 is not a valid option for member address'));
  it.each([0, 65536])('refuses protocol_port %p', (protocolPort) =>
    given(withPool()).when(createMember({ protocolPort })).thenThrows('Invalid', /protocol_port/));
  it.each([0, 256])('accepts weight %p', (weight) =>
    given(withPool()).when(createMember({ weight })).then([memberCreated({ weight })]));
  it.each([-1, 257])('refuses weight %p', (weight) =>
    given(withPool()).when(createMember({ weight })).thenThrows('Invalid', /weight/));
  it('refuses a duplicate address and port (Octavia message)', () =>
    given(withMember()).when(createMember({ memberId: OTHER }))
      .thenThrows('Conflict', 'Another member on this pool is already using ip 192.0.2.11 on protocol_port 8080'));
  it('sees through IPv6 spellings when looking for duplicates', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated({ address: '2001:db8::1' })))
      .when(createMember({ memberId: OTHER, address: '2001:0DB8:0:0::1' })).thenThrows('Conflict', /already using ip/));
  it('accepts the same address on another port', () =>
    given(withMember()).when(createMember({ memberId: OTHER, protocolPort: 8081 }))
      .then([memberCreated({ memberId: OTHER, protocolPort: 8081 })]));
  it.each([0, 65536])('refuses monitor_port %p', (monitorPort) =>
    given(withPool()).when(createMember({ monitorPort })).thenThrows('Invalid', /monitor_port/));
  it('refuses a monitor_address that is not an IP', () =>
    given(withPool()).when(createMember({ monitorAddress: 'localhost' })).thenThrows('Invalid', /monitor_address/));
  it('accepts a monitor address and port', () =>
    given(withPool()).when(createMember({ monitorAddress: '192.0.2.12', monitorPort: 9000 }))
      .then([memberCreated({ monitorAddress: '192.0.2.12', monitorPort: 9000 })]));
  it('records only changed member settings', () =>
    given(withMember()).when(updateMember({ weight: 5, name: 'm1' })).then([memberSettingsChanged({ weight: 5 })]));
  it('treats a member update that changes nothing as done', () => given(withMember()).when(updateMember({ weight: 1 })).then([]));
  it('validates the merged member', () => given(withMember()).when(updateMember({ weight: 1000 })).thenThrows('Invalid', /weight/));
  it('deletes a member', () => given(withMember()).when(deleteMember()).then([memberDeleted()]));
  it('frees the address and port of a deleted member', () =>
    given(active(listenerCreated(), poolCreated(), memberCreated(), memberDeleted())).when(createMember({ memberId: OTHER }))
      .then([memberCreated({ memberId: OTHER })]));
});

describe('member subnet (single, batch and graph creates alike)', () => {
  const known = (id: string) => id === 'subnet-1';
  it('accepts a known subnet or none', () => {
    expect(() => checkMemberSubnet('subnet-1', known)).not.toThrow();
    expect(() => checkMemberSubnet(null, known)).not.toThrow();
  });
  it('refuses an unknown subnet with Octavia\'s 400 text', () => {
    let error: unknown;
    try { checkMemberSubnet('subnet-2', known); } catch (e) { error = e; }
    expect(error).toMatchObject({ name: 'DomainError', kind: 'Invalid', message: 'Subnet subnet-2 not found.' });
  });
});
