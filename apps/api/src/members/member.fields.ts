import { checkMemberSubnet, MEMBER_DEFAULTS as D, RESERVED_IPS } from '@lbaas/domain';
import { LIMITS } from '@lbaas/events';
import { childProvisioningStatus, memberOperatingStatus, type LoadBalancerView, type MemberView } from '@lbaas/projections';
import { attributes, naive, type CreateInput } from '../http/attributes';
import { ApiError } from '../http/errors';
import { bool, intIn, ipAddress, projectId, tags, text, unsupported, uuid } from '../http/rules';

const M = LIMITS.member;

/**
 * A member's attributes (members have no description), in Octavia's wire order. Defaults are the domain's (libs/domain
 * member.ts, ranges from LIMITS), which batch-created members get too.
 */
export const MEMBER = attributes<{ lb: LoadBalancerView; member: MemberView }>()('member', 'member_', (x) => x.member, [
  { name: 'id', field: 'memberId', filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: D.name, filter: true },
  { name: 'operating_status', show: ({ lb, member }) => memberOperatingStatus(lb, member), filter: true },
  { name: 'provisioning_status', show: ({ lb, member }) => childProvisioningStatus(lb, member), filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: D.adminStateUp, filter: true },
  { name: 'address', rule: ipAddress, create: 'required', field: 'address', filter: true },
  { name: 'protocol_port', rule: intIn(M.protocolPort), create: 'required', field: 'protocolPort', filter: true },
  { name: 'weight', rule: intIn(M.weight), create: true, update: true, field: 'weight', default: D.weight, filter: true },
  { name: 'backup', rule: bool, create: true, update: true, field: 'backup', default: D.backup, filter: true },
  { name: 'subnet_id', rule: uuid, create: true, field: 'subnetId', default: null, filter: true },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'created_at', show: ({ member }) => naive(member.createdAt), filter: true },
  { name: 'updated_at', show: ({ member }) => naive(member.updatedAt), filter: true },
  { name: 'monitor_address', rule: ipAddress, create: true, update: true, field: 'monitorAddress', default: D.monitorAddress, filter: true },
  { name: 'monitor_port', rule: intIn(M.monitorPort), create: true, update: true, field: 'monitorPort', default: D.monitorPort, filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: D.tags },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'request_sriov', rule: unsupported('SR-IOV members'), create: true, hidden: true },
  // neutronclient's lbaas-member-list sends ?pool_id=<pool>; the SDK and Octavia filter on the load balancer too.
  { name: 'pool_id', show: ({ member }) => member.poolId, hidden: true, filter: true },
  { name: 'loadbalancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  { name: 'load_balancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
]);

/** Octavia's InvalidOption for a reserved member or monitor address. */
export function checkNotReserved(address: string | null | undefined, option: string): void {
  if (address && RESERVED_IPS.includes(address)) throw new ApiError(400, `${address} is not a valid option for ${option}`);
}

/** What every member create (single, batch, graph) checks before the decider: reserved addresses, a known subnet. */
export function checkNewMember(b: CreateInput<typeof MEMBER.rows>, subnetExists: (id: string) => boolean): void {
  checkNotReserved(b.address, 'member address');
  checkNotReserved(b.monitor_address, 'monitor address');
  checkMemberSubnet(b.subnet_id, subnetExists);
}
