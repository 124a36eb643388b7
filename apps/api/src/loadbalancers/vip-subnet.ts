import type { NetworkView, SubnetView } from '@lbaas/projections';
import { ApiError, validationFailure } from '../http/errors';
import { parseIp, rangeSize } from '@lbaas/domain';
import { inCidr } from '../http/rules';

/** The networks and subnets a VIP may come from (the caller's own and shared ones: the lookup's). */
export type VipNetworks = Readonly<{ subnet(id: string): SubnetView | undefined; network(id: string): NetworkView | undefined }>;

/** How many addresses of the subnet's allocation pools are not handed out yet (an IPv6 /64's count, capped at 2^53). */
export function freeAddresses(s: SubnetView): number {
  let size = 0n;
  for (const p of s.allocationPools) {
    const a = parseIp(p.start), b = parseIp(p.end);
    if (a && b) size += rangeSize({ start: a.value, end: b.value });
  }
  const free = size - BigInt(s.vips.size);
  return free <= 0n ? 0 : Number(free > BigInt(Number.MAX_SAFE_INTEGER) ? BigInt(Number.MAX_SAFE_INTEGER) : free);
}

/**
 * Step 2 of the LB create saga, pure: which subnet the VIP comes from. vip_subnet_id names it (and must lie on
 * vip_network_id when both are given); vip_network_id alone picks a subnet of that network with a free address
 * (the one containing vip_address when that is given).
 */
export function chooseVipSubnet(
  view: VipNetworks, req: { vipSubnetId: string | null; vipNetworkId: string | null; vipAddress: string | null },
): SubnetView {
  if (req.vipSubnetId) {
    const s = view.subnet(req.vipSubnetId);
    if (!s) throw new ApiError(400, `Subnet ${req.vipSubnetId} not found.`);
    if (req.vipNetworkId && s.networkId !== req.vipNetworkId) {
      throw validationFailure(`Subnet ${s.subnetId} is not on network ${req.vipNetworkId}.`);
    }
    if (req.vipAddress && !inCidr(req.vipAddress, s.cidr)) {
      throw validationFailure(`VIP address ${req.vipAddress} is not in subnet ${s.subnetId} (${s.cidr}).`);
    }
    return s;
  }
  const networkId = req.vipNetworkId as string;
  const n = view.network(networkId);
  if (!n) throw new ApiError(400, `Network ${networkId} not found.`);
  const subnets = n.subnetIds.map((id) => view.subnet(id)).filter((s): s is SubnetView => s !== undefined);
  const candidates = req.vipAddress ? subnets.filter((s) => inCidr(req.vipAddress as string, s.cidr)) : subnets.filter((s) => freeAddresses(s) > 0);
  if (candidates.length === 0) {
    throw validationFailure(req.vipAddress
      ? `VIP address ${req.vipAddress} is not in any subnet of network ${networkId}.`
      : `No subnet on network ${networkId} has a free IP address for the VIP.`);
  }
  return candidates[0];
}
