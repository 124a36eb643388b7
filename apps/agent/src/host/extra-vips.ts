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

// IPv6: bind before duplicate address detection is done, and the kernel's unsolicited neighbour advertisement once it
// is (ndisc_notify): what a gratuitous ARP is for IPv4. Written only where the namespace has IPv6.
export const IPV6_VIP_SYSCTLS = '{ [ ! -e /proc/sys/net/ipv6/ip_nonlocal_bind ] || echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind; }'
  + ' && { [ ! -e /proc/sys/net/ipv6/conf/all/ndisc_notify ] || echo 1 > /proc/sys/net/ipv6/conf/all/ndisc_notify; }';

/** Adds the additional VIPs to the VIP's interface (idempotent: `addr replace`) and announces the IPv4 ones. */
export async function plugExtraVips(netns: NetnsName, vips: readonly ExtraVip[], garpCount: number): Promise<void> {
  await run('nsenter', [`--net=/run/netns/${netns}`, 'sh', '-c', `${IPV6_VIP_SYSCTLS} && exec ip -batch -`], {
    input: batchInput(vips.map((v) => batch.addrReplace(v.address, v.prefixLen, VIP_IF as InterfaceName))),
  });
  for (const v of vips) if (familyOf(v.address) === 4) gratuitousArp(netns, v.address, garpCount);
}
