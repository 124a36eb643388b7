import { parseIpAddress } from '@lbaas/domain';
import { LIMITS } from '@lbaas/events';
import { RenderError, refuse as fail } from '@lbaas/haproxy-config';
import type { DesiredLb, DesiredListener, DesiredMember, DesiredMonitor, DesiredPool } from '@lbaas/projections';

/**
 * UDP load balancing without IPVS: one nftables table in the LB's namespace. Each UDP listener DNATs VIP:port to a
 * member picked from its pool's map (weighted slots: `numgen random`, or `jhash` of the source for SOURCE_IP and
 * SOURCE_IP_PORT), masquerades to the member (so replies come back through the namespace, as haproxy's connections do),
 * forwards only what it translated, and counts bytes and flows per listener. Conntrack keeps a flow on its member;
 * health changes rewrite only the pools' maps (renderPoolMaps), so counters and flows survive them. Pure: every
 * value that reaches the text is an id, an integer in range, or a canonical IP literal.
 */

/** The table this renderer owns in an LB's namespace. */
export const NFT_TABLE = 'lbaas_udp';
export const NFT_FAMILY = 'inet';

/** How a pool picks a member for a new flow. */
export type NftAlgorithm = 'random' | 'source-ip' | 'source-ip-port';
/** Health monitor types a UDP pool may have here (Octavia: UDP-CONNECT, TCP, HTTP; PING as the other types' host check). */
export const UDP_MONITOR_TYPES = ['UDP-CONNECT', 'PING', 'TCP', 'HTTP'] as const;
export type NftMonitorType = (typeof UDP_MONITOR_TYPES)[number];

/** A pool's health monitor as the UDP health checker runs it (seconds; rise/fall in checks). */
export type NftMonitor = Readonly<{
  type: NftMonitorType; delay: number; timeout: number; rise: number; fall: number;
  /** HTTP only. */
  httpMethod: string; urlPath: string; expectedCodes: readonly number[]; domainName: string | null; httpVersion: '1.0' | '1.1';
}>;
export type NftMember = Readonly<{
  id: string; family: 4 | 6; address: string; port: number; weight: number; backup: boolean; enabled: boolean;
  /** Where the health check goes (the member's monitor address and port, else its own). */
  checkAddress: string; checkPort: number;
}>;
export type NftPool = Readonly<{ id: string; algorithm: NftAlgorithm; seed: number; members: readonly NftMember[]; monitor: NftMonitor | null }>;
export type NftListener = Readonly<{
  id: string; port: number; poolId: string | null;
  /** The sources allowed per family (canonical CIDRs); null: every source. */
  allowed: Readonly<{ 4: readonly string[]; 6: readonly string[] }> | null;
}>;
/** Everything of one LB the kernel carries: checked, canonical values only (what the agent records and the checker reads). */
export type NftModel = Readonly<{
  lbId: string;
  vips: Readonly<{ 4: readonly string[]; 6: readonly string[] }>;
  listeners: readonly NftListener[];
  pools: readonly NftPool[];
  /** False for a planned move's copy that holds the VIP back: its checks would fail (no ARP from the VIP) until it takes over. */
  checks: boolean;
}>;

/** A desired LB split by engine: what haproxy renders, and what the kernel carries (null when nothing). */
export type EngineSplit = Readonly<{ haproxy: DesiredLb; nft: NftModel | null }>;

const SCTP_REFUSAL = 'SCTP is not available on this data plane: the host kernel has no SCTP support (CONFIG_IP_SCTP is not set)';

/**
 * UDP listeners and pools go to the kernel, the rest to haproxy. SCTP is refused with the reason (the kernel here has
 * no SCTP), so the load balancer ends in ERROR saying so instead of going ACTIVE without it.
 */
export function splitByEngine(lb: DesiredLb, opts: { withoutHealthChecks?: boolean } = {}): EngineSplit {
  for (const l of lb.listeners) if (l.protocol === 'SCTP') throw new RenderError(`listener ${l.listenerId}: ${SCTP_REFUSAL}`);
  for (const p of lb.pools) if (p.protocol === 'SCTP') throw new RenderError(`pool ${p.poolId}: ${SCTP_REFUSAL}`);
  const udpListeners = lb.listeners.filter((l) => l.protocol === 'UDP');
  const udpPools = lb.pools.filter((p) => p.protocol === 'UDP');
  const haproxy: DesiredLb = { ...lb, listeners: lb.listeners.filter((l) => l.protocol !== 'UDP'), pools: lb.pools.filter((p) => p.protocol !== 'UDP') };
  for (const l of haproxy.listeners) {
    if (l.defaultPoolId !== null && udpPools.some((p) => p.poolId === l.defaultPoolId)) throw new RenderError(`listener ${l.listenerId}: a ${l.protocol} listener cannot use UDP pool ${l.defaultPoolId}`);
  }
  for (const l of udpListeners) {
    if (l.defaultPoolId !== null && haproxy.pools.some((p) => p.poolId === l.defaultPoolId)) throw new RenderError(`listener ${l.listenerId}: a UDP listener cannot use non-UDP pool ${l.defaultPoolId}`);
  }
  if (udpListeners.length === 0 && udpPools.length === 0) return { haproxy, nft: null };
  return { haproxy, nft: nftModel(lb, udpListeners, udpPools, opts.withoutHealthChecks !== true) };
}

const id = (what: string, v: string): string => (typeof v === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(v) ? v : fail(what, v));
const int = (what: string, v: number, min: number, max: number): number => (Number.isInteger(v) && v >= min && v <= max ? v : fail(what, v));
const ip = (what: string, v: string): { family: 4 | 6; address: string } => {
  const p = typeof v === 'string' ? parseIpAddress(v) : null;
  return p ? { family: p.version, address: p.canonical } : fail(what, v);
};
const cidr = (what: string, v: string): { family: 4 | 6; cidr: string } => {
  const m = typeof v === 'string' ? /^([0-9A-Fa-f:.]{2,45})\/(\d{1,3})$/.exec(v) : null;
  if (!m) return fail(what, v);
  const a = ip(what, m[1]);
  return { family: a.family, cidr: `${a.address}/${int(what, Number(m[2]), 0, a.family === 4 ? 32 : 128)}` };
};
const byFamily = <T extends { family: 4 | 6 }>(xs: readonly T[], pick: (x: T) => string) => ({
  4: [...new Set(xs.filter((x) => x.family === 4).map(pick))], 6: [...new Set(xs.filter((x) => x.family === 6).map(pick))],
});
/** FNV-1a of a string: the pool's hash seed, so a client keeps its member from one render to the next. */
const fnv = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
};

/** `"200"`, `"200,202"`, `"200-204"` → the codes (Octavia's expected_codes forms). */
export function expectedCodes(raw: string | null): number[] {
  const text = raw ?? '200';
  const code = (c: string) => (/^[1-5]\d\d$/.test(c) ? Number(c) : fail('expected_codes', text));
  if (/^\d{3}-\d{3}$/.test(text)) {
    const [lo, hi] = text.split('-').map(code);
    return hi < lo ? fail('expected_codes', text) : Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  }
  return text.split(',').map((c) => code(c.trim()));
}

function nftMonitor(poolId: string, hm: DesiredMonitor): NftMonitor {
  if (!(UDP_MONITOR_TYPES as readonly string[]).includes(hm.type)) {
    throw new RenderError(`pool ${poolId}: health monitor type ${hm.type} is not supported for UDP pools (UDP-CONNECT, PING, TCP or HTTP)`);
  }
  const http = hm.type === 'HTTP';
  return {
    type: hm.type as NftMonitorType,
    delay: int('delay', hm.delay, 1, 86400), timeout: int('monitor timeout', hm.timeout, 1, 86400),
    rise: int('max_retries', hm.maxRetries, 1, 10), fall: int('max_retries_down', hm.maxRetriesDown, 1, 10),
    httpMethod: http ? (/^[A-Z]{3,7}$/.test(hm.httpMethod ?? 'GET') ? hm.httpMethod ?? 'GET' : fail('http_method', hm.httpMethod)) : 'GET',
    urlPath: http ? (/^\/[A-Za-z0-9._~!&()*+,;=:@%/?-]{0,2000}$/.test(hm.urlPath ?? '/') ? hm.urlPath ?? '/' : fail('url_path', hm.urlPath)) : '/',
    expectedCodes: http ? expectedCodes(hm.expectedCodes) : [],
    domainName: http && hm.domainName !== null
      ? (/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:\d{1,5})?$/.test(hm.domainName) ? hm.domainName : fail('domain_name', hm.domainName)) : null,
    httpVersion: hm.httpVersion === 1.1 || (http && hm.domainName !== null) ? '1.1' : '1.0',
  };
}

function nftMember(m: DesiredMember): NftMember {
  const a = ip('member address', m.address);
  const port = int('member port', m.protocolPort, 1, 65535);
  const checkAddress = m.monitorAddress !== null ? ip('monitor_address', m.monitorAddress).address : a.address;
  return {
    id: id('member id', m.memberId), family: a.family, address: a.address, port,
    weight: int('weight', m.weight, LIMITS.member.weight.min, LIMITS.member.weight.max), backup: m.backup === true, enabled: m.adminStateUp === true,
    checkAddress, checkPort: m.monitorPort !== null ? int('monitor_port', m.monitorPort, 1, 65535) : port,
  };
}

function nftPool(p: DesiredPool): NftPool {
  const poolId = id('pool id', p.poolId);
  const sp = p.sessionPersistence;
  if (sp && sp.type !== 'SOURCE_IP') throw new RenderError(`pool ${poolId}: session persistence ${sp.type} is not possible for UDP (SOURCE_IP only)`);
  // The source hash keeps every address on its member (as long as the member is up): persistence_timeout has nothing to
  // expire. A granularity coarser than one address would need a masked hash, which nftables' jhash does not take.
  const g = sp?.persistenceGranularity ?? null;
  if (g !== null && g !== '255.255.255.255' && g !== '128' && g !== '/128' && g !== 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff') {
    throw new RenderError(`pool ${poolId}: persistence_granularity ${JSON.stringify(g).slice(0, 60)} is not supported by this data plane (one address only)`);
  }
  let algorithm: NftAlgorithm;
  switch (p.lbAlgorithm) {
    case 'SOURCE_IP': algorithm = 'source-ip'; break;
    case 'SOURCE_IP_PORT': algorithm = 'source-ip-port'; break;
    // LEAST_CONNECTIONS has no flow count to read in the kernel's NAT: the weighted random choice stands in for it.
    case 'ROUND_ROBIN': case 'LEAST_CONNECTIONS': algorithm = sp ? 'source-ip' : 'random'; break;
    default: return fail('lb_algorithm', p.lbAlgorithm);
  }
  const monitor = p.monitor && p.monitor.adminStateUp ? nftMonitor(poolId, p.monitor) : null;
  const members = p.members.map(nftMember);
  const seen = new Set<string>();
  for (const m of members) {
    if (seen.has(m.id)) throw new RenderError(`pool ${poolId}: member ${m.id} appears twice`);
    seen.add(m.id);
  }
  return { id: poolId, algorithm, seed: fnv(poolId), members, monitor };
}

function nftListener(l: DesiredListener, pools: ReadonlySet<string>): NftListener {
  const listenerId = id('listener id', l.listenerId);
  const allowed = l.allowedCidrs && l.allowedCidrs.length > 0 ? byFamily(l.allowedCidrs.map((c) => cidr('allowed_cidrs', c)), (c) => c.cidr) : null;
  // A missing or disabled default pool: no translation, so the VIP answers ICMP port unreachable (haproxy's 503).
  const poolId = l.defaultPoolId !== null && pools.has(l.defaultPoolId) ? id('pool id', l.defaultPoolId) : null;
  return { id: listenerId, port: int('protocol_port', l.protocolPort, 1, 65535), poolId, allowed };
}

/** The kernel's part of `lb`: its UDP listeners (enabled ones, of an enabled LB) and UDP pools (enabled ones), checked. */
export function nftModel(lb: DesiredLb, listeners: readonly DesiredListener[], pools: readonly DesiredPool[], checks = true): NftModel {
  const lbId = id('lb id', lb.lbId);
  const vips = byFamily([lb.vip.address, ...(lb.additionalVips ?? []).map((v) => v.address)].map((a) => ip('vip address', a)), (a) => a.address);
  const enabledPools = pools.filter((p) => p.adminStateUp).map(nftPool);
  const poolIds = new Set(enabledPools.map((p) => p.id));
  const ports = new Set<number>();
  const ls = (lb.adminStateUp ? listeners.filter((l) => l.adminStateUp) : []).map((l) => nftListener(l, poolIds));
  for (const l of ls) {
    if (ports.has(l.port)) throw new RenderError(`listener ${l.id}: UDP port ${l.port} is used by another listener`);
    ports.add(l.port);
  }
  return { lbId, vips, listeners: ls, pools: enabledPools, checks };
}

/** A member's key in a health view: `<poolId>/<memberId>`. */
export const memberKey = (poolId: string, memberId: string): string => `${poolId}/${memberId}`;

/** The slots of a pool's map for one address family: M = total weight × scale, so small weights still split finely. */
const MIN_SLOTS = 1024;
type Slots = { modulus: number; base: readonly NftMember[]; backups: readonly NftMember[]; scale: number };
function slotsOf(p: NftPool, family: 4 | 6): Slots {
  const eligible = p.members.filter((m) => m.family === family && m.enabled && m.weight > 0);
  const primaries = eligible.filter((m) => !m.backup);
  // Backup members serve only when no primary can (haproxy's `backup` with allbackups); without primaries they are the base.
  const base = primaries.length > 0 ? primaries : eligible;
  const total = base.reduce((n, m) => n + m.weight, 0);
  const scale = total === 0 ? 0 : Math.max(1, Math.ceil(MIN_SLOTS / total));
  return { modulus: total * scale, base, backups: primaries.length > 0 ? eligible.filter((m) => m.backup) : [], scale };
}

type Element = { from: number; to: number; member: NftMember };
/** Splits [from, to] among `targets` in order (each gets a near-equal share; fewer slots than targets: the first ones). */
const split = (from: number, to: number, targets: readonly NftMember[]): Element[] => {
  const n = to - from + 1;
  const out: Element[] = [];
  let at = from;
  for (let i = 0; i < targets.length && at <= to; i++) {
    const size = Math.floor(n / targets.length) + (i < n % targets.length ? 1 : 0);
    if (size === 0) continue;
    out.push({ from: at, to: at + size - 1, member: targets[i] });
    at += size;
  }
  return out;
};

/**
 * The map's elements for a health view: each live base member keeps its own slots (its clients stay on it under a
 * source hash); a down member's slots are shared among the live ones; with every base member down, the live backups
 * share everything; with nobody live, no element (the VIP answers port unreachable).
 */
export function poolElements(p: NftPool, family: 4 | 6, down: ReadonlySet<string>): Element[] {
  const s = slotsOf(p, family);
  const live = (m: NftMember) => !down.has(memberKey(p.id, m.id));
  const liveBase = s.base.filter(live);
  if (liveBase.length === 0) {
    const liveBackups = s.backups.filter(live);
    return s.modulus > 0 && liveBackups.length > 0 ? split(0, s.modulus - 1, liveBackups) : [];
  }
  const out: Element[] = [];
  let at = 0;
  for (const m of s.base) {
    const size = m.weight * s.scale;
    if (live(m)) out.push({ from: at, to: at + size - 1, member: m }); else out.push(...split(at, at + size - 1, liveBase));
    at += size;
  }
  return out;
}

const mapName = (poolId: string, family: 4 | 6) => `p${family}_${poolId}`;
const setName = (listenerId: string, family: 4 | 6) => `a${family}_${listenerId}`;
const counterName = (listenerId: string, what: 'in' | 'out' | 'new') => `l_${listenerId}_${what}`;
const addr = (family: 4 | 6) => (family === 4 ? 'ip' : 'ip6');
const list = (xs: readonly string[]) => `{ ${xs.join(', ')} }`;
const elementText = (e: Element) => `${e.from === e.to ? e.from : `${e.from}-${e.to}`} : ${e.member.address} . ${e.member.port}`;

/** The per-listener counters this table keeps (the agent reads them back as the listener's statistics). */
export const listenerCounters = (listenerId: string) => ({ in: counterName(listenerId, 'in'), out: counterName(listenerId, 'out'), new: counterName(listenerId, 'new') });

/** The choice of a member for a new flow: weighted random, or a hash of the source (address, or address and port). */
const chooser = (p: NftPool, family: 4 | 6, modulus: number): string => {
  const seed = `seed 0x${p.seed.toString(16).padStart(8, '0')}`;
  switch (p.algorithm) {
    case 'random': return `numgen random mod ${modulus}`;
    case 'source-ip': return `jhash ${addr(family)} saddr mod ${modulus} ${seed}`;
    case 'source-ip-port': return `jhash ${addr(family)} saddr . udp sport mod ${modulus} ${seed}`;
  }
};

/**
 * The whole table as one `nft -f` transaction that replaces it (declare, delete, declare again: idempotent and atomic).
 * `down` (memberKey) leaves members out of the maps; the text without `down` is the table's structure.
 */
export function renderNftRuleset(model: NftModel, down: ReadonlySet<string> = new Set()): string {
  const lbId = id('lb id', model.lbId);
  const pools = new Map(model.pools.map((p) => [p.id, p]));
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const out = [
    `# lbaas: load balancer ${lbId}, UDP listeners (generated; do not edit)`,
    `table ${t}`,
    `delete table ${t}`,
    `table ${t} {`,
  ];
  for (const l of model.listeners) {
    const c = listenerCounters(id('listener id', l.id));
    out.push(`  counter ${c.in} { }`, `  counter ${c.out} { }`, `  counter ${c.new} { }`);
  }
  for (const p of model.pools) {
    for (const family of [4, 6] as const) {
      const els = poolElements(p, family, down);
      out.push(
        `  map ${mapName(id('pool id', p.id), family)} {`,
        `    typeof numgen random mod 1 : ${addr(family)} daddr . udp dport`,
        '    flags interval',
        ...(els.length > 0 ? [`    elements = { ${els.map(elementText).join(', ')} }`] : []),
        '  }',
      );
    }
  }
  for (const l of model.listeners) {
    for (const family of [4, 6] as const) {
      const cidrs = l.allowed?.[family] ?? [];
      if (cidrs.length > 0) out.push(`  set ${setName(l.id, family)} { type ${family === 4 ? 'ipv4_addr' : 'ipv6_addr'}; flags interval; elements = ${list(cidrs)} }`);
    }
  }
  const pre: string[] = [];
  const nat: string[] = [];
  const fwd: string[] = [];
  for (const l of model.listeners) {
    const c = listenerCounters(l.id);
    const port = int('protocol_port', l.port, 1, 65535);
    const p = l.poolId !== null ? pools.get(l.poolId) : undefined;
    for (const family of [4, 6] as const) {
      const vips = model.vips[family].map((v) => ip('vip address', v).address);
      if (vips.length === 0) continue;
      const match = `${addr(family)} daddr ${list(vips)} udp dport ${port}`;
      if (l.allowed) {
        // Only the listed sources: a family without any listed source is refused whole.
        pre.push(l.allowed[family].length > 0 ? `    ${match} ${addr(family)} saddr != @${setName(l.id, family)} drop` : `    ${match} drop`);
      }
      pre.push(`    ${match} counter name "${c.in}"`);
      const s = p ? slotsOf(p, family) : null;
      if (p && s && s.modulus > 0) nat.push(`    ${match} counter name "${c.new}" dnat ${addr(family)} to ${chooser(p, family, s.modulus)} map @${mapName(p.id, family)}`);
      fwd.push(`    ct status dnat ct direction reply ct original ${addr(family)} daddr ${list(vips)} meta l4proto udp ct original proto-dst ${port} counter name "${c.out}"`);
    }
  }
  out.push(
    '  chain filter_pre {',
    '    type filter hook prerouting priority mangle; policy accept;',
    ...pre,
    '  }',
    '  chain nat_pre {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...nat,
    '  }',
    // The namespace forwards only what this table translated (and its replies): it is no router for anything else.
    '  chain filter_fwd {',
    '    type filter hook forward priority filter; policy drop;',
    ...fwd,
    '    ct status dnat accept',
    '  }',
    // Members answer the namespace (their source is the VIP side's address), so replies find the way back untranslated.
    '  chain nat_post {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    '    ct status dnat masquerade',
    '  }',
    '}',
    '',
  );
  return out.join('\n');
}

/** The health checker's change: every pool map emptied and refilled for the health view, in one transaction. */
export function renderPoolMaps(model: NftModel, down: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const p of model.pools) {
    for (const family of [4, 6] as const) {
      const name = mapName(id('pool id', p.id), family);
      out.push(`flush map ${NFT_FAMILY} ${NFT_TABLE} ${name}`);
      const els = poolElements(p, family, down);
      if (els.length > 0) out.push(`add element ${NFT_FAMILY} ${NFT_TABLE} ${name} { ${els.map(elementText).join(', ')} }`);
    }
  }
  return `${out.join('\n')}\n`;
}
