import {
  HTTP_METHODS, LIMITS,
  type CreateHealthMonitor, type DeleteHealthMonitor, type HealthMonitorSettings, type LoadBalancerEvent, type MonitorType,
  type UpdateHealthMonitor,
} from '@lbaas/events';
import { DomainError } from '../domain-error';
import {
  checkBool, checkOneOf, checkRange, checkTags, checkText, effectiveChanges, invalidField, isEmpty, isExpectedCodes,
  isHostname, URL_PATH, validationFailure,
} from '../field-rules';
import { checkMonitorType } from '../protocol-rules';
import { assertMutable, live, monitorOf, poolOf } from './guards';
import type { LoadBalancer } from './state';

const HTTP_MONITORS: readonly MonitorType[] = ['HTTP', 'HTTPS'];
const H = LIMITS.healthMonitor;

const checkMonitorSettings = (type: MonitorType, x: HealthMonitorSettings): void => {
  checkText('name', x.name);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  checkRange('delay', x.delay, H.delay);
  checkRange('timeout', x.timeout, H.timeout);
  // timeout may exceed delay: neither Octavia nor neutron-lbaas refuses it (haproxy's `timeout check` then outlasts `inter`).
  checkRange('max_retries', x.maxRetries, H.maxRetries);
  checkRange('max_retries_down', x.maxRetriesDown, H.maxRetriesDown);
  const http = HTTP_MONITORS.includes(type);
  const httpOnly = { http_method: x.httpMethod, url_path: x.urlPath, expected_codes: x.expectedCodes, http_version: x.httpVersion, domain_name: x.domainName };
  for (const [field, value] of Object.entries(httpOnly)) {
    if (!http && value !== null && value !== undefined) {
      throw validationFailure(`${field} is only valid for HTTP and HTTPS health monitors, not ${type}.`);
    }
  }
  if (!http) return;
  if (x.httpMethod !== null) checkOneOf('http_method', x.httpMethod, HTTP_METHODS);
  if (x.urlPath !== null && (x.urlPath.length > H.urlPath.maxLength || !URL_PATH.test(x.urlPath))) {
    throw invalidField('url_path', x.urlPath, 'Value should be a URL path starting with / (no spaces)');
  }
  if (x.expectedCodes !== null && !isExpectedCodes(x.expectedCodes)) {
    throw invalidField('expected_codes', x.expectedCodes, 'Value should be a code (200), a list (200,202) or a range (200-204)');
  }
  if (x.httpVersion !== null && x.httpVersion !== 1.0 && x.httpVersion !== 1.1) {
    throw invalidField('http_version', x.httpVersion, 'Value should be one of: 1.0, 1.1');
  }
  if (x.domainName !== null) {
    if (!isHostname(x.domainName)) throw invalidField('domain_name', x.domainName, 'Value should be a valid hostname');
    if (x.httpVersion !== 1.1) throw validationFailure('http_version 1.1 is required when domain_name is specified.');
  }
};

export const createHealthMonitor = ({ data, metadata }: CreateHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  if (lb.monitors.has(data.healthMonitorId)) return [];
  const pool = poolOf(lb, data.poolId);
  checkMonitorType(data.type);
  checkMonitorSettings(data.type, data);
  assertMutable(lb);
  if (pool.healthMonitorId !== null) throw new DomainError('Conflict', 'This pool already has a health monitor');
  return [{ type: 'HealthMonitorCreated', v: 1, data: { ...data, at: metadata.now } }];
};

export const updateHealthMonitor = ({ data, metadata }: UpdateHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  const monitor = monitorOf(lb, data.healthMonitorId);
  const changes = effectiveChanges(monitor.settings, data.changes);
  if (isEmpty(changes)) return [];
  assertMutable(lb);
  checkMonitorSettings(monitor.type, { ...monitor.settings, ...changes });
  return [{
    type: 'HealthMonitorSettingsChanged', v: 1,
    data: { lbId: data.lbId, healthMonitorId: data.healthMonitorId, changes, at: metadata.now },
  }];
};

export const deleteHealthMonitor = ({ data, metadata }: DeleteHealthMonitor, s: LoadBalancer): LoadBalancerEvent[] => {
  const lb = live(s, data.lbId);
  monitorOf(lb, data.healthMonitorId);
  assertMutable(lb);
  return [{ type: 'HealthMonitorDeleted', v: 1, data: { lbId: data.lbId, healthMonitorId: data.healthMonitorId, at: metadata.now } }];
};
