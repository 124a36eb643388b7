import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { VIP_IF, type lbPaths } from '../layout';
import { parse, type InterfaceName, type IPv4Address, type MacAddress, type NetnsName } from '../parse';
import { HostCommandFailed, run } from './exec';
import { batch, batchInput, ipBatch } from './ip';

/**
 * The data-plane side of a planned move (make before break), in the LB's namespace:
 *  - hold: an nftables `arp` table drops ARP requests for the VIP and ARP sent from it, so a copy holds the VIP without
 *    answering for it (the new copy until the old one lets go; the old copy once it let go, its neighbours pinned so it
 *    still reaches the clients of the connections it drains);
 *  - steer: the new copy sends mid-stream packets of connections it does not know (conntrack `new` without SYN, and
 *    their FIN/RST; the SYN-ACKs and echo replies of connections the old copy opened to backends) on to the old copy's
 *    MAC, duplicated there by nftables and dropped here (Katran/Maglev in spirit), so a long connection through the old
 *    copy survives the VIP's MAC moving, and so does the old copy's traffic to its backends while it drains.
 * Every value reaching a rule or a command is a typed value of ../parse.ts (an IPv4 address, a MAC, a namespace).
 */
type Paths = ReturnType<typeof lbPaths>;
const VIP = VIP_IF as InterfaceName;

const HOLD_TABLE = 'lbaas_hold';
const STEER_TABLE = 'lbaas_steer';
/** A link-local next hop whose neighbour entry is the old copy's MAC: `dup to` routes the packet copies through it. */
const STEER_VIA = parse.ipv4Address('169.254.255.1');
const STEER_TO = parse.ipv4Address('169.254.255.2');
const STEER_MARK = '0x4c42';

// Each ruleset first declares, deletes and declares its table again: one nft transaction, idempotent.
// The hold table lets go of the VIP by an element added to its `released` set: nftables adds in ~3 ms, while deleting
// a table (or an element) waits an RCU grace period (~13 ms here); the table itself is removed after the announcement.
export const holdRules = (vip: IPv4Address): string => [
  `table arp ${HOLD_TABLE}`, `delete table arp ${HOLD_TABLE}`, `table arp ${HOLD_TABLE} {`,
  '  set released { type ipv4_addr; }',
  `  chain in { type filter hook input priority 0; policy accept; arp daddr ip @released accept; arp operation request arp daddr ip ${vip} drop; }`,
  `  chain out { type filter hook output priority 0; policy accept; arp saddr ip @released accept; arp saddr ip ${vip} drop; }`,
  '}', '',
].join('\n');

export const steerRules = (vip: IPv4Address): string => [
  `table ip ${STEER_TABLE}`, `delete table ip ${STEER_TABLE}`, `table ip ${STEER_TABLE} {`,
  '  chain pre {',
  '    type filter hook prerouting priority mangle; policy accept;',
  `    ip daddr ${vip} ct state new tcp flags & (syn | ack) != syn ct mark set ${STEER_MARK}`,
  `    ct mark ${STEER_MARK} counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  // A lone FIN or RST of a connection never seen here has no conntrack entry to carry the mark (conntrack calls it
  // invalid): steered as it is, or this host would answer it with a reset and the old copy wait for it in vain.
  `    ip daddr ${vip} ct state invalid tcp flags & (fin | rst) != 0 counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  // The old copy still opens connections to backends for the clients that reach it while it drains, and the backends
  // answer the VIP at its new MAC (this copy's announcement moved their neighbour entry): a SYN-ACK, or an echo reply
  // to a PING check, of a connection this copy never opened is the old copy's (also invalid to conntrack here). Without
  // this its connects time out and its health checks fail while it drains.
  `    ip daddr ${vip} ct state invalid tcp flags & (syn | ack) == syn | ack counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  `    ip daddr ${vip} ct state invalid icmp type echo-reply counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  '  }',
  '}', '',
].join('\n');

/** Runs a program in the LB's network namespace (nsenter: no mount work, unlike `ip netns exec`). */
export const inNs = (netns: NetnsName, cmd: string, args: string[], opts?: { input?: string; timeoutMs?: number }) =>
  run('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args], opts);
const nft = (netns: NetnsName, args: string[]) => inNs(netns, 'nft', args);
const ignoreMissing = (err: unknown) => {
  if (!(err instanceof HostCommandFailed && /No such file or directory|does not exist/.test(err.stderr))) throw err;
};

/** Holds the VIP back (idempotent); the rules file is the record observe reads. */
export async function hold(netns: NetnsName, p: Paths, vip: IPv4Address): Promise<void> {
  writeFileSync(p.hold, holdRules(vip));
  await nft(netns, ['-f', p.hold]);
}

/** Stops holding the VIP back (idempotent): `onAnswering` runs as soon as ARP for it flows, before the table is cleaned up. */
export async function unhold(netns: NetnsName, p: Paths, vip: IPv4Address, onAnswering: () => void = () => undefined): Promise<void> {
  await nft(netns, ['add', 'element', 'arp', HOLD_TABLE, 'released', `{ ${vip} }`]).catch(ignoreMissing);
  onAnswering();
  rmSync(p.hold, { force: true });
  await nft(netns, ['delete', 'table', 'arp', HOLD_TABLE]).catch(ignoreMissing);
}

/**
 * Drops the hold table at once (idempotent), for a copy that holds no ARP-answering VIP any more (a pair's old master
 * ending its release, its /32 gone first): unlike unhold, ARP for the VIP never flows through the table before it goes.
 */
export async function dropHold(netns: NetnsName, p: Paths): Promise<void> {
  rmSync(p.hold, { force: true });
  await nft(netns, ['delete', 'table', 'arp', HOLD_TABLE]).catch(ignoreMissing);
}

/**
 * Who answers ARP for `vip` on the segment now (a duplicate address detection probe from 0.0.0.0, which the hold
 * table lets through and no neighbour learns from): the MAC, or null when nobody answered within a second.
 */
export async function probeHolder(netns: NetnsName, p: Paths, vip: IPv4Address): Promise<MacAddress | null> {
  // arping -D exits 1 when somebody answered (a "duplicate"): read stdout either way.
  const out = await inNs(netns, 'arping', ['-D', '-c', '1', '-w', '1', '-I', VIP_IF, vip], { timeoutMs: 3000 })
    .catch((err: unknown) => (err instanceof HostCommandFailed ? err.stdout ?? '' : Promise.reject(err)));
  const m = /\[([0-9A-Fa-f:]{17})\]/.exec(out);
  const holder = m ? parse.mac(m[1]) : null;
  writeFileSync(p.holder, JSON.stringify({ mac: holder }));
  return holder;
}

/** The holder learnt by probeHolder: a MAC, null (nobody answered), or undefined (not probed in this namespace). */
export function readHolder(p: Paths): MacAddress | null | undefined {
  try {
    const { mac: m } = JSON.parse(readFileSync(p.holder, 'utf8')) as { mac: string | null };
    return m === null ? null : parse.mac(m);
  } catch {
    return undefined;
  }
}

// Conntrack here sees one direction of a steered connection only (the old copy answers the client directly), so its
// window tracking must not call the rest of such a connection invalid.
const STEER = 'sysctl -q -w net.netfilter.nf_conntrack_tcp_be_liberal=1 net.netfilter.nf_conntrack_tcp_loose=1 && ip -batch - && exec nft -f "$1"';

/** Steers what this copy does not know to `holderMac` (idempotent): one process for the sysctls, the next hop and the rules. */
export async function steer(netns: NetnsName, p: Paths, vip: IPv4Address, holderMac: MacAddress): Promise<void> {
  writeFileSync(p.steer, steerRules(vip));
  await inNs(netns, 'sh', ['-c', STEER, 'sh', p.steer], {
    input: batchInput([batch.neighPermanent(STEER_VIA, holderMac, VIP), batch.routeReplaceHostOnlink(STEER_TO, STEER_VIA, VIP)]),
  });
}

/** Ends the steering (idempotent). */
export async function unsteer(netns: NetnsName, p: Paths): Promise<void> {
  await nft(netns, ['delete', 'table', 'ip', STEER_TABLE]).catch(ignoreMissing);
  await ipBatch(netns, [batch.routeDelHost(STEER_TO), batch.neighDel(STEER_VIA, VIP)]).catch(() => undefined);
  rmSync(p.steer, { force: true });
}

/**
 * The old copy lets go: its current neighbours become permanent (it answers its clients without asking ARP, which would
 * carry the VIP as sender and pull neighbours back to it), then the VIP is held back. Its haproxy keeps serving.
 */
export async function release(netns: NetnsName, p: Paths, vip: IPv4Address): Promise<void> {
  const neigh = JSON.parse((await run('ip', ['-n', netns, '-j', 'neigh', 'show', 'dev', VIP_IF])).trim() || '[]') as { dst: string; lladdr?: string; state?: string[] }[];
  const pin = neigh.flatMap((n) => {
    if ((n.state ?? []).some((s) => s === 'FAILED' || s === 'INCOMPLETE')) return [];
    try { return [batch.neighPermanent(parse.ipv4Address(n.dst), parse.mac(n.lladdr), VIP)]; } catch { return []; } // IPv6 or odd entries: not ours to pin
  });
  if (pin.length > 0) await ipBatch(netns, pin);
  await hold(netns, p, vip);
}

/** The hand-over tables that really are in the namespace (full observe checks the records against them). */
export async function handoverTables(netns: NetnsName): Promise<{ hold: boolean; steer: boolean }> {
  const out = await nft(netns, ['list', 'tables']).catch(() => '');
  return { hold: out.includes(`table arp ${HOLD_TABLE}`), steer: out.includes(`table ip ${STEER_TABLE}`) };
}
