import {
  LIMITS,
  type CreateMember, type DeleteMember, type LoadBalancerEvent, type MemberSettings, type UpdateMember,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import { checkBool, checkPort, checkRange, checkTags, checkText, effectiveChanges, invalidField, isEmpty } from '../field-rules';
import { parseIpAddress } from '../ip-address';
import { assertMutable, live, memberOf, poolOf } from './guards';
import { memberKey, type LoadBalancer } from './state';

/** Octavia's `[networking] reserved_ips` default: the metadata service address. No member or monitor may use it. */
export const RESERVED_IPS: readonly string[] = ['169.254.169.254'];

/** The settings a member gets for what its create does not name (Octavia's defaults). */
export const MEMBER_DEFAULTS: MemberSettings = {
  name: '', adminStateUp: true, weight: LIMITS.member.weight.default, backup: false, monitorAddress: null, monitorPort: null, tags: [],
};

/**
 * A member's subnet must exist (Octavia's InvalidSubresource, 400). Subnets are another aggregate, so the caller
 * says whether it knows the id; single, batch and graph creates all ask here, so they answer alike.
 */
export const checkMemberSubnet = (subnetId: string | null | undefined, subnetExists: (id: string) => boolean): void => {
  if (subnetId && !subnetExists(subnetId)) throw new DomainError('Invalid', `Subnet ${subnetId} not found.`);
};

const checkMemberSettings = (x: MemberSettings): void => {
  checkText('name', x.name);
  checkBool('admin_state_up', x.adminStateUp);
  checkBool('backup', x.backup);
  checkTags(x.tags);
  checkRange('weight', x.weight, LIMITS.member.weight);
  if (x.monitorPort !== null) checkPort('monitor_port', x.monitorPort);
  if (x.monitorAddress !== null && !parseIpAddress(x.monitorAddress)) {
    throw invalidField('monitor_address', x.monitorAddress, 'Value should be IPv4 or IPv6 format');
  }
};

export const createMember = ({ data, metadata }: CreateMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const pool = poolOf(lb, data.poolId);
  if (pool.members.has(data.memberId)) return [];
  const ip = parseIpAddress(data.address);
  if (!ip) throw invalidField('address', data.address, 'Value should be IPv4 or IPv6 format');
  if (RESERVED_IPS.includes(ip.canonical)) throw new DomainError('Invalid', `${data.address} is not a valid option for member address`);
  checkPort('protocol_port', data.protocolPort);
  checkMemberSettings(data);
  assertMutable(lb);
  const key = memberKey(data.address, data.protocolPort);
  if (pool.memberKeys.has(key)) {
    throw new DomainError('Conflict',
      `Another member on this pool is already using ip ${data.address} on protocol_port ${data.protocolPort}`);
  }
  return [{ type: 'MemberCreated', v: 1, data: { ...data, at: metadata.now } }];
};

export const updateMember = ({ data, metadata }: UpdateMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const member = memberOf(poolOf(lb, data.poolId), data.memberId);
  const changes = effectiveChanges(member.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkMemberSettings({ ...member.settings, ...changes });
  return [{
    type: 'MemberSettingsChanged', v: 1,
    data: { lbId: data.lbId, poolId: data.poolId, memberId: data.memberId, changes, at: metadata.now },
  }];
};

export const deleteMember = ({ data, metadata }: DeleteMember, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  memberOf(poolOf(lb, data.poolId), data.memberId);
  assertMutable(lb);
  return [{ type: 'MemberDeleted', v: 1, data: { lbId: data.lbId, poolId: data.poolId, memberId: data.memberId, at: metadata.now } }];
};
