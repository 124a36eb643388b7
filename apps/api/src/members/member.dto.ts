import { LIMITS } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, intIn, ipAddress, projectId, tags, text, unsupported, uuid } from '../shell/rules';

const M = LIMITS.member;

/** Body of POST /pools/{pool_id}/members (members have no description). */
export class MemberCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(ipAddress, { required: true }) address!: string;
  @Attr(intIn(M.protocolPort), { required: true }) protocol_port!: number;
  @Attr(intIn(M.weight)) weight?: number | null;
  @Attr(bool) backup?: boolean | null;
  @Attr(uuid) subnet_id?: string | null;
  @Attr(ipAddress) monitor_address?: string | null;
  @Attr(intIn(M.monitorPort)) monitor_port?: number | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported('SR-IOV members')) request_sriov?: null;
}

/** Body of PUT /pools/{pool_id}/members/{id}. */
export class MemberUpdateBody {
  @Attr(text()) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(intIn(M.weight)) weight?: number | null;
  @Attr(bool) backup?: boolean | null;
  @Attr(ipAddress) monitor_address?: string | null;
  @Attr(intIn(M.monitorPort)) monitor_port?: number | null;
  @Attr(tags) tags?: string[] | null;
}
