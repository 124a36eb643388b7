import { LIMITS } from '@lbaas/events';
import { attributes, type Wire } from '../http/attributes';
import type { QuotaView } from '../http/lookup';
import { intIn } from '../http/rules';

const limit = intIn(LIMITS.quota);

/**
 * A project's quota, in Octavia's wire order: every limit in LIMITS.quota (-1: unlimited), null for "use the default"
 * (shown so, and a PUT's null goes back to it).
 * Octavia's deprecated spellings (load_balancer, health_monitor) are accepted and echoed next to the current ones.
 */
export const QUOTA = attributes<QuotaView>()('quota', 'quotas', (q) => q.limits, [
  { name: 'loadbalancer', rule: limit, update: true, field: 'loadbalancer', default: null },
  { name: 'load_balancer', rule: limit, update: true, field: 'loadbalancer', default: null },
  { name: 'listener', rule: limit, update: true, field: 'listener', default: null },
  { name: 'pool', rule: limit, update: true, field: 'pool', default: null },
  { name: 'healthmonitor', rule: limit, update: true, field: 'healthmonitor', default: null },
  { name: 'health_monitor', rule: limit, update: true, field: 'healthmonitor', default: null },
  { name: 'member', rule: limit, update: true, field: 'member', default: null },
  { name: 'l7policy', rule: limit, update: true, field: 'l7policy', default: null },
  { name: 'l7rule', rule: limit, update: true, field: 'l7rule', default: null },
  { name: 'project_id', show: (q) => q.projectId, filter: true },
  { name: 'tenant_id', show: (q) => q.projectId, filter: true },
  { name: 'id', show: (q) => q.projectId, hidden: true },
]);

/** The configured defaults: a quota of no project. */
export function renderDefaults(limits: Readonly<Record<string, number>>): Wire {
  const { project_id: _p, tenant_id: _t, ...wire } = QUOTA.render({ projectId: '', limits });
  return wire;
}
