import { LIMITS, type HealthMonitorSettings, type MonitorType } from '@lbaas/events';
import { childProvisioningStatus, healthMonitorOperatingStatus, type HealthMonitorView, type LoadBalancerView } from '@lbaas/projections';
import { naive, type Wire } from '../shell/wire';
import type { HealthMonitorCreateBody, HealthMonitorUpdateBody } from './health-monitor.dto';

/** Monitor types that send HTTP requests (and so have a method, path and expected codes). */
export const isHttpType = (t: MonitorType): boolean => t === 'HTTP' || t === 'HTTPS';

const H = LIMITS.healthMonitor;
/** Octavia's monitor defaults for HTTP(S) types, from LIMITS. */
export const HM_DEFAULTS = {
  httpMethod: H.httpMethod.default, urlPath: H.urlPath.default, expectedCodes: H.expectedCodes.default, maxRetriesDown: H.maxRetriesDown.default,
} as const;

/**
 * The settings of a new monitor: the body's values, Octavia's defaults for the rest. HTTP-only attributes given for
 * another type are passed on as they are, so that the decider refuses them (it owns that rule).
 */
export function healthMonitorSettings(b: HealthMonitorCreateBody): HealthMonitorSettings {
  const http = isHttpType(b.type);
  return {
    name: b.name ?? '', adminStateUp: b.admin_state_up ?? true, delay: b.delay, timeout: b.timeout, maxRetries: b.max_retries,
    maxRetriesDown: b.max_retries_down ?? HM_DEFAULTS.maxRetriesDown,
    httpMethod: b.http_method ?? (http ? HM_DEFAULTS.httpMethod : null),
    urlPath: b.url_path ?? (http ? HM_DEFAULTS.urlPath : null),
    expectedCodes: b.expected_codes ?? (http ? HM_DEFAULTS.expectedCodes : null),
    httpVersion: b.http_version ?? null, domainName: b.domain_name ?? null, tags: b.tags ?? [],
  };
}

/** The changes a PUT asks for; null resets method, path, codes and max_retries_down to their defaults (the decider checks the result). */
export function healthMonitorChanges(type: MonitorType, b: HealthMonitorUpdateBody): Partial<HealthMonitorSettings> {
  const http = isHttpType(type);
  const c: Partial<Record<keyof HealthMonitorSettings, unknown>> = {};
  if ('name' in b) c.name = b.name ?? '';
  if ('admin_state_up' in b) c.adminStateUp = b.admin_state_up ?? true;
  if ('delay' in b && b.delay !== null) c.delay = b.delay;
  if ('timeout' in b && b.timeout !== null) c.timeout = b.timeout;
  if ('max_retries' in b && b.max_retries !== null) c.maxRetries = b.max_retries;
  if ('max_retries_down' in b) c.maxRetriesDown = b.max_retries_down ?? HM_DEFAULTS.maxRetriesDown;
  if ('http_method' in b) c.httpMethod = b.http_method ?? (http ? HM_DEFAULTS.httpMethod : null);
  if ('url_path' in b) c.urlPath = b.url_path ?? (http ? HM_DEFAULTS.urlPath : null);
  if ('expected_codes' in b) c.expectedCodes = b.expected_codes ?? (http ? HM_DEFAULTS.expectedCodes : null);
  if ('http_version' in b) c.httpVersion = b.http_version ?? null;
  if ('domain_name' in b) c.domainName = b.domain_name ?? null;
  if ('tags' in b) c.tags = b.tags ?? [];
  return c as Partial<HealthMonitorSettings>;
}

/** A health monitor as Octavia sends it. */
export function renderHealthMonitor(lb: LoadBalancerView, hm: HealthMonitorView): Wire {
  return {
    id: hm.healthMonitorId, name: hm.name, type: hm.type, delay: hm.delay, timeout: hm.timeout, max_retries: hm.maxRetries,
    max_retries_down: hm.maxRetriesDown, http_method: hm.httpMethod, url_path: hm.urlPath, expected_codes: hm.expectedCodes,
    admin_state_up: hm.adminStateUp, project_id: lb.projectId, pools: [{ id: hm.poolId }],
    provisioning_status: childProvisioningStatus(lb, hm), operating_status: healthMonitorOperatingStatus(lb, hm.healthMonitorId),
    created_at: naive(hm.createdAt), updated_at: naive(hm.updatedAt), tags: [...hm.tags],
    http_version: hm.httpVersion, domain_name: hm.domainName, tenant_id: lb.projectId,
  };
}

/** Attributes a health-monitor list can be filtered and sorted on. */
export const HM_FILTER_KEYS = [
  'id', 'name', 'type', 'delay', 'timeout', 'max_retries', 'max_retries_down', 'http_method', 'url_path', 'expected_codes',
  'admin_state_up', 'project_id', 'tenant_id', 'provisioning_status', 'operating_status', 'created_at', 'updated_at',
  'http_version', 'domain_name', 'pool_id',
] as const;
