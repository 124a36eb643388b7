import { deciderSpec } from '@lbaas/testing';
import {
  allocateVip, createSubnet, deleteSubnet, NETWORK, releaseVip, SUBNET, subnetCreated, subnetDeleted, vipAllocated, vipReleased,
} from './network.fixtures';
import { subnet } from './subnet';

const given = deciderSpec(subnet);
const small = subnetCreated({ cidr: '10.0.0.0/30', gatewayIp: '10.0.0.1', allocationPools: [{ start: '10.0.0.2', end: '10.0.0.2' }] });

describe('Subnet: create', () => {
  it('creates a subnet whose default pool is every host but the gateway', () =>
    given([]).when(createSubnet()).then([subnetCreated()]));
  it('splits the default pool around a gateway in the middle', () =>
    given([]).when(createSubnet({ cidr: '10.0.0.0/29', gatewayIp: '10.0.0.3' })).then([subnetCreated({
      cidr: '10.0.0.0/29', gatewayIp: '10.0.0.3',
      allocationPools: [{ start: '10.0.0.1', end: '10.0.0.2' }, { start: '10.0.0.4', end: '10.0.0.6' }],
    })]));
  it('uses every host without a gateway', () =>
    given([]).when(createSubnet({ gatewayIp: null })).then([subnetCreated({ gatewayIp: null, allocationPools: [{ start: '198.51.100.1', end: '198.51.100.254' }] })]));
  it('keeps explicit allocation pools', () => {
    const allocationPools = [{ start: '198.51.100.100', end: '198.51.100.199' }];
    given([]).when(createSubnet({ allocationPools })).then([subnetCreated({ allocationPools })]);
  });
  it('treats a retried create as done', () => given([subnetCreated()]).when(createSubnet()).then([]));
  it('refuses to reuse a deleted id', () => given([subnetCreated(), subnetDeleted()]).when(createSubnet()).thenThrows('IllegalState'));
  it.each(['2001:db8::/64', '10.0.0.0', '10.0.0.0/33', '10.0.0/24', 'x'])('refuses cidr %p (IPv4 only)', (cidr) =>
    given([]).when(createSubnet({ cidr, gatewayIp: null }))
      .thenThrows('Invalid', `Invalid input for cidr. Reason: '${cidr}' is not a valid IP subnet.`));
  it('refuses host bits in the cidr', () =>
    given([]).when(createSubnet({ cidr: '10.0.0.1/24', gatewayIp: null }))
      .thenThrows('Invalid', "Invalid input for cidr. Reason: '10.0.0.1/24' isn't a recognized IP subnet cidr, '10.0.0.0/24' is recommended."));
  it.each(['10.0.0.0/31', '10.0.0.1/32'])('refuses a network too small for a VIP: %p', (cidr) =>
    given([]).when(createSubnet({ cidr, gatewayIp: null })).thenThrows('Invalid', /cidr/));
  it('accepts a /30', () => given([]).when(createSubnet({ cidr: '10.0.0.0/30', gatewayIp: '10.0.0.1' }))
    .then([subnetCreated({ cidr: '10.0.0.0/30', gatewayIp: '10.0.0.1', allocationPools: [{ start: '10.0.0.2', end: '10.0.0.2' }] })]));
  it.each(['10.0.0.1', '198.51.100.0', '198.51.100.255'])('refuses gateway %p outside the hosts of the cidr', (gatewayIp) =>
    given([]).when(createSubnet({ gatewayIp })).thenThrows('Invalid', 'Invalid input for operation: Gateway is not valid on subnet.'));
  it('refuses a pool beyond the cidr', () =>
    given([]).when(createSubnet({ allocationPools: [{ start: '198.51.100.2', end: '198.51.101.10' }] }))
      .thenThrows('Invalid', 'The allocation pool 198.51.100.2-198.51.101.10 spans beyond the subnet cidr 198.51.100.0/24.'));
  it('refuses a pool holding the broadcast address', () =>
    given([]).when(createSubnet({ allocationPools: [{ start: '198.51.100.2', end: '198.51.100.255' }] })).thenThrows('Invalid', /spans beyond/));
  it('refuses overlapping pools', () =>
    given([]).when(createSubnet({ allocationPools: [{ start: '198.51.100.10', end: '198.51.100.20' }, { start: '198.51.100.20', end: '198.51.100.30' }] }))
      .thenThrows('Invalid', /overlapping allocation pools/));
  it('refuses a pool containing the gateway', () =>
    given([]).when(createSubnet({ allocationPools: [{ start: '198.51.100.1', end: '198.51.100.20' }] }))
      .thenThrows('Invalid', 'Gateway ip 198.51.100.1 conflicts with allocation pool 198.51.100.1-198.51.100.20'));
  it('refuses a reversed pool', () =>
    given([]).when(createSubnet({ allocationPools: [{ start: '198.51.100.20', end: '198.51.100.10' }] }))
      .thenThrows('Invalid', 'The allocation pool 198.51.100.20-198.51.100.10 is not valid.'));
});

describe('Subnet: one address plan per layer-2 segment', () => {
  const other = (cidr: string, subnetId = 'other-subnet') => ({ subnetId, cidr });
  it('creates a subnet beside non-overlapping ones on the segment', () =>
    given([]).when(createSubnet({ segmentSubnets: [other('198.51.101.0/24'), other('10.0.0.0/8', 'x')] })).then([subnetCreated()]));
  it.each(['198.51.100.0/24', '198.51.100.128/25', '198.51.0.0/16', '0.0.0.0/0'])('refuses a subnet overlapping %p on the segment (Neutron message)', (cidr) =>
    given([]).when(createSubnet({ segmentSubnets: [other(cidr)] })).thenThrows('Invalid',
      `Invalid input for operation: Requested subnet with cidr: 198.51.100.0/24 for network: ${NETWORK} overlaps with another subnet.`));
  it('is not confused by itself in the list (a retried create)', () =>
    given([]).when(createSubnet({ segmentSubnets: [other('198.51.100.0/24', SUBNET)] })).then([subnetCreated()]));
});

describe('Subnet: VIP allocation', () => {
  it('hands out the lowest free address of the pools', () =>
    given([subnetCreated()]).when(allocateVip('lb-1')).then([vipAllocated('lb-1', '198.51.100.2')]));
  it('skips allocated addresses', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(allocateVip('lb-2')).then([vipAllocated('lb-2', '198.51.100.3')]));
  it('is idempotent per load balancer', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(allocateVip('lb-1')).then([]));
  it('is idempotent per load balancer even when an explicit address is asked again', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.9')]).when(allocateVip('lb-1', '198.51.100.9')).then([]));
  it('hands an administrator an explicit free address outside the pools', () =>
    given([subnetCreated({ allocationPools: [{ start: '198.51.100.100', end: '198.51.100.199' }] })])
      .when(allocateVip('lb-1', '198.51.100.9', { anyAddress: true })).then([vipAllocated('lb-1', '198.51.100.9')]));
  it('refuses anyone else an address outside the pools (Forbidden)', () =>
    given([subnetCreated({ allocationPools: [{ start: '198.51.100.100', end: '198.51.100.199' }] })])
      .when(allocateVip('lb-1', '198.51.100.9')).thenThrows('Forbidden',
        `IP address 198.51.100.9 is outside the allocation pools of subnet ${SUBNET}; only an administrator may choose such an address.`));
  it('hands out an explicit free address inside the pools to anyone', () =>
    given([subnetCreated()]).when(allocateVip('lb-1', '198.51.100.9')).then([vipAllocated('lb-1', '198.51.100.9')]));
  it.each([[false], [true]])('refuses an address taken elsewhere on the segment (another subnet\'s VIP, another tenant\'s member), admin %p', (anyAddress) =>
    given([subnetCreated()]).when(allocateVip('lb-1', '198.51.100.9', { taken: ['198.51.100.9'], anyAddress }))
      .thenThrows('Conflict', `IP address 198.51.100.9 already allocated in subnet ${SUBNET}`));
  it('never hands out an address taken elsewhere on the segment', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(allocateVip('lb-2', null, { taken: ['198.51.100.3', '198.51.100.4', 'garbage'] }))
      .then([vipAllocated('lb-2', '198.51.100.5')]));
  it('says the pools are exhausted when the segment holds the rest', () =>
    given([small]).when(allocateVip('lb-1', null, { taken: ['10.0.0.2'] })).thenThrows('Conflict', /No more IP addresses/));
  it('refuses an explicit address held by another load balancer', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.9')]).when(allocateVip('lb-2', '198.51.100.9'))
      .thenThrows('Conflict', `IP address 198.51.100.9 already allocated in subnet ${SUBNET}`));
  it.each(['10.0.0.5', '198.51.100.0', '198.51.100.255', '198.51.100.1'])('refuses explicit address %p (outside, network, broadcast, gateway)', (address) =>
    given([subnetCreated()]).when(allocateVip('lb-1', address))
      .thenThrows('Invalid', `IP address ${address} is not a valid IP for the specified subnet.`));
  it('refuses an explicit address that is not IPv4', () =>
    given([subnetCreated()]).when(allocateVip('lb-1', '2001:db8::1')).thenThrows('Invalid'));
  it('says so when the pools are exhausted', () =>
    given([small, vipAllocated('lb-1', '10.0.0.2')]).when(allocateVip('lb-2'))
      .thenThrows('Conflict', `No more IP addresses available on network ${NETWORK}.`));
  it('hands a released address out again', () =>
    given([small, vipAllocated('lb-1', '10.0.0.2'), vipReleased('lb-1', '10.0.0.2')]).when(allocateVip('lb-2'))
      .then([vipAllocated('lb-2', '10.0.0.2')]));
  it('answers NotFound on an unknown subnet', () =>
    given([]).when(allocateVip('lb-1')).thenThrows('NotFound', `Subnet ${SUBNET} could not be found.`));
  it('releases a load balancer VIP', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(releaseVip('lb-1')).then([vipReleased('lb-1', '198.51.100.2')]));
  it('records why a VIP was released', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(releaseVip('lb-1', 'abandoned'))
      .then([vipReleased('lb-1', '198.51.100.2', 'abandoned')]));
  it('treats releasing a VIP that is not allocated as done', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2'), vipReleased('lb-1', '198.51.100.2')]).when(releaseVip('lb-1')).then([]));
  it('treats releasing for another load balancer as done', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(releaseVip('lb-2')).then([]));
});

describe('Subnet: delete', () => {
  it('deletes a subnet without VIPs', () => given([subnetCreated()]).when(deleteSubnet()).then([subnetDeleted()]));
  it('refuses to delete a subnet with VIPs (Neutron message)', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2')]).when(deleteSubnet()).thenThrows('Conflict',
      `Unable to complete operation on subnet ${SUBNET}: One or more ports have an IP allocation from this subnet.`));
  it('deletes a subnet once its VIPs are released', () =>
    given([subnetCreated(), vipAllocated('lb-1', '198.51.100.2'), vipReleased('lb-1', '198.51.100.2')]).when(deleteSubnet())
      .then([subnetDeleted()]));
  it('answers NotFound for a deleted subnet', () => given([subnetCreated(), subnetDeleted()]).when(deleteSubnet()).thenThrows('NotFound'));
});
