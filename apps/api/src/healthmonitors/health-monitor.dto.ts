import { HTTP_METHODS, MONITOR_TYPES } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, expectedCodes, hostname, int, oneOf, projectId, tags, text, urlPath, uuid, type Rule } from '../shell/rules';

/** http_version: 1.0 or 1.1 (a number on the wire; strings accepted). */
export const httpVersion: Rule<number> = (v) =>
  v === 1.0 || v === 1.1 || v === '1.0' || v === '1.1' || v === 1 || v === '1'
    ? { ok: true, value: Number(v) === 1 ? 1.0 : 1.1 }
    : { ok: false, reason: 'Value should be one of: 1.0, 1.1' };

const seconds = int(0, 2_147_483_647);
const retries = int(1, 10);

/** Body of POST /healthmonitors. */
export class HealthMonitorCreateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(uuid, { required: true }) pool_id!: string;
  @Attr(oneOf(MONITOR_TYPES), { required: true }) type!: (typeof MONITOR_TYPES)[number];
  @Attr(seconds, { required: true }) delay!: number;
  @Attr(seconds, { required: true }) timeout!: number;
  @Attr(retries, { required: true }) max_retries!: number;
  @Attr(retries) max_retries_down?: number | null;
  @Attr(oneOf(HTTP_METHODS)) http_method?: (typeof HTTP_METHODS)[number] | null;
  @Attr(urlPath) url_path?: string | null;
  @Attr(expectedCodes) expected_codes?: string | null;
  @Attr(httpVersion) http_version?: number | null;
  @Attr(hostname) domain_name?: string | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
}

/** Body of PUT /healthmonitors/{id}. */
export class HealthMonitorUpdateBody {
  @Attr(text(255)) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(seconds) delay?: number | null;
  @Attr(seconds) timeout?: number | null;
  @Attr(retries) max_retries?: number | null;
  @Attr(retries) max_retries_down?: number | null;
  @Attr(oneOf(HTTP_METHODS)) http_method?: (typeof HTTP_METHODS)[number] | null;
  @Attr(urlPath) url_path?: string | null;
  @Attr(expectedCodes) expected_codes?: string | null;
  @Attr(httpVersion) http_version?: number | null;
  @Attr(hostname) domain_name?: string | null;
  @Attr(tags) tags?: string[] | null;
}
