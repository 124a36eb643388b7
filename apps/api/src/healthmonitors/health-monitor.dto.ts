import { HTTP_METHODS, LIMITS, MONITOR_TYPES } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, expectedCodes, hostname, intIn, oneOf, projectId, tags, text, urlPath, uuid, type Rule } from '../shell/rules';

/** http_version: 1.0 or 1.1 (a number on the wire; strings accepted). */
export const httpVersion: Rule<number> = (v) =>
  v === 1.0 || v === 1.1 || v === '1.0' || v === '1.1' || v === 1 || v === '1'
    ? { ok: true, value: Number(v) === 1 ? 1.0 : 1.1 }
    : { ok: false, reason: 'Value should be one of: 1.0, 1.1' };

const H = LIMITS.healthMonitor;

/** Body of POST /healthmonitors. */
export class HealthMonitorCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(uuid, { required: true }) pool_id!: string;
  @Attr(oneOf(MONITOR_TYPES), { required: true }) type!: (typeof MONITOR_TYPES)[number];
  @Attr(intIn(H.delay), { required: true }) delay!: number;
  @Attr(intIn(H.timeout), { required: true }) timeout!: number;
  @Attr(intIn(H.maxRetries), { required: true }) max_retries!: number;
  @Attr(intIn(H.maxRetriesDown)) max_retries_down?: number | null;
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
  @Attr(text()) name?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(intIn(H.delay)) delay?: number | null;
  @Attr(intIn(H.timeout)) timeout?: number | null;
  @Attr(intIn(H.maxRetries)) max_retries?: number | null;
  @Attr(intIn(H.maxRetriesDown)) max_retries_down?: number | null;
  @Attr(oneOf(HTTP_METHODS)) http_method?: (typeof HTTP_METHODS)[number] | null;
  @Attr(urlPath) url_path?: string | null;
  @Attr(expectedCodes) expected_codes?: string | null;
  @Attr(httpVersion) http_version?: number | null;
  @Attr(hostname) domain_name?: string | null;
  @Attr(tags) tags?: string[] | null;
}
