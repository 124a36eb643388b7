import { L7_KEY } from '@lbaas/domain';
import { L7_COMPARE_TYPES, L7_RULE_TYPES, LIMITS } from '@lbaas/events';
import { childProvisioningStatus, type L7RuleView, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive } from '../http/attributes';
import { bool, oneOf, pattern, projectId, tags, text } from '../http/rules';
import { l7OperatingStatus } from '../l7policies/l7policy.fields';

/** An L7 rule's attributes (root key `rule`), in Octavia's wire order; the decider checks quotes and REGEX syntax. */
export const L7_RULE = attributes<{ lb: LoadBalancerView; rule: L7RuleView }>()('rule', 'rule_', (x) => x.rule, [
  { name: 'created_at', show: ({ rule }) => naive(rule.createdAt), filter: true },
  { name: 'compare_type', rule: oneOf(L7_COMPARE_TYPES), create: 'required', update: true, field: 'compareType', filter: true },
  { name: 'provisioning_status', show: ({ lb, rule }) => childProvisioningStatus(lb, rule), filter: true },
  { name: 'invert', rule: bool, create: true, update: true, field: 'invert', default: false, filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'updated_at', show: ({ rule }) => naive(rule.updatedAt), filter: true },
  { name: 'value', rule: text(LIMITS.l7Rule.value.maxLength), create: 'required', update: true, field: 'value', filter: true },
  { name: 'key', rule: pattern(L7_KEY), create: true, update: true, field: 'key', default: null, filter: true },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'type', rule: oneOf(L7_RULE_TYPES), create: 'required', update: true, field: 'type', filter: true },
  { name: 'id', field: 'l7RuleId', filter: true },
  { name: 'operating_status', show: ({ lb, rule }) => l7OperatingStatus(lb, rule.adminStateUp), filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  // openstacksdk's names for the value and the policy filters.
  { name: 'rule_value', show: ({ rule }) => rule.value, hidden: true, filter: true },
  { name: 'l7policy_id', show: ({ rule }) => rule.l7PolicyId, hidden: true, filter: true },
]);
