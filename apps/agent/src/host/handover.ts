import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { VIP_IF, type lbPaths } from '../layout';
import { HostCommandFailed, run } from './exec';

/**
 * The data-plane side of a planned move (make before break), in the LB's namespace:
 *  - hold: an nftables `arp` table drops ARP requests for the VIP and ARP sent from it, so a copy holds the VIP without
 *    answering for it (the new copy until the old one lets go; the old copy once it let go, its neighbours pinned so it
 *    still reaches the clients of the connections it drains);
 *  - steer: the new copy sends mid-stream packets of connections it does not know (conntrack `new` without SYN, and
 *    their FIN/RST) on to the old copy's MAC, duplicated there by nftables and dropped here (Katran/Maglev in spirit),
 *    so a long connection through the old copy survives the VIP's MAC moving.
 * Every value reaching a rule is a checked IPv4 address or MAC.
 */
type Paths = ReturnType<typeof lbPaths>;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const ipv4 = (v: string): string => { if (!IPV4.test(v)) throw new Error(`not an IPv4 address: ${JSON.stringify(v)}`); return v; };
const mac = (v: string): string => { const m = v.toLowerCase(); if (!MAC.test(m)) throw new Error(`not a MAC address: ${JSON.stringify(v)}`); return m; };

/** The hand-over works for IPv4 VIPs (ARP); an IPv6 VIP moves as before (break before make). */
export const canHandOver = (vip: string): boolean => IPV4.test(vip);

const HOLD_TABLE = 'lbaas_hold';
const STEER_TABLE = 'lbaas_steer';
/** A link-local next hop whose neighbour entry is the old copy's MAC: `dup to` routes the packet copies through it. */
const STEER_VIA = '169.254.255.1';
const STEER_TO = '169.254.255.2';
const STEER_MARK = '0x4c42';

// Each ruleset first declares, deletes and declares its table again: one nft transaction, idempotent.
// The hold table lets go of the VIP by an element added to its `released` set: nftables adds in ~3 ms, while deleting
// a table (or an element) waits an RCU grace period (~13 ms here); the table itself is removed after the announcement.
export const holdRules = (vip: string): string => [
  `table arp ${HOLD_TABLE}`, `delete table arp ${HOLD_TABLE}`, `table arp ${HOLD_TABLE} {`,
  '  set released { type ipv4_addr; }',
  `  chain in { type filter hook input priority 0; policy accept; arp daddr ip @released accept; arp operation request arp daddr ip ${ipv4(vip)} drop; }`,
  `  chain out { type filter hook output priority 0; policy accept; arp saddr ip @released accept; arp saddr ip ${ipv4(vip)} drop; }`,
  '}', '',
].join('\n');

export const steerRules = (vip: string): string => [
  `table ip ${STEER_TABLE}`, `delete table ip ${STEER_TABLE}`, `table ip ${STEER_TABLE} {`,
  '  chain pre {',
  '    type filter hook prerouting priority mangle; policy accept;',
  `    ip daddr ${ipv4(vip)} ct state new tcp flags & (syn | ack) != syn ct mark set ${STEER_MARK}`,
  `    ct mark ${STEER_MARK} counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  // A lone FIN or RST of a connection never seen here has no conntrack entry to carry the mark (conntrack calls it
  // invalid): steered as it is, or this host would answer it with a reset and the old copy wait for it in vain.
  `    ip daddr ${ipv4(vip)} ct state invalid tcp flags & (fin | rst) != 0 counter dup to ${STEER_TO} device "${VIP_IF}" drop`,
  '  }',
  '}', '',
].join('\n');

/** Runs a program in the LB's network namespace (nsenter: no mount work, unlike `ip netns exec`). */
export const inNs = (netns: string, cmd: string, args: string[], opts?: { input?: string; timeoutMs?: number }) =>
  run('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args], opts);
const nft = (netns: string, args: string[]) => inNs(netns, 'nft', args);
const ignoreMissing = (err: unknown) => {
  if (!(err instanceof HostCommandFailed && /No such file or directory|does not exist/.test(err.stderr))) throw err;
};

/** Holds the VIP back (idempotent); the rules file is the record observe reads. */
export async function hold(netns: string, p: Paths, vip: string): Promise<void> {
  writeFileSync(p.hold, holdRules(vip));
  await nft(netns, ['-f', p.hold]);
}

/** Stops holding the VIP back (idempotent): `onAnswering` runs as soon as ARP for it flows, before the table is cleaned up. */
export async function unhold(netns: string, p: Paths, vip: string, onAnswering: () => void = () => undefined): Promise<void> {
  await nft(netns, ['add', 'element', 'arp', HOLD_TABLE, 'released', `{ ${ipv4(vip)} }`]).catch(ignoreMissing);
  onAnswering();
  rmSync(p.hold, { force: true });
  await nft(netns, ['delete', 'table', 'arp', HOLD_TABLE]).catch(ignoreMissing);
}

/**
 * Who answers ARP for `vip` on the segment now (a duplicate address detection probe from 0.0.0.0, which the hold
 * table lets through and no neighbour learns from): the MAC, or null when nobody answered within a second.
 */
export async function probeHolder(netns: string, p: Paths, vip: string): Promise<string | null> {
  // arping -D exits 1 when somebody answered (a "duplicate"): read stdout either way.
  const out = await inNs(netns, 'arping', ['-D', '-c', '1', '-w', '1', '-I', VIP_IF, ipv4(vip)], { timeoutMs: 3000 })
    .catch((err: unknown) => (err instanceof HostCommandFailed ? err.stdout ?? '' : Promise.reject(err)));
  const m = /\[([0-9A-Fa-f:]{17})\]/.exec(out);
  const holder = m ? mac(m[1]) : null;
  writeFileSync(p.holder, JSON.stringify({ mac: holder }));
  return holder;
}

/** The holder learnt by probeHolder: a MAC, null (nobody answered), or undefined (not probed in this namespace). */
export function readHolder(p: Paths): string | null | undefined {
  try {
    const { mac: m } = JSON.parse(readFileSync(p.holder, 'utf8')) as { mac: string | null };
    return m === null ? null : mac(m);
  } catch {
    return undefined;
  }
}

// Conntrack here sees one direction of a steered connection only (the old copy answers the client directly), so its
// window tracking must not call the rest of such a connection invalid.
const STEER = 'sysctl -q -w net.netfilter.nf_conntrack_tcp_be_liberal=1 net.netfilter.nf_conntrack_tcp_loose=1 && ip -batch - && exec nft -f "$1"';

/** Steers what this copy does not know to `holderMac` (idempotent): one process for the sysctls, the next hop and the rules. */
export async function steer(netns: string, p: Paths, vip: string, holderMac: string): Promise<void> {
  writeFileSync(p.steer, steerRules(vip));
  await inNs(netns, 'sh', ['-c', STEER, 'sh', p.steer], {
    input: [`neigh replace ${STEER_VIA} lladdr ${mac(holderMac)} dev ${VIP_IF} nud permanent`, `route replace ${STEER_TO}/32 via ${STEER_VIA} dev ${VIP_IF} onlink`, ''].join('\n'),
  });
}

/** Ends the steering (idempotent). */
export async function unsteer(netns: string, p: Paths): Promise<void> {
  await nft(netns, ['delete', 'table', 'ip', STEER_TABLE]).catch(ignoreMissing);
  await run('ip', ['-n', netns, '-batch', '-'], { input: `route del ${STEER_TO}/32\nneigh del ${STEER_VIA} dev ${VIP_IF}\n` }).catch(() => undefined);
  rmSync(p.steer, { force: true });
}

/**
 * The old copy lets go: its current neighbours become permanent (it answers its clients without asking ARP, which would
 * carry the VIP as sender and pull neighbours back to it), then the VIP is held back. Its haproxy keeps serving.
 */
export async function release(netns: string, p: Paths, vip: string): Promise<void> {
  const neigh = JSON.parse((await run('ip', ['-n', netns, '-j', 'neigh', 'show', 'dev', VIP_IF])).trim() || '[]') as { dst: string; lladdr?: string; state?: string[] }[];
  const pin = neigh.filter((n) => n.lladdr && IPV4.test(n.dst) && MAC.test(n.lladdr.toLowerCase()) && !(n.state ?? []).some((s) => s === 'FAILED' || s === 'INCOMPLETE'))
    .map((n) => `neigh replace ${n.dst} lladdr ${n.lladdr!.toLowerCase()} dev ${VIP_IF} nud permanent`);
  if (pin.length > 0) await run('ip', ['-n', netns, '-batch', '-'], { input: `${pin.join('\n')}\n` });
  await hold(netns, p, vip);
}

/** The hand-over tables that really are in the namespace (full observe checks the records against them). */
export async function handoverTables(netns: string): Promise<{ hold: boolean; steer: boolean }> {
  const out = await nft(netns, ['list', 'tables']).catch(() => '');
  return { hold: out.includes(`table arp ${HOLD_TABLE}`), steer: out.includes(`table ip ${STEER_TABLE}`) };
}
