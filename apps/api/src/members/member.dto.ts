import { Attr } from '../shell/validation';
import { bool, int, ipAddress, projectId, tags, text, unsupported, uuid } from '../shell/rules';

/** Body of POST /pools/{pool_id}/members (members have no description). */
export class MemberCreateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(ipAddress, { required: true }) address!: string;
  @Attr(int(1, 65535), { required: true }) protocol_port!: number;
  @Attr(int(0, 256)) weight?: number | null;
  @Attr(bool) backup?: boolean | null;
  @Attr(uuid) subnet_id?: string | null;
  @Attr(ipAddress) monitor_address?: string | null;
  @Attr(int(1, 65535)) monitor_port?: number | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported('SR-IOV members')) request_sriov?: null;
}

/** Body of PUT /pools/{pool_id}/members/{id}. */
export class MemberUpdateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(int(0, 256)) weight?: number | null;
  @Attr(bool) backup?: boolean | null;
  @Attr(ipAddress) monitor_address?: string | null;
  @Attr(int(1, 65535)) monitor_port?: number | null;
  @Attr(tags) tags?: string[] | null;
}
