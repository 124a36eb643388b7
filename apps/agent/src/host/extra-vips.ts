import { VIP_IF } from '../layout';
import { familyOf, parse, type InterfaceName, type IpAddress, type NetnsName, type PrefixLength } from '../parse';
import { run } from './exec';
import { gratuitousArp } from './garp';
import { batch, batchInput } from './ip';

/** One additional VIP as the host takes it: parsed again on the way in (parse.ts), never a raw string. */
export type ExtraVip = Readonly<{ address: IpAddress; prefixLen: PrefixLength }>;

export const parseExtraVips = (add: readonly { address: string; prefixLen: number }[]): ExtraVip[] => add.map((v) => {
  const address = parse.ipAddress(v.address, 'additional VIP');
  return { address, prefixLen: parse.prefixLength(v.prefixLen, address, "additional VIP subnet's prefix length") };
});

// IPv6, written only where the namespace has IPv6: bind to a VIP that is not on the interface (a fenced copy's haproxy
// keeps running), no duplicate address detection on the VIP's interface, and the kernel's unsolicited neighbour
// advertisement for each address added (ndisc_notify): what a gratuitous ARP is for IPv4. Without DAD (accept_dad 0 on
// vip0, and on `all`: the kernel wants both below 1) an address is usable the moment it is added, and the kernel
// announces it then. With DAD it stayed tentative for 1-2 s: no source address and deaf, so a new host's first health
// checks went out from ::1 and timed out, and its members stayed DOWN until `rise` checks passed after DAD
// (docs/failover.md). Not `nodad` on the address: the kernel announces only addresses that were tentative, however
// briefly, so a `nodad` one is never announced (keepalived, which adds its VIPs `nodad`, sends its own).
const v6conf = (path: string, value: number) => `{ [ ! -e /proc/sys/net/ipv6/${path} ] || echo ${value} > /proc/sys/net/ipv6/${path}; }`;
export const IPV6_VIP_SYSCTLS = [
  v6conf('ip_nonlocal_bind', 1), v6conf('conf/all/accept_dad', 0), v6conf(`conf/${VIP_IF}/accept_dad`, 0), v6conf('conf/all/ndisc_notify', 1),
].join(' && ');
// After IPv6 addresses were added: without DAD an address is still tentative until the kernel's address work item
// runs, a moment after `ip` returned (here 19 of 21 looks in the same `ip -batch` still saw it, 1 of 11 from the next
// `ip` process). The plumbing returns once none is (at most 1 s), so haproxy, started next, has its VIP as a source.
export const IPV6_USABLE_WAIT = `i=0; while [ "$i" -lt 100 ] && [ -n "$(ip -6 addr show dev ${VIP_IF} tentative)" ]; do sleep 0.01; i=$((i + 1)); done`;
// An IPv6 address is announced once, by the kernel, as it is added: vip0 must carry frames by then. A veth that just
// came up forwards only once the kernel's link watch has run (its operstate, and the bridge port of its peer): until
// then the bridge drops what it sends, and an advertisement sent then is lost (an IPv4 VIP has three gratuitous ARPs,
// 1 s apart). So vip0 is brought up and waited for (at most 1 s) before IPv6 addresses are added.
export const VIP_IF_UP = `ip link set dev ${VIP_IF} up && i=0; while [ "$i" -lt 100 ] && ! ip -o link show dev ${VIP_IF} | grep -q ' state UP '; do sleep 0.01; i=$((i + 1)); done`;

/** Adds the additional VIPs to the VIP's interface (idempotent: `addr replace`) and announces them (IPv4 here, IPv6 the kernel). */
export async function plugExtraVips(netns: NetnsName, vips: readonly ExtraVip[], garpCount: number): Promise<void> {
  const v6 = vips.some((v) => familyOf(v.address) === 6);
  const script = v6 ? `${IPV6_VIP_SYSCTLS} && { ${VIP_IF_UP}; } && ip -batch - && ${IPV6_USABLE_WAIT}` : `${IPV6_VIP_SYSCTLS} && exec ip -batch -`;
  await run('nsenter', [`--net=/run/netns/${netns}`, 'sh', '-c', script], {
    input: batchInput(vips.map((v) => batch.addrReplace(v.address, v.prefixLen, VIP_IF as InterfaceName))),
  });
  for (const v of vips) if (familyOf(v.address) === 4) gratuitousArp(netns, v.address, garpCount);
}
