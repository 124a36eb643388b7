import type {
  CreateLoadBalancer, DeleteLoadBalancer, LoadBalancerEvent, LoadBalancerSettings, UpdateLoadBalancer,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import { checkBool, checkTags, checkText, effectiveChanges, invalidField, isEmpty, validationFailure } from '../field-rules';
import { parseIpAddress } from '../ip-address';
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
  return [{ type: 'LoadBalancerCreated', v: 1, data: { ...data, at: metadata.now } }];
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
