import { HTTP_METHODS, LIMITS, MONITOR_TYPES, type MonitorType } from '@lbaas/events';
import { childProvisioningStatus, healthMonitorOperatingStatus, type HealthMonitorView, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive } from '../http/attributes';
import { bool, expectedCodes, hostname, intIn, oneOf, projectId, tags, text, urlPath, uuid, type Rule } from '../http/rules';

/** http_version: 1.0 or 1.1 (a number on the wire; strings accepted). */
export const httpVersion: Rule<number> = (v) =>
  v === 1.0 || v === 1.1 || v === '1.0' || v === '1.1' || v === 1 || v === '1'
    ? { ok: true, value: Number(v) === 1 ? 1.0 : 1.1 }
    : { ok: false, reason: 'Value should be one of: 1.0, 1.1' };

const H = LIMITS.healthMonitor;
/** HTTP(S) monitors default their method, path and codes; other types have none (given ones reach the decider, which refuses them). */
const forHttp = <T>(value: T) => ({ type }: { type: MonitorType }): T | null => (type === 'HTTP' || type === 'HTTPS' ? value : null);

/** A health monitor's attributes, in Octavia's wire order; defaults that depend on the type take it as context. */
export const HEALTH_MONITOR = attributes<{ lb: LoadBalancerView; hm: HealthMonitorView }, { type: MonitorType }>()('healthmonitor', 'health_monitor_', (x) => x.hm, [
  { name: 'id', field: 'healthMonitorId', filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: '', filter: true },
  { name: 'type', rule: oneOf(MONITOR_TYPES), create: 'required', field: 'type', filter: true },
  { name: 'delay', rule: intIn(H.delay), create: 'required', update: true, field: 'delay', filter: true },
  { name: 'timeout', rule: intIn(H.timeout), create: 'required', update: true, field: 'timeout', filter: true },
  { name: 'max_retries', rule: intIn(H.maxRetries), create: 'required', update: true, field: 'maxRetries', filter: true },
  { name: 'max_retries_down', rule: intIn(H.maxRetriesDown), create: true, update: true, field: 'maxRetriesDown', default: H.maxRetriesDown.default, filter: true },
  { name: 'http_method', rule: oneOf(HTTP_METHODS), create: true, update: true, field: 'httpMethod', defaultFor: forHttp(H.httpMethod.default), filter: true },
  { name: 'url_path', rule: urlPath, create: true, update: true, field: 'urlPath', defaultFor: forHttp(H.urlPath.default), filter: true },
  { name: 'expected_codes', rule: expectedCodes, create: true, update: true, field: 'expectedCodes', defaultFor: forHttp(H.expectedCodes.default), filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'pools', show: ({ hm }) => [{ id: hm.poolId }] },
  { name: 'provisioning_status', show: ({ lb, hm }) => childProvisioningStatus(lb, hm), filter: true },
  { name: 'operating_status', show: ({ lb, hm }) => healthMonitorOperatingStatus(lb, hm.healthMonitorId), filter: true },
  { name: 'created_at', show: ({ hm }) => naive(hm.createdAt), filter: true },
  { name: 'updated_at', show: ({ hm }) => naive(hm.updatedAt), filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'http_version', rule: httpVersion, create: true, update: true, field: 'httpVersion', default: null, filter: true },
  { name: 'domain_name', rule: hostname, create: true, update: true, field: 'domainName', default: null, filter: true },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'pool_id', rule: uuid, create: 'required', show: ({ hm }) => hm.poolId, hidden: true, filter: true },
  // The load balancer filters openstacksdk and Octavia accept (both spellings).
  { name: 'loadbalancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  { name: 'load_balancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
]);
