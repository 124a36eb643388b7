import type { AllocationPool, NetworkEvent, SubnetEvent } from '@lbaas/events';

export type NetworkView = {
  networkId: string; projectId: string; name: string; physicalNetwork: string; networkType: 'flat'; shared: boolean;
  subnetIds: string[]; createdAt: string;
};
export type VipAllocationView = { address: string; lbId: string; portId: string; at: string };
export type SubnetView = {
  subnetId: string; networkId: string; projectId: string; name: string; ipVersion: 4 | 6; cidr: string; gatewayIp: string | null;
  allocationPools: AllocationPool[]; createdAt: string;
  /** lbId -> its VIP on this subnet. */
  vips: Map<string, VipAllocationView>;
};
/** Neutron-style networks and subnets (with their VIP allocations, shown as ports). */
export type NetworksView = { networks: Map<string, NetworkView>; subnets: Map<string, SubnetView> };

export const initialNetworks = (): NetworksView => ({ networks: new Map(), subnets: new Map() });

/** Folds one network or subnet event into the view (in place; deterministic, no I/O). */
export function evolveNetworks(view: NetworksView, event: NetworkEvent | SubnetEvent): NetworksView {
  switch (event.type) {
    case 'NetworkCreated': {
      const { at, ...rest } = event.data;
      if (!view.networks.has(rest.networkId)) view.networks.set(rest.networkId, { ...rest, subnetIds: [], createdAt: at });
      break;
    }
    case 'NetworkDeleted':
      view.networks.delete(event.data.networkId);
      break;
    case 'SubnetCreated': {
      const { at, ...rest } = event.data;
      if (view.subnets.has(rest.subnetId)) break;
      view.subnets.set(rest.subnetId, { ...rest, allocationPools: [...rest.allocationPools], createdAt: at, vips: new Map() });
      view.networks.get(rest.networkId)?.subnetIds.push(rest.subnetId);
      break;
    }
    case 'SubnetDeleted': {
      const s = view.subnets.get(event.data.subnetId);
      if (!s) break;
      view.subnets.delete(s.subnetId);
      const n = view.networks.get(s.networkId);
      if (n) n.subnetIds = n.subnetIds.filter((id) => id !== s.subnetId);
      break;
    }
    case 'VipAllocated':
      view.subnets.get(event.data.subnetId)?.vips.set(event.data.lbId, {
        address: event.data.address, lbId: event.data.lbId, portId: event.data.portId, at: event.data.at,
      });
      break;
    case 'VipReleased':
      view.subnets.get(event.data.subnetId)?.vips.delete(event.data.lbId);
      break;
  }
  return view;
}
