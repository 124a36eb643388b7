import type { NetworkCommand, NetworkEvent, SubnetCommand, SubnetEvent } from '@lbaas/events';
import { metadata, NOW } from './load-balancer/load-balancer.fixtures';

/** Builders for network and subnet (IPAM) tests. */
export const NETWORK = 'e86ab9b7-1a40-4b8d-a21b-2cc1253435ec';
export const SUBNET = '8f8a6f38-3b7c-4b77-9d54-1c2d4c1e2a10';
type NCmd<T extends NetworkCommand['type']> = Extract<NetworkCommand, { type: T }>;
type SCmd<T extends SubnetCommand['type']> = Extract<SubnetCommand, { type: T }>;
type SEvt<T extends SubnetEvent['type']> = Extract<SubnetEvent, { type: T }>;

const net = { networkId: NETWORK, projectId: 'p1', name: 'public', physicalNetwork: 'physnet1', shared: true };
export const createNetwork = (o: Partial<NCmd<'CreateNetwork'>['data']> = {}): NCmd<'CreateNetwork'> =>
  ({ type: 'CreateNetwork', data: { ...net, ...o }, metadata });
export const networkCreated = (o: Partial<NCmd<'CreateNetwork'>['data']> = {}, at = NOW): Extract<NetworkEvent, { type: 'NetworkCreated' }> =>
  ({ type: 'NetworkCreated', v: 1, data: { ...net, ...o, networkType: 'flat', at } });
export const deleteNetwork = (subnetCount = 0): NCmd<'DeleteNetwork'> =>
  ({ type: 'DeleteNetwork', data: { networkId: NETWORK, subnetCount }, metadata });
export const networkDeleted = (networkId = NETWORK, at = NOW): Extract<NetworkEvent, { type: 'NetworkDeleted' }> =>
  ({ type: 'NetworkDeleted', v: 1, data: { networkId, at } });

const sub = {
  subnetId: SUBNET, networkId: NETWORK, projectId: 'p1', name: 'public-v4', cidr: '198.51.100.0/24',
  gatewayIp: '198.51.100.1' as string | null, allocationPools: null as { start: string; end: string }[] | null,
};
export const createSubnet = (o: Partial<SCmd<'CreateSubnet'>['data']> = {}): SCmd<'CreateSubnet'> =>
  ({ type: 'CreateSubnet', data: { ...sub, ...o }, metadata });
export const subnetCreated = (o: Partial<Omit<SEvt<'SubnetCreated'>['data'], 'at'>> = {}, at = NOW): SEvt<'SubnetCreated'> =>
  ({
    type: 'SubnetCreated', v: 1,
    data: { ...sub, ipVersion: 4, allocationPools: [{ start: '198.51.100.2', end: '198.51.100.254' }], ...o, at },
  });
export const deleteSubnet = (): SCmd<'DeleteSubnet'> => ({ type: 'DeleteSubnet', data: { subnetId: SUBNET }, metadata });
export const subnetDeleted = (subnetId = SUBNET, at = NOW): SEvt<'SubnetDeleted'> => ({ type: 'SubnetDeleted', v: 1, data: { subnetId, at } });
export const allocateVip = (lbId: string, address: string | null = null, o: Pick<SCmd<'AllocateVip'>['data'], 'taken' | 'anyAddress'> = {}): SCmd<'AllocateVip'> =>
  ({ type: 'AllocateVip', data: { subnetId: SUBNET, lbId, portId: `port-${lbId}`, address, ...o }, metadata });
export const vipAllocated = (lbId: string, address: string, at = NOW, subnetId = SUBNET): SEvt<'VipAllocated'> =>
  ({ type: 'VipAllocated', v: 1, data: { subnetId, address, lbId, portId: `port-${lbId}`, at } });
export const releaseVip = (lbId: string, reason: 'deleted' | 'abandoned' = 'deleted'): SCmd<'ReleaseVip'> =>
  ({ type: 'ReleaseVip', data: { subnetId: SUBNET, lbId, reason }, metadata });
export const vipReleased = (lbId: string, address: string, reason: 'deleted' | 'abandoned' = 'deleted', at = NOW, subnetId = SUBNET): SEvt<'VipReleased'> =>
  ({ type: 'VipReleased', v: 1, data: { subnetId, address, lbId, reason, at } });
