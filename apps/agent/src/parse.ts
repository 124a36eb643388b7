import { isToken } from '@lbaas/contracts';
import { parseIpAddress } from '@lbaas/domain';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import { hostVethName, netnsName } from './layout';

/**
 * Parse, don't validate (DESIGN.md §10): everything the agent reads from the bus (events, snapshots, a DR import) is
 * hostile until it becomes a typed value here, once, at the agent's entrance (`parseDesiredState`). Host commands
 * (host/ip.ts batch lines and argv), paths and names take these types only, so a string that was never parsed cannot
 * reach them. A value that does not parse turns its load balancer into a rejected plan (ERROR with the reason), never
 * a command and never a crash.
 */

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

/**
 * A load-balancer id: a subject token of at most 64 characters (`[A-Za-z0-9_-]`; the API's ids are UUIDs), so a safe
 * path segment, netns suffix and argv word too: no `/`, `.`, space, newline or wildcard.
 */
export type LbId = Brand<string, 'LbId'>;
/** An IPv4 or IPv6 literal in canonical form (RFC 5952 for IPv6), without zone, brackets or prefix. */
export type IpAddress = Brand<string, 'IpAddress'>;
/** An IPv4 dotted quad. */
export type IPv4Address = IpAddress & Brand<string, 'IPv4Address'>;
/** A prefix length valid for its address family (0..32, 0..128). */
export type PrefixLength = Brand<number, 'PrefixLength'>;
/** A Linux interface name: 1..15 characters of `[A-Za-z0-9_.-]`, not `.` or `..`. */
export type InterfaceName = Brand<string, 'InterfaceName'>;
/** A network namespace this agent may own: `qlbaas-<LbId>`. */
export type NetnsName = Brand<string, 'NetnsName'>;
/** A TCP/UDP port, 1..65535. */
export type Port = Brand<number, 'Port'>;
/** `<ip>/<prefix>` with the prefix valid for the family. */
export type Cidr = Brand<string, 'Cidr'>;
/** An Ethernet address, lower case `xx:xx:xx:xx:xx:xx` (the old holder of a VIP, learnt from the segment). */
export type MacAddress = Brand<string, 'MacAddress'>;

/** A value from the bus that is not what it claims to be; the message names the field and shows the value (bounded). */
export class InvalidValue extends Error {
  constructor(readonly what: string, value: unknown, why: string) {
    super(`${what} ${show(value)} ${why}`);
    this.name = 'InvalidValue';
  }
}

const show = (v: unknown): string => {
  const s = typeof v === 'string' ? JSON.stringify(v) : v === undefined ? 'undefined' : (() => { try { return JSON.stringify(v) ?? String(v); } catch { return String(v); } })();
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
};
const invalid = (what: string, v: unknown, why: string): never => { throw new InvalidValue(what, v, why); };

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/;
const isId = (v: unknown): v is string => isToken(v) && v.length <= 64;

export const parse = {
  lbId(v: unknown, what = 'load balancer id'): LbId {
    if (!isId(v)) invalid(what, v, 'is not an id (1..64 of A-Z a-z 0-9 _ -)');
    return v as LbId;
  },
  /** Another API id in the tree (listener, pool, member, ...): the same shape; it names files and haproxy sections. */
  resourceId(v: unknown, what: string): string {
    if (!isId(v)) invalid(what, v, 'is not an id (1..64 of A-Z a-z 0-9 _ -)');
    return v as string;
  },
  /** An id that is only compared and shown (network, subnet): a subject token, bounded. */
  token(v: unknown, what: string): string {
    if (!isToken(v) || (v as string).length > 64) invalid(what, v, 'is not a token of at most 64 characters');
    return v as string;
  },
  ipAddress(v: unknown, what = 'address'): IpAddress {
    const ip = typeof v === 'string' ? parseIpAddress(v) : null;
    if (!ip) return invalid(what, v, 'is not an IPv4 or IPv6 address');
    return ip.canonical as IpAddress;
  },
  ipv4Address(v: unknown, what = 'address'): IPv4Address {
    const ip = typeof v === 'string' ? parseIpAddress(v) : null;
    if (!ip || ip.version !== 4) return invalid(what, v, 'is not an IPv4 address');
    return ip.canonical as IPv4Address;
  },
  prefixLength(v: unknown, of: IpAddress, what = 'prefix length'): PrefixLength {
    const max = familyOf(of) === 4 ? 32 : 128;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > max) invalid(what, v, `is not a prefix length 0..${max} for ${of}`);
    return v as PrefixLength;
  },
  interfaceName(v: unknown, what = 'interface name'): InterfaceName {
    if (typeof v !== 'string' || !IFNAME.test(v) || v === '.' || v === '..') invalid(what, v, 'is not an interface name (1..15 of A-Z a-z 0-9 _ . -)');
    return v as InterfaceName;
  },
  port(v: unknown, what = 'port'): Port {
    if (!Number.isInteger(v) || (v as number) < 1 || (v as number) > 65535) invalid(what, v, 'is not a port 1..65535');
    return v as Port;
  },
  cidr(v: unknown, what = 'CIDR'): Cidr {
    const m = typeof v === 'string' ? /^([^/]{1,45})\/(\d{1,3})$/.exec(v) : null;
    if (!m) return invalid(what, v, 'is not <address>/<prefix>');
    const address = parse.ipAddress(m[1], what);
    return `${address}/${parse.prefixLength(Number(m[2]), address, what)}` as Cidr;
  },
  mac(v: unknown, what = 'MAC address'): MacAddress {
    const m = typeof v === 'string' ? v.toLowerCase() : v;
    if (typeof m !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(m)) invalid(what, v, 'is not a MAC address (xx:xx:xx:xx:xx:xx)');
    return m as MacAddress;
  },
  /** A non-negative safe integer within `max` (versions, epochs, weights, timeouts). */
  count(v: unknown, what: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) invalid(what, v, `is not an integer ${min}..${max}`);
    return v as number;
  },
  /** A string without control characters, at most `max` long (certificate references, shown in reasons). */
  text(v: unknown, what: string, max: number): string {
    // eslint-disable-next-line no-control-regex
    if (typeof v !== 'string' || v.length === 0 || v.length > max || /[\u0000-\u001f\u007f]/.test(v)) invalid(what, v, `is not a line of text (1..${max} characters)`);
    return v as string;
  },
} as const;

/** 4 or 6, for a parsed address. */
export const familyOf = (a: IpAddress): 4 | 6 => (a.includes(':') ? 6 : 4);

/** The namespace of a load balancer (layout.ts names it; the type says the id was parsed). */
export const netnsOf = (lbId: LbId): NetnsName => netnsName(lbId) as NetnsName;
/** The host end of a load balancer's VIP veth: `vl` + 12 hex characters of its id. */
export const hostIfOf = (lbId: LbId): InterfaceName => parse.interfaceName(hostVethName(lbId), 'host interface');

/** Everything one VIP's plumbing runs with (PlugVip): the only inputs of its ip commands. */
export type VipPlumbing = Readonly<{
  lbId: LbId; netns: NetnsName; hostIf: InterfaceName; bridge: InterfaceName; address: IpAddress; prefixLen: PrefixLength; gateway: IpAddress | null;
}>;

/** Parses a PlugVip's values; the gateway must be of the VIP's family. */
export function parseVipPlumbing(raw: { lbId: unknown; bridge: unknown; address: unknown; prefixLen: unknown; gatewayIp: unknown }): VipPlumbing {
  const lbId = parse.lbId(raw.lbId);
  const address = parse.ipAddress(raw.address, 'VIP address');
  const prefixLen = parse.prefixLength(raw.prefixLen, address, "VIP subnet's prefix length");
  const gateway = raw.gatewayIp === null || raw.gatewayIp === undefined ? null : parse.ipAddress(raw.gatewayIp, "subnet's gateway");
  if (gateway !== null && familyOf(gateway) !== familyOf(address)) invalid("subnet's gateway", gateway, `is not of the VIP's address family (${address})`);
  return { lbId, netns: netnsOf(lbId), hostIf: hostIfOf(lbId), bridge: parse.interfaceName(raw.bridge, 'bridge'), address, prefixLen, gateway };
}

/** Why each refused load balancer was refused; the plan turns it into a rejected outcome (ERROR with the reason). */
const refusals = new WeakMap<DesiredLb, string>();

/** The reason a desired LB was refused at the entrance, or null: plan.ts rejects a refused LB before anything else. */
export const refusedReason = (d: DesiredLb): string | null => refusals.get(d) ?? null;

/** What the entrance let through: the desired state, refused LBs marked, and the ones it could not even name. */
export type ParsedDesiredState = Readonly<{ desired: DesiredState; refused: readonly { lbId: string; reason: string }[]; dropped: readonly string[] }>;

/**
 * The agent's entrance: every desired LB parsed (`checkLb`). One that parses is passed on as it is (its values were
 * checked: plan and host re-read them through these types); one that does not becomes a placeholder with its id,
 * epoch and versions only (nothing else of it can reach the host) marked refused with the reason. An LB whose id is
 * not even a subject token cannot be reported on (no aggregate subject) and is dropped (its id is listed, bounded).
 */
export function parseDesiredState(desired: DesiredState): ParsedDesiredState {
  const out: DesiredLb[] = [];
  const refused: { lbId: string; reason: string }[] = [];
  const dropped: string[] = [];
  for (const d of desired.loadBalancers) {
    const problem = lbProblem(d);
    if (problem === null) { out.push(d); continue; }
    if (!isId(d?.lbId) || !Number.isSafeInteger(d.epoch) || !Number.isSafeInteger(d.version)) { dropped.push(show(d?.lbId)); continue; }
    const reason = `refused by the agent: ${problem}`;
    const placeholder: DesiredLb = {
      lbId: d.lbId, epoch: d.epoch, handover: null, version: d.version, deleted: false, appliedVersion: Number.isSafeInteger(d.appliedVersion) ? d.appliedVersion : 0,
      rejectedVersion: Number.isSafeInteger(d.rejectedVersion) ? d.rejectedVersion : null, adminStateUp: false,
      vip: { address: '', prefixLen: null, gatewayIp: null, networkId: '', subnetId: '', bridge: { kind: 'unmapped', physicalNetwork: null } },
      listeners: [], pools: [],
    };
    refusals.set(placeholder, reason);
    refused.push({ lbId: d.lbId, reason });
    out.push(placeholder);
  }
  return { desired: { agentId: desired.agentId, loadBalancers: out }, refused, dropped };
}

/** The first problem of one desired LB (null = every value the host will use parses). */
function lbProblem(d: DesiredLb): string | null {
  try {
    checkLb(d);
    return null;
  } catch (err) {
    if (err instanceof InvalidValue) return err.message;
    return `malformed desired state (${err instanceof Error ? err.message : String(err)})`;
  }
}

/**
 * Every value of a desired LB that reaches a command, a path or a file name on the host: ids (paths, netns, veth,
 * crt-list files), the VIP's plumbing (ip batch lines), ports, member addresses, allowed CIDRs, certificate
 * references. What only reaches haproxy.cfg as text is the renderer's to refuse (libs/haproxy-config), and
 * `haproxy -c` checks the rest. A deleted LB needs only its id: its teardown uses nothing else.
 */
function checkLb(d: DesiredLb): void {
  parse.lbId(d.lbId);
  parse.count(d.epoch, 'placement epoch');
  parse.count(d.version, 'desired version');
  if (d.deleted) return;
  const v = d.vip;
  if (v.bridge.kind === 'mapped' && v.prefixLen !== null) {
    parseVipPlumbing({ lbId: d.lbId, bridge: v.bridge.name, address: v.address, prefixLen: v.prefixLen, gatewayIp: v.gatewayIp });
  } else {
    parse.ipAddress(v.address, 'VIP address'); // no bridge here, or an unknown subnet: the plan rejects it with its own reason
  }
  parse.token(v.subnetId, 'VIP subnet id');
  parse.token(v.networkId, 'VIP network id');
  // Additional VIPs become interface addresses (ip batch lines): each parsed like the VIP (extra-vips.ts).
  if (d.additionalVips !== undefined && (!Array.isArray(d.additionalVips) || d.additionalVips.length > 64)) invalid('additional VIPs', d.additionalVips, 'is not a list of at most 64');
  for (const x of d.additionalVips ?? []) {
    const address = parse.ipAddress(x?.address, 'additional VIP');
    parse.token(x.subnetId, 'additional VIP subnet id');
    if (x.prefixLen !== null) parse.prefixLength(x.prefixLen, address, "additional VIP subnet's prefix length");
  }
  // A pair side's VRRP address becomes the VIP interface's address (ip batch lines) and, with the peer's, keepalived.conf.
  if (d.pair !== undefined && d.pair !== null) {
    const { role, vrrpAddress, peerAddress, amphora } = d.pair;
    if (role !== 'MASTER' && role !== 'BACKUP' && role !== 'PROMOTED') invalid('VRRP role', role, 'is not MASTER, BACKUP or PROMOTED');
    parse.count(amphora, 'amphora ordinal');
    const own = parse.ipAddress(vrrpAddress, 'VRRP address');
    const vipFamily = familyOf(parse.ipAddress(d.vip.address, 'VIP address'));
    if (familyOf(own) !== vipFamily) invalid('VRRP address', vrrpAddress, "is not of the VIP's address family");
    if (peerAddress !== null && familyOf(parse.ipAddress(peerAddress, 'VRRP peer address')) !== vipFamily) {
      invalid('VRRP peer address', peerAddress, "is not of the VIP's address family");
    }
  }
  if (!Array.isArray(d.listeners) || !Array.isArray(d.pools)) invalid('load balancer tree', '', 'has no listener and pool lists');
  if (d.listeners.length > 1000 || d.pools.length > 1000) invalid('load balancer tree', d.listeners.length + d.pools.length, 'is too large (more than 1000 listeners or pools)');
  for (const l of d.listeners) {
    parse.resourceId(l.listenerId, 'listener id');
    parse.port(l.protocolPort, `listener ${l.listenerId} port`);
    if (l.defaultPoolId !== null) parse.resourceId(l.defaultPoolId, `listener ${l.listenerId} default pool id`);
    for (const c of l.allowedCidrs ?? []) parse.cidr(c, `listener ${l.listenerId} allowed CIDR`);
    if (l.tls) for (const ref of [l.tls.defaultRef, ...l.tls.sniRefs]) parse.text(ref, `listener ${l.listenerId} certificate reference`, 1024);
    for (const p of l.l7Policies) {
      parse.resourceId(p.l7PolicyId, 'L7 policy id');
      if (p.redirectPoolId !== null) parse.resourceId(p.redirectPoolId, `L7 policy ${p.l7PolicyId} redirect pool id`);
      for (const r of p.rules) parse.resourceId(r.l7RuleId, 'L7 rule id');
    }
  }
  for (const p of d.pools) {
    parse.resourceId(p.poolId, 'pool id');
    if (p.members.length > 10_000) invalid(`pool ${p.poolId}`, p.members.length, 'has too many members');
    for (const m of p.members) {
      parse.resourceId(m.memberId, 'member id');
      parse.ipAddress(m.address, `member ${m.memberId} address`);
      parse.port(m.protocolPort, `member ${m.memberId} port`);
      parse.count(m.weight, `member ${m.memberId} weight`, 0, 256);
      if (m.monitorAddress !== null) parse.ipAddress(m.monitorAddress, `member ${m.memberId} monitor address`);
      if (m.monitorPort !== null) parse.port(m.monitorPort, `member ${m.memberId} monitor port`);
    }
    if (p.monitor) parse.resourceId(p.monitor.healthMonitorId, 'health monitor id');
  }
}
