import type {
  AllocateVip, AllocationPool, CreateSubnet, Decider, DeleteSubnet, ReleaseVip, SubnetCommand, SubnetEvent,
} from '@lbaas/events';
import { assertNever, DomainError } from './domain-error';
import { checkText } from './field-rules';
import {
  broadcastAddress, cidrContains, formatIpv4, formatIpv4Cidr, formatIpv4Range, hostRange, type Ipv4Cidr, type Ipv4Range,
  parseIpv4, parseIpv4Cidr, parseIpv4Prefix, prefixMask, rangeContains, rangesOverlap, rangeWithout,
} from './ipv4';

/** The subnet aggregate's state (IPAM): the ranges VIPs come from and who holds which address. */
export type Subnet =
  | Readonly<{ status: 'none' }>
  | Readonly<{
    status: 'live'; subnetId: string; networkId: string; cidr: Ipv4Cidr; gateway: number | null;
    pools: readonly Ipv4Range[];
    /** address → lbId, and lbId → address: an address is never handed out twice while allocated. */
    byAddress: ReadonlyMap<number, string>; byLb: ReadonlyMap<string, number>;
  }>
  | Readonly<{ status: 'deleted'; subnetId: string }>;
type Live = Extract<Subnet, { status: 'live' }>;

export const initialState = (): Subnet => ({ status: 'none' });

const toRange = (p: AllocationPool): Ipv4Range => ({ start: parseIpv4(p.start) ?? 0, end: parseIpv4(p.end) ?? 0 });
const fromRange = (r: Ipv4Range): AllocationPool => ({ start: formatIpv4(r.start), end: formatIpv4(r.end) });

export const evolve = (s: Subnet, e: SubnetEvent): Subnet => {
  switch (e.type) {
    case 'SubnetCreated': {
      const cidr = parseIpv4Cidr(e.data.cidr);
      if (!cidr) return s; // never written: decide refuses such a cidr
      return {
        status: 'live', subnetId: e.data.subnetId, networkId: e.data.networkId, cidr,
        gateway: e.data.gatewayIp === null ? null : parseIpv4(e.data.gatewayIp),
        pools: e.data.allocationPools.map(toRange), byAddress: new Map(), byLb: new Map(),
      };
    }
    case 'SubnetDeleted': return { status: 'deleted', subnetId: e.data.subnetId };
    case 'VipAllocated': {
      const address = parseIpv4(e.data.address);
      if (s.status !== 'live' || address === null) return s;
      // The maps are handed on, not copied: a state is folded once and only its newest version is used (a subnet
      // with 10,000 VIPs would otherwise cost 10,000 copies of 10,000 entries). decide() never mutates them.
      (s.byAddress as Map<number, string>).set(address, e.data.lbId);
      (s.byLb as Map<string, number>).set(e.data.lbId, address);
      return { ...s };
    }
    case 'VipReleased': {
      if (s.status !== 'live') return s;
      const address = s.byLb.get(e.data.lbId);
      (s.byLb as Map<string, number>).delete(e.data.lbId);
      if (address !== undefined) (s.byAddress as Map<number, string>).delete(address);
      return { ...s };
    }
    default: return assertNever(e);
  }
};

export const decide = (c: SubnetCommand, s: Subnet): SubnetEvent[] => {
  switch (c.type) {
    case 'CreateSubnet': return create(c, s);
    case 'DeleteSubnet': return remove(c, s);
    case 'AllocateVip': return allocate(c, s);
    case 'ReleaseVip': return release(c, s);
    default: return assertNever(c);
  }
};

const invalidInput = (field: string, reason: string): DomainError =>
  new DomainError('Invalid', `Invalid input for ${field}. Reason: ${reason}`);

const live = (s: Subnet, subnetId: string): Live => {
  if (s.status !== 'live') throw new DomainError('NotFound', `Subnet ${subnetId} could not be found.`);
  return s;
};

/** Neutron's subnet checks, for IPv4 only; returns the normalised cidr, gateway and pools. */
const checkSubnet = (data: CreateSubnet['data']): { cidr: Ipv4Cidr; gateway: number | null; pools: Ipv4Range[] } => {
  checkText('name', data.name);
  const raw = parseIpv4Prefix(data.cidr);
  if (!raw) throw invalidInput('cidr', `'${data.cidr}' is not a valid IP subnet.`);
  const cidr = { network: (raw.address & prefixMask(raw.prefix)) >>> 0, prefix: raw.prefix };
  if (cidr.network !== raw.address) {
    throw invalidInput('cidr', `'${data.cidr}' isn't a recognized IP subnet cidr, '${formatIpv4Cidr(cidr)}' is recommended.`);
  }
  if (cidr.prefix > 30) throw invalidInput('cidr', `'${data.cidr}' is too small: the prefix length must be at most 30.`);
  const hosts = hostRange(cidr);
  let gateway: number | null = null;
  if (data.gatewayIp !== null) {
    gateway = parseIpv4(data.gatewayIp);
    if (gateway === null) throw invalidInput('gateway_ip', `'${data.gatewayIp}' is not a valid IP address.`);
    if (!rangeContains(hosts, gateway)) throw new DomainError('Invalid', 'Invalid input for operation: Gateway is not valid on subnet.');
  }
  const pools: Ipv4Range[] = data.allocationPools === null
    ? (gateway === null ? [hosts] : rangeWithout(hosts, gateway))
    : data.allocationPools.map((p) => {
      const start = parseIpv4(p.start);
      const end = parseIpv4(p.end);
      if (start === null || end === null || start > end) {
        throw new DomainError('Invalid', `The allocation pool ${p.start}-${p.end} is not valid.`);
      }
      return { start, end };
    });
  pools.forEach((p, i) => {
    if (!rangeContains(hosts, p.start) || !rangeContains(hosts, p.end)) {
      throw new DomainError('Invalid', `The allocation pool ${formatIpv4Range(p)} spans beyond the subnet cidr ${formatIpv4Cidr(cidr)}.`);
    }
    for (const other of pools.slice(0, i)) {
      if (rangesOverlap(p, other)) {
        throw new DomainError('Invalid',
          `Found overlapping allocation pools: ${formatIpv4Range(other)} and ${formatIpv4Range(p)} for subnet ${formatIpv4Cidr(cidr)}.`);
      }
    }
    if (gateway !== null && rangeContains(p, gateway)) {
      throw new DomainError('Invalid', `Gateway ip ${formatIpv4(gateway)} conflicts with allocation pool ${formatIpv4Range(p)}`);
    }
  });
  return { cidr, gateway, pools };
};

const create = ({ data, metadata }: CreateSubnet, s: Subnet): SubnetEvent[] => {
  if (s.status === 'live') return []; // the same request, retried
  if (s.status === 'deleted') throw new DomainError('IllegalState', `Subnet ${data.subnetId} was deleted; its id cannot be reused.`);
  const { cidr, gateway, pools } = checkSubnet(data);
  // Neutron's overlap check (allow_overlapping_ips does not apply across one layer 2): one segment, one address plan.
  const mine = { start: cidr.network, end: broadcastAddress(cidr) };
  for (const other of data.segmentSubnets ?? []) {
    const c = other.subnetId === data.subnetId ? null : parseIpv4Cidr(other.cidr);
    if (c && rangesOverlap(mine, { start: c.network, end: broadcastAddress(c) })) {
      throw new DomainError('Invalid',
        `Invalid input for operation: Requested subnet with cidr: ${formatIpv4Cidr(cidr)} for network: ${data.networkId} overlaps with another subnet.`);
    }
  }
  return [{
    type: 'SubnetCreated', v: 1,
    data: {
      subnetId: data.subnetId, networkId: data.networkId, projectId: data.projectId, name: data.name, ipVersion: 4,
      cidr: formatIpv4Cidr(cidr), gatewayIp: gateway === null ? null : formatIpv4(gateway),
      allocationPools: pools.map(fromRange), at: metadata.now,
    },
  }];
};

const remove = ({ data, metadata }: DeleteSubnet, s: Subnet): SubnetEvent[] => {
  const subnet = live(s, data.subnetId);
  if (subnet.byAddress.size > 0) {
    throw new DomainError('Conflict',
      `Unable to complete operation on subnet ${data.subnetId}: One or more ports have an IP allocation from this subnet.`);
  }
  return [{ type: 'SubnetDeleted', v: 1, data: { subnetId: data.subnetId, at: metadata.now } }];
};

/** The lowest address of the allocation pools that nobody holds, here or elsewhere on the segment. */
const lowestFree = (s: Live, taken: ReadonlySet<number>): number | null => {
  for (const pool of [...s.pools].sort((a, b) => a.start - b.start)) {
    for (let a = pool.start; a <= pool.end; a++) if (!s.byAddress.has(a) && !taken.has(a)) return a;
  }
  return null;
};

const allocate = ({ data, metadata }: AllocateVip, s: Subnet): SubnetEvent[] => {
  const subnet = live(s, data.subnetId);
  if (subnet.byLb.has(data.lbId)) return []; // this load balancer already holds its VIP: a retried saga step
  const taken = new Set((data.taken ?? []).map(parseIpv4).filter((a): a is number => a !== null));
  let address: number | null;
  if (data.address !== null) {
    address = parseIpv4(data.address);
    if (address === null) throw invalidInput('ip_address', `'${data.address}' is not a valid IP address.`);
    const reserved = address === subnet.cidr.network || address === broadcastAddress(subnet.cidr) || address === subnet.gateway;
    if (!cidrContains(subnet.cidr, address) || reserved) {
      throw new DomainError('Invalid', `IP address ${data.address} is not a valid IP for the specified subnet.`);
    }
    // Free on the whole layer-2 segment: not another VIP (here or on another subnet), not someone else's backend.
    if (subnet.byAddress.has(address) || taken.has(address)) {
      throw new DomainError('Conflict', `IP address ${data.address} already allocated in subnet ${data.subnetId}`);
    }
    if (!data.anyAddress && !subnet.pools.some((p) => rangeContains(p, address as number))) {
      throw new DomainError('Forbidden',
        `IP address ${data.address} is outside the allocation pools of subnet ${data.subnetId}; only an administrator may choose such an address.`);
    }
  } else {
    address = lowestFree(subnet, taken);
    if (address === null) throw new DomainError('Conflict', `No more IP addresses available on network ${subnet.networkId}.`);
  }
  return [{
    type: 'VipAllocated', v: 1,
    data: { subnetId: data.subnetId, address: formatIpv4(address), lbId: data.lbId, portId: data.portId, at: metadata.now },
  }];
};

const release = ({ data, metadata }: ReleaseVip, s: Subnet): SubnetEvent[] => {
  if (s.status !== 'live') return []; // nothing is allocated on a deleted or unknown subnet
  const address = s.byLb.get(data.lbId);
  if (address === undefined) return [];
  return [{
    type: 'VipReleased', v: 1,
    data: { subnetId: data.subnetId, address: formatIpv4(address), lbId: data.lbId, reason: data.reason, at: metadata.now },
  }];
};

/** The subnet aggregate (`lbaas.evt.subnet.<subnetId>`, IPAM) as a decider. */
export const subnet = { decide, evolve, initialState } satisfies Decider<Subnet, SubnetCommand, SubnetEvent>;
