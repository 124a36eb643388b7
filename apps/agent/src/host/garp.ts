import { spawn } from 'node:child_process';
import { VIP_IF } from '../layout';
import { familyOf, type IpAddress, type NetnsName } from '../parse';

/**
 * Sends `count` unsolicited (gratuitous) ARPs for `address` from the VIP interface of `netns`, 1 s apart, without
 * waiting: neighbours that cached the VIP's previous MAC (another host's) update their entry at once. IPv4 only:
 * for an IPv6 VIP the kernel sends the unsolicited neighbour advertisement itself as the address is added (no DAD on
 * vip0, ndisc_notify; set where the VIP is plugged: extra-vips.ts). Best effort: a failure is not a reconcile error.
 */
export function gratuitousArp(netns: NetnsName, address: IpAddress, count: number): void {
  if (count <= 0 || familyOf(address) !== 4) return;
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, ...garpArgv(String(Math.min(count, 10)), address)], { stdio: 'ignore', detached: false });
  child.on('error', () => undefined);
  child.unref();
}

/** The gratuitous-ARP command line from the VIP interface (also run inside a shell script: linux-host.ts PLUG). */
export const garpArgv = (count: string, address: string): string[] => ['arping', '-q', '-U', '-I', VIP_IF, '-c', count, address];
