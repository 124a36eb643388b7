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
  it.each(['10.0.0.0', '10.0.0.0/33', '10.0.0/24', 'x', '2001:db8::/129', 'fe80::%eth0/64', '::ffff:10.0.0.0/120', '2001:db8::/64\n'])('refuses cidr %p', (cidr) =>
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
    given([subnetCreated()]).when(allocateVip('lb-1', '2001:db8::1'))
      .thenThrows('Invalid', 'IP address 2001:db8::1 is not a valid IP for the specified subnet.'));
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

describe('Subnet: IPv6', () => {
  const V6 = { cidr: '2001:db8:1::/64', gatewayIp: '2001:db8:1::1' };
  const v6Created = (o: Parameters<typeof subnetCreated>[0] = {}) => subnetCreated({
    ...V6, ipVersion: 6, allocationPools: [{ start: '2001:db8:1::2', end: '2001:db8:1:0:ffff:ffff:ffff:ffff' }], ...o,
  });
  it('creates a /64 whose default pool is every host but the gateway, up to the last address (no broadcast in IPv6)', () =>
    given([]).when(createSubnet(V6)).then([v6Created()]));
  it('writes the cidr, gateway and pools in canonical form', () =>
    given([]).when(createSubnet({
      cidr: '2001:0DB8:0001:0000::/64', gatewayIp: '2001:DB8:1::1', allocationPools: [{ start: '2001:db8:1:0::10', end: '2001:DB8:1::00ff' }],
    })).then([v6Created({ allocationPools: [{ start: '2001:db8:1::10', end: '2001:db8:1::ff' }] })]));
  it('checks ip_version against the cidr', () => {
    given([]).when(createSubnet({ ...V6, ipVersion: 4 })).thenThrows('Invalid', /is not an IPv4 subnet/);
    given([]).when(createSubnet({ ipVersion: 6 })).thenThrows('Invalid', /is not an IPv6 subnet/);
    given([]).when(createSubnet({ ...V6, ipVersion: 6 })).then([v6Created()]);
  });
  it('refuses host bits, naming the network', () =>
    given([]).when(createSubnet({ cidr: '2001:db8:1::5/64', gatewayIp: null }))
      .thenThrows('Invalid', "Invalid input for cidr. Reason: '2001:db8:1::5/64' isn't a recognized IP subnet cidr, '2001:db8:1::/64' is recommended."));
  it.each(['2001:db8::/127', '2001:db8::1/128'])('refuses a network too small for a VIP: %p', (cidr) =>
    given([]).when(createSubnet({ cidr, gatewayIp: null })).thenThrows('Invalid', /at most 126/));
  it.each([
    ['an IPv4 gateway', '10.0.0.1'], ['a zone id', '2001:db8:1::1%eth0'], ['an IPv4-mapped address', '::ffff:10.0.0.1'],
  ])('refuses %s as gateway_ip', (_what, gatewayIp) =>
    given([]).when(createSubnet({ ...V6, gatewayIp })).thenThrows('Invalid', `Invalid input for gateway_ip. Reason: '${gatewayIp}' is not a valid IPv6 address.`));
  it('refuses the network address (subnet-router anycast) and outside addresses as gateway', () => {
    given([]).when(createSubnet({ ...V6, gatewayIp: '2001:db8:1::' })).thenThrows('Invalid', 'Invalid input for operation: Gateway is not valid on subnet.');
    given([]).when(createSubnet({ ...V6, gatewayIp: '2001:db8:2::1' })).thenThrows('Invalid', 'Invalid input for operation: Gateway is not valid on subnet.');
  });
  it.each([
    [[{ start: '10.0.0.2', end: '10.0.0.9' }], 'The allocation pool 10.0.0.2-10.0.0.9 is not valid.'],
    [[{ start: '2001:db8:1::9', end: '2001:db8:1::2' }], 'The allocation pool 2001:db8:1::9-2001:db8:1::2 is not valid.'],
    [[{ start: '2001:db8:1::2', end: '2001:db8:2::' }], 'The allocation pool 2001:db8:1::2-2001:db8:2:: spans beyond the subnet cidr 2001:db8:1::/64.'],
    [[{ start: '2001:db8:1::', end: '2001:db8:1::9' }], /spans beyond/],
    [[{ start: '2001:db8:1::1', end: '2001:db8:1::9' }], 'Gateway ip 2001:db8:1::1 conflicts with allocation pool 2001:db8:1::1-2001:db8:1::9'],
    [[{ start: '2001:db8:1::2', end: '2001:db8:1::9' }, { start: '2001:db8:1::9', end: '2001:db8:1::f' }], /overlapping allocation pools/],
  ])('refuses allocation pools %j', (allocationPools, message) =>
    given([]).when(createSubnet({ ...V6, allocationPools })).thenThrows('Invalid', message));
  it('refuses an overlapping IPv6 subnet on the segment, and ignores IPv4 ones', () => {
    given([]).when(createSubnet({ ...V6, segmentSubnets: [{ subnetId: 'x', cidr: '2001:db8::/32' }] }))
      .thenThrows('Invalid', /cidr: 2001:db8:1::\/64 for network: .* overlaps with another subnet/);
    given([]).when(createSubnet({ ...V6, segmentSubnets: [{ subnetId: 'x', cidr: '0.0.0.0/0' }, { subnetId: 'y', cidr: '2001:db8:2::/64' }] }))
      .then([v6Created()]);
  });
  it('hands out the lowest free address, skipping allocated and taken ones (IPv4 taken ones cannot collide)', () =>
    given([v6Created(), vipAllocated('lb-1', '2001:db8:1::2')])
      .when(allocateVip('lb-2', null, { taken: ['2001:db8:1::3', '2001:DB8:1::4', '198.51.100.5', 'garbage'] }))
      .then([vipAllocated('lb-2', '2001:db8:1::5')]));
  it('hands out an explicit address in canonical form, at the top of the /64 too', () => {
    given([v6Created()]).when(allocateVip('lb-1', '2001:DB8:1:0::00AB')).then([vipAllocated('lb-1', '2001:db8:1::ab')]);
    given([v6Created()]).when(allocateVip('lb-1', '2001:db8:1:0:ffff:ffff:ffff:ffff')).then([vipAllocated('lb-1', '2001:db8:1:0:ffff:ffff:ffff:ffff')]);
  });
  it('refuses an explicit address taken on the segment, however it is spelled', () =>
    given([v6Created(), vipAllocated('lb-1', '2001:db8:1::9')]).when(allocateVip('lb-2', '2001:db8:1:0:0:0:0:9'))
      .thenThrows('Conflict', `IP address 2001:db8:1:0:0:0:0:9 already allocated in subnet ${SUBNET}`));
  it.each(['2001:db8:1::', '2001:db8:1::1', '2001:db8:2::5', '198.51.100.7'])('refuses explicit address %p (network, gateway, outside, IPv4)', (address) =>
    given([v6Created()]).when(allocateVip('lb-1', address)).thenThrows('Invalid', `IP address ${address} is not a valid IP for the specified subnet.`));
  it.each(['fe80::1%eth0', '::ffff:198.51.100.7', '2001:db8:1::5\n'])('refuses malformed address %p', (address) =>
    given([v6Created()]).when(allocateVip('lb-1', address)).thenThrows('Invalid', /Invalid input for ip_address/));
  it('releases an IPv6 VIP and hands it out again', () =>
    given([v6Created(), vipAllocated('lb-1', '2001:db8:1::2'), vipReleased('lb-1', '2001:db8:1::2')]).when(allocateVip('lb-2'))
      .then([vipAllocated('lb-2', '2001:db8:1::2')]));
  it('allocates on a /64 in time proportional to the VIPs held, never to its 2^64 addresses', () => {
    let s = subnet.evolve(subnet.initialState(), v6Created());
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 2000; i++) {
      const [e] = subnet.decide(allocateVip(`lb-${i}`), s);
      s = subnet.evolve(s, e);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    expect(s.status === 'live' && s.byLb.get('lb-1999')).toBe(2n + 1999n + (0x20010db8000100000000000000000000n));
    // 2000 allocations walk ~2M used addresses in all (each starts at the pool's start): well under a second.
    expect(ms).toBeLessThan(3000);
    // A pool whose start is held is walked past; a free address at the end is found without visiting the middle.
    const [last] = subnet.decide(allocateVip('lb-x', null, {}), subnet.evolve(subnet.initialState(),
      v6Created({ allocationPools: [{ start: '2001:db8:1:0:ffff:ffff:ffff:fffe', end: '2001:db8:1:0:ffff:ffff:ffff:ffff' }] })));
    expect(last).toEqual(vipAllocated('lb-x', '2001:db8:1:0:ffff:ffff:ffff:fffe'));
  });
});
