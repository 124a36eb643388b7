import type { DesiredLb } from '@lbaas/projections';
import { InvalidValue, parse } from './parse';

/**
 * The additional VIPs of a load balancer (API additional_vips: other subnets of the VIP's network, so the same bridge):
 * more addresses on the VIP's interface, each announced like the VIP (gratuitous ARP; IPv6: the kernel's unsolicited
 * neighbour advertisement as it is added, without duplicate address detection). haproxy binds every listener on each,
 * and the UDP table matches them too. Pure.
 */
export type ExtraVipAction = { kind: 'PlugExtraVips'; lbId: string; netns: string; add: { address: string; prefixLen: number }[] };

/** Why the additional VIPs cannot be plugged (an unknown subnet, an address that does not parse), or null. */
export function extraVipsProblem(d: DesiredLb): string | null {
  for (const v of d.additionalVips ?? []) {
    if (v.prefixLen === null) return `subnet ${v.subnetId} of additional VIP ${v.address} is unknown`;
    try {
      parse.prefixLength(v.prefixLen, parse.ipAddress(v.address, 'additional VIP'), "additional VIP subnet's prefix length");
    } catch (err) {
      if (err instanceof InvalidValue) return `refused by the agent: ${err.message}`;
      throw err;
    }
  }
  return null;
}

/**
 * The additional VIPs missing from the interface (`addresses` as observed, null: a new namespace). A copy that holds its
 * VIP back (a planned move) takes none yet: the hand-over's hold table covers the VIP only, so it plugs them once it
 * announces. Addresses are only added: additional VIPs are fixed at create, and the namespace goes with the LB.
 */
export function planExtraVips(d: DesiredLb, netns: string, addresses: readonly string[] | null, heldBack: boolean): ExtraVipAction[] {
  if (heldBack) return [];
  const have = new Set(addresses ?? []);
  const add = (d.additionalVips ?? []).flatMap((v) => {
    const address = parse.ipAddress(v.address, 'additional VIP');
    return v.prefixLen !== null && !have.has(`${address}/${v.prefixLen}`) ? [{ address, prefixLen: v.prefixLen }] : [];
  });
  return add.length > 0 ? [{ kind: 'PlugExtraVips', lbId: d.lbId, netns, add }] : [];
}
