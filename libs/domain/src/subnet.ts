import type {
  AllocateVip, AllocationPool, CreateSubnet, Decider, DeleteSubnet, ReleaseVip, SubnetCommand, SubnetEvent,
} from '@lbaas/events';
import { assertNever, DomainError } from './domain-error';
import { checkText } from './field-rules';
import {
  cidrContains, cidrRange, formatIp, formatIpCidr, formatIpRange, hostRange, type IpCidr, type IpRange, type IpVersion,
  lowestUnused, networkOf, parseIp, parseIpCidr, parseIpPrefix, rangeContains, rangesOverlap, rangeWithout,
} from './ip-range';

/** The subnet aggregate's state (IPAM): the ranges VIPs come from and who holds which address. */
export type Subnet =
  | Readonly<{ status: 'none' }>
  | Readonly<{
    status: 'live'; subnetId: string; networkId: string; cidr: IpCidr; gateway: bigint | null;
    pools: readonly IpRange[];
    /** address → lbId, and lbId → address: an address is never handed out twice while allocated. */
    byAddress: ReadonlyMap<bigint, string>; byLb: ReadonlyMap<string, bigint>;
  }>
  | Readonly<{ status: 'deleted'; subnetId: string }>;
type Live = Extract<Subnet, { status: 'live' }>;

export const initialState = (): Subnet => ({ status: 'none' });

/** The address of the subnet's family that `s` spells, or null (another family, or no address). */
const addressIn = (version: IpVersion, s: string): bigint | null => {
  const ip = parseIp(s);
  return ip && ip.version === version ? ip.value : null;
};
const toRange = (version: IpVersion, p: AllocationPool): IpRange =>
  ({ start: addressIn(version, p.start) ?? 0n, end: addressIn(version, p.end) ?? 0n });
const fromRange = (version: IpVersion, r: IpRange): AllocationPool => ({ start: formatIp(version, r.start), end: formatIp(version, r.end) });

export const evolve = (s: Subnet, e: SubnetEvent): Subnet => {
  switch (e.type) {
    case 'SubnetCreated': {
      const cidr = parseIpCidr(e.data.cidr);
      if (!cidr) return s; // never written: decide refuses such a cidr
      return {
        status: 'live', subnetId: e.data.subnetId, networkId: e.data.networkId, cidr,
        gateway: e.data.gatewayIp === null ? null : addressIn(cidr.version, e.data.gatewayIp),
        pools: e.data.allocationPools.map((p) => toRange(cidr.version, p)), byAddress: new Map(), byLb: new Map(),
      };
    }
    case 'SubnetDeleted': return { status: 'deleted', subnetId: e.data.subnetId };
    case 'VipAllocated': {
      if (s.status !== 'live') return s;
      const address = addressIn(s.cidr.version, e.data.address);
      if (address === null) return s;
      // The maps are handed on, not copied: a state is folded once and only its newest version is used (a subnet
      // with 10,000 VIPs would otherwise cost 10,000 copies of 10,000 entries). decide() never mutates them.
      (s.byAddress as Map<bigint, string>).set(address, e.data.lbId);
      (s.byLb as Map<string, bigint>).set(e.data.lbId, address);
      return { ...s };
    }
    case 'VipReleased': {
      if (s.status !== 'live') return s;
      const address = s.byLb.get(e.data.lbId);
      (s.byLb as Map<string, bigint>).delete(e.data.lbId);
      if (address !== undefined) (s.byAddress as Map<bigint, string>).delete(address);
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

/** The longest prefixes a subnet may have: it must hold a gateway and at least one VIP besides. */
const MAX_PREFIX: Record<IpVersion, number> = { 4: 30, 6: 126 };

/** Neutron's subnet checks, for either family; returns the normalised cidr, gateway and pools. */
const checkSubnet = (data: CreateSubnet['data']): { cidr: IpCidr; gateway: bigint | null; pools: IpRange[] } => {
  checkText('name', data.name);
  const raw = parseIpPrefix(data.cidr);
  if (!raw) throw invalidInput('cidr', `'${data.cidr}' is not a valid IP subnet.`);
  const cidr = networkOf(raw);
  const { version } = cidr;
  if (data.ipVersion !== undefined && data.ipVersion !== version) {
    throw invalidInput('operation', `Requested subnet with cidr ${data.cidr} is not an IPv${data.ipVersion} subnet (ip_version ${data.ipVersion}).`);
  }
  if (cidr.network !== raw.address) {
    throw invalidInput('cidr', `'${data.cidr}' isn't a recognized IP subnet cidr, '${formatIpCidr(cidr)}' is recommended.`);
  }
  if (cidr.prefix > MAX_PREFIX[version]) {
    throw invalidInput('cidr', `'${data.cidr}' is too small: the prefix length must be at most ${MAX_PREFIX[version]}.`);
  }
  const hosts = hostRange(cidr);
  const address = (field: string, text: string): bigint => {
    const a = addressIn(version, text);
    if (a === null) throw invalidInput(field, `'${text}' is not a valid IPv${version} address.`);
    return a;
  };
  let gateway: bigint | null = null;
  if (data.gatewayIp !== null) {
    gateway = address('gateway_ip', data.gatewayIp);
    if (!rangeContains(hosts, gateway)) throw new DomainError('Invalid', 'Invalid input for operation: Gateway is not valid on subnet.');
  }
  const pools: IpRange[] = data.allocationPools === null
    ? (gateway === null ? [hosts] : rangeWithout(hosts, gateway))
    : data.allocationPools.map((p) => {
      const start = addressIn(version, p.start);
      const end = addressIn(version, p.end);
      if (start === null || end === null || start > end) {
        throw new DomainError('Invalid', `The allocation pool ${p.start}-${p.end} is not valid.`);
      }
      return { start, end };
    });
  const range = (r: IpRange) => formatIpRange(version, r);
  pools.forEach((p, i) => {
    if (!rangeContains(hosts, p.start) || !rangeContains(hosts, p.end)) {
      throw new DomainError('Invalid', `The allocation pool ${range(p)} spans beyond the subnet cidr ${formatIpCidr(cidr)}.`);
    }
    for (const other of pools.slice(0, i)) {
      if (rangesOverlap(p, other)) {
        throw new DomainError('Invalid',
          `Found overlapping allocation pools: ${range(other)} and ${range(p)} for subnet ${formatIpCidr(cidr)}.`);
      }
    }
    if (gateway !== null && rangeContains(p, gateway)) {
      throw new DomainError('Invalid', `Gateway ip ${formatIp(version, gateway)} conflicts with allocation pool ${range(p)}`);
    }
  });
  return { cidr, gateway, pools };
};

const create = ({ data, metadata }: CreateSubnet, s: Subnet): SubnetEvent[] => {
  if (s.status === 'live') return []; // the same request, retried
  if (s.status === 'deleted') throw new DomainError('IllegalState', `Subnet ${data.subnetId} was deleted; its id cannot be reused.`);
  const { cidr, gateway, pools } = checkSubnet(data);
  // Neutron's overlap check (allow_overlapping_ips does not apply across one layer 2): one segment, one address plan.
  const mine = cidrRange(cidr);
  for (const other of data.segmentSubnets ?? []) {
    const c = other.subnetId === data.subnetId ? null : parseIpCidr(other.cidr);
    if (c && c.version === cidr.version && rangesOverlap(mine, cidrRange(c))) {
      throw new DomainError('Invalid',
        `Invalid input for operation: Requested subnet with cidr: ${formatIpCidr(cidr)} for network: ${data.networkId} overlaps with another subnet.`);
    }
  }
  return [{
    type: 'SubnetCreated', v: 1,
    data: {
      subnetId: data.subnetId, networkId: data.networkId, projectId: data.projectId, name: data.name, ipVersion: cidr.version,
      cidr: formatIpCidr(cidr), gatewayIp: gateway === null ? null : formatIp(cidr.version, gateway),
      allocationPools: pools.map((p) => fromRange(cidr.version, p)), at: metadata.now,
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

/**
 * The lowest address of the allocation pools that nobody holds, here or elsewhere on the segment. Each pool's walk
 * stops at its first free address, so the cost follows the allocated count, not the pool's size (an IPv6 /64).
 */
const lowestFree = (s: Live, taken: ReadonlySet<bigint>): bigint | null => {
  const used = (a: bigint) => s.byAddress.has(a) || taken.has(a);
  for (const pool of [...s.pools].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0))) {
    const a = lowestUnused(pool, used);
    if (a !== null) return a;
  }
  return null;
};

const allocate = ({ data, metadata }: AllocateVip, s: Subnet): SubnetEvent[] => {
  const subnet = live(s, data.subnetId);
  if (subnet.byLb.has(data.lbId)) return []; // this load balancer already holds its VIP: a retried saga step
  const { version } = subnet.cidr;
  // Addresses of the other family cannot collide with this subnet's: they are left out.
  const taken = new Set((data.taken ?? []).map((t) => addressIn(version, t)).filter((a): a is bigint => a !== null));
  let address: bigint | null;
  if (data.address !== null) {
    const ip = parseIp(data.address);
    if (ip === null) throw invalidInput('ip_address', `'${data.address}' is not a valid IP address.`);
    address = ip.value;
    const reserved = !rangeContains(hostRange(subnet.cidr), address) || address === subnet.gateway;
    if (!cidrContains(subnet.cidr, ip) || reserved) {
      throw new DomainError('Invalid', `IP address ${data.address} is not a valid IP for the specified subnet.`);
    }
    // Free on the whole layer-2 segment: not another VIP (here or on another subnet), not someone else's backend.
    if (subnet.byAddress.has(address) || taken.has(address)) {
      throw new DomainError('Conflict', `IP address ${data.address} already allocated in subnet ${data.subnetId}`);
    }
    if (!data.anyAddress && !subnet.pools.some((p) => rangeContains(p, address as bigint))) {
      throw new DomainError('Forbidden',
        `IP address ${data.address} is outside the allocation pools of subnet ${data.subnetId}; only an administrator may choose such an address.`);
    }
  } else {
    address = lowestFree(subnet, taken);
    if (address === null) throw new DomainError('Conflict', `No more IP addresses available on network ${subnet.networkId}.`);
  }
  return [{
    type: 'VipAllocated', v: 1,
    data: { subnetId: data.subnetId, address: formatIp(version, address), lbId: data.lbId, portId: data.portId, at: metadata.now },
  }];
};

const release = ({ data, metadata }: ReleaseVip, s: Subnet): SubnetEvent[] => {
  if (s.status !== 'live') return []; // nothing is allocated on a deleted or unknown subnet
  const address = s.byLb.get(data.lbId);
  if (address === undefined) return [];
  return [{
    type: 'VipReleased', v: 1,
    data: { subnetId: data.subnetId, address: formatIp(s.cidr.version, address), lbId: data.lbId, reason: data.reason, at: metadata.now },
  }];
};

/** The subnet aggregate (`lbaas.evt.subnet.<subnetId>`, IPAM) as a decider. */
export const subnet = { decide, evolve, initialState } satisfies Decider<Subnet, SubnetCommand, SubnetEvent>;
