import type {
  CreateLoadBalancer, DeleteLoadBalancer, LoadBalancerEvent, LoadBalancerSettings, UpdateLoadBalancer,
} from '@lbaas/events';
import { LIMITS } from '@lbaas/events';
import { DomainError } from '../domain-error';
import { checkBool, checkTags, checkText, effectiveChanges, invalidField, isEmpty, validationFailure } from '../field-rules';
import { parseIpAddress } from '../ip-address';
import { unsupported } from '../protocol-rules';
import { SUPPORTED_TOPOLOGIES } from '../provider-capabilities';
import { assertNotPendingForLbChange, live } from './guards';
import type { LoadBalancer } from './state';

/** The load balancer itself: create, change its settings, delete it (with or without its tree). */

const checkLoadBalancerSettings = (x: LoadBalancerSettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
};

export const createLoadBalancer = ({ data, metadata }: CreateLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  if (s.status === 'live') return []; // the same request, retried
  if (s.status === 'deleted') throw new DomainError('IllegalState', 'Already an entity with that specified id.');
  checkLoadBalancerSettings(data);
  if (!parseIpAddress(data.vipAddress)) throw invalidField('vip_address', data.vipAddress, 'Value should be IPv4 or IPv6 format');
  checkAdditionalVips(data);
  if (data.flavor && !SUPPORTED_TOPOLOGIES.includes(data.flavor.topology)) throw unsupported(`loadbalancer_topology ${data.flavor.topology}`);
  if (data.flavor?.topology === 'ACTIVE_STANDBY') checkPairable(data);
  return [{ type: 'LoadBalancerCreated', v: 1, data: { ...data, at: metadata.now } }];
};

/**
 * What a VRRP pair carries today (issue 14): an IPv4 VIP (keepalived's IPv6 pair needs link-local VRRP addresses the
 * subnet IPAM does not hand out yet) and no additional VIPs (they would move with the VIP: not built yet). Refused, never faked.
 */
const checkPairable = (data: CreateLoadBalancer['data']): void => {
  if (parseIpAddress(data.vipAddress)?.version !== 4) throw unsupported('loadbalancer_topology ACTIVE_STANDBY with an IPv6 VIP');
  if ((data.additionalVips ?? []).length > 0) throw unsupported('loadbalancer_topology ACTIVE_STANDBY with additional_vips');
};

/** Octavia's additional_vips rules: one VIP per subnet, none on the primary VIP's subnet, every address valid and distinct. */
const checkAdditionalVips = (data: CreateLoadBalancer['data']): void => {
  const vips = data.additionalVips ?? [];
  if (vips.length > LIMITS.additionalVips.maxCount) throw invalidField('additional_vips', vips.length, `Value should have at most ${LIMITS.additionalVips.maxCount} entries`);
  const subnets = new Set([data.vipSubnetId]);
  const addresses = new Set([parseIpAddress(data.vipAddress)?.canonical]);
  for (const v of vips) {
    const ip = parseIpAddress(v.ipAddress);
    if (!ip) throw invalidField('additional_vips', v.ipAddress, 'ip_address should be IPv4 or IPv6 format');
    if (subnets.has(v.subnetId)) throw validationFailure(`Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet: ${v.subnetId}`);
    if (addresses.has(ip.canonical)) throw validationFailure(`Duplicate VIP address ${v.ipAddress}.`);
    subnets.add(v.subnetId);
    addresses.add(ip.canonical);
  }
};

export const updateLoadBalancer = ({ data, metadata }: UpdateLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const changes = effectiveChanges(lb.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertNotPendingForLbChange(lb);
  checkLoadBalancerSettings({ ...lb.settings, ...changes });
  return [{ type: 'LoadBalancerSettingsChanged', v: 1, data: { lbId: data.lbId, changes, at: metadata.now } }];
};

export const deleteLoadBalancer = ({ data, metadata }: DeleteLoadBalancer, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  assertNotPendingForLbChange(lb);
  if (!data.cascade && (lb.listeners.size > 0 || lb.pools.size > 0)) {
    throw validationFailure(`Cannot delete Load Balancer ${data.lbId} - it has children`);
  }
  return [{ type: 'LoadBalancerDeleted', v: 1, data: { lbId: data.lbId, cascade: data.cascade, at: metadata.now } }];
};
