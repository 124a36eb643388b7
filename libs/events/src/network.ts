import type { Event } from './event';
import type { AllocationPool } from './values';

/** An admin defined a network carried on a physical network (flat). Written by the api. */
export type NetworkCreated = Event<'NetworkCreated', 1, {
  networkId: string; projectId: string; name: string; physicalNetwork: string; networkType: 'flat'; shared: boolean; at: string;
}>;
/** A network (with no subnets left) was removed. Written by the api. */
export type NetworkDeleted = Event<'NetworkDeleted', 1, { networkId: string; at: string }>;

/** Every event of the network aggregate (`lbaas.evt.network.<networkId>`). */
export type NetworkEvent = NetworkCreated | NetworkDeleted;

/** An admin defined a subnet of a network, with the ranges VIPs are allocated from. Written by the api. */
export type SubnetCreated = Event<'SubnetCreated', 1, {
  subnetId: string;
  networkId: string;
  projectId: string;
  name: string;
  ipVersion: 4 | 6;
  cidr: string;
  gatewayIp: string | null;
  allocationPools: readonly AllocationPool[];
  at: string;
}>;
/** A subnet (with no VIPs allocated) was removed. Written by the api. */
export type SubnetDeleted = Event<'SubnetDeleted', 1, { subnetId: string; at: string }>;

/** An address of the subnet was handed to a load balancer as its VIP (port `portId`). Written by the api (LB create saga). */
export type VipAllocated = Event<'VipAllocated', 1, { subnetId: string; address: string; lbId: string; portId: string; at: string }>;

/** A VIP address went back to the subnet's pool. Written by the scheduler (after teardown, or by the sweeper for an LB never created). */
export type VipReleased = Event<'VipReleased', 1, {
  subnetId: string; address: string; lbId: string; reason: 'deleted' | 'abandoned'; at: string;
}>;

/** Every event of the subnet aggregate (`lbaas.evt.subnet.<subnetId>`). */
export type SubnetEvent = SubnetCreated | SubnetDeleted | VipAllocated | VipReleased;
