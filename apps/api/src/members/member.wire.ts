import { RESERVED_IPS } from '@lbaas/domain';
import { childProvisioningStatus, memberOperatingStatus, type LoadBalancerView, type MemberView } from '@lbaas/projections';
import { ApiError } from '../shell/errors';
import { naive, type Wire } from '../shell/wire';

/** Octavia's InvalidOption for a reserved member or monitor address. */
export function checkNotReserved(address: string | null | undefined, option: string): void {
  if (address && RESERVED_IPS.includes(address)) throw new ApiError(400, `${address} is not a valid option for ${option}`);
}

/** A member as Octavia sends it. */
export function renderMember(lb: LoadBalancerView, m: MemberView): Wire {
  return {
    id: m.memberId, name: m.name, operating_status: memberOperatingStatus(lb, m), provisioning_status: childProvisioningStatus(lb, m),
    admin_state_up: m.adminStateUp, address: m.address, protocol_port: m.protocolPort, weight: m.weight, backup: m.backup,
    subnet_id: m.subnetId, project_id: lb.projectId, created_at: naive(m.createdAt), updated_at: naive(m.updatedAt),
    monitor_address: m.monitorAddress, monitor_port: m.monitorPort, tags: [...m.tags], tenant_id: lb.projectId,
  };
}

/** Attributes a member list can be filtered and sorted on. */
export const MEMBER_FILTER_KEYS = [
  'id', 'name', 'operating_status', 'provisioning_status', 'admin_state_up', 'address', 'protocol_port', 'weight', 'backup',
  'subnet_id', 'project_id', 'tenant_id', 'created_at', 'updated_at', 'monitor_address', 'monitor_port',
] as const;
