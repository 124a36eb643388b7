import type { DesiredLb } from '@lbaas/projections';
import { netnsName } from '../layout';
import { ensureKeepalived, keepalivedPaths, pairSideConfig, vrrpRole, type PairSide, type VrrpRole } from './keepalived-host';

/**
 * The agent's side of an ACTIVE_STANDBY pair (issue 14), as the reconciler's plan and host see it. The plan keeps two
 * hooks only: the VIP interface carries this side's VRRP address instead of the VIP (`plumbedAddress`), and once haproxy
 * runs, one `EnsureVrrp` action brings keepalived to the desired config (`vrrpActions`). keepalived then owns the VIP:
 * only the VRRP master has it (and answers ARP for it). Teardown needs nothing of its own: Destroy stops every process of
 * the namespace, keepalived with them (SIGTERM: a master drops the VIP and sends a priority-0 advert first).
 */

/** keepalived for one pair side, brought to `side`'s config (started, reloaded or left as it is). */
export type VrrpAction = { kind: 'EnsureVrrp'; lbId: string; netns: string; side: PairSide };

/** The address the VIP interface carries: the VRRP address of a pair side, else the VIP itself. */
export const plumbedAddress = (d: DesiredLb): string => d.pair?.vrrpAddress ?? d.vip.address;

/** After haproxy is up: keepalived of a pair side (nothing for SINGLE; the VIP's prefix is known once the plan got here). */
export function vrrpActions(d: DesiredLb): VrrpAction[] {
  const pair = d.pair;
  if (!pair || d.vip.prefixLen === null) return [];
  return [{
    kind: 'EnsureVrrp', lbId: d.lbId, netns: netnsName(d.lbId),
    side: {
      lbId: d.lbId, role: pair.role, vip: { address: d.vip.address, prefixLength: d.vip.prefixLen }, additionalVips: [],
      vrrpAddress: pair.vrrpAddress, peerAddress: pair.peerAddress,
    },
  }];
}

/** Where and how keepalived runs on this agent. */
export type VrrpHostOptions = Readonly<{ runDir: string; stateDir: string; bin: string; advertIntMs: number }>;

/** keepalived from PATH, adverts every 100 ms (VRRPv3 centiseconds: takeover ≈ 3 adverts + skew ≈ 0.35 s). */
export const DEFAULT_VRRP: Omit<VrrpHostOptions, 'runDir' | 'stateDir'> = { bin: 'keepalived', advertIntMs: 100 };

/** Applies an EnsureVrrp action (level-based and idempotent: nothing happens when keepalived runs the wanted config). */
export async function applyVrrp(a: VrrpAction, o: VrrpHostOptions): Promise<'started' | 'reloaded' | 'unchanged'> {
  const config = pairSideConfig(a.side, o.runDir, o.stateDir, o.advertIntMs);
  return ensureKeepalived(o.bin, a.netns, keepalivedPaths(o.runDir, a.lbId), config);
}

/** The VRRP role this host's keepalived of `lbId` last notified (null: none runs). */
export const observedVrrpRole = (runDir: string, lbId: string): VrrpRole | null => vrrpRole(keepalivedPaths(runDir, lbId));
