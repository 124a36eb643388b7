import { LIMITS, type L7PolicySettings } from '@lbaas/events';
import { childProvisioningStatus, type L7PolicyView, type L7RuleView, type LoadBalancerView } from '@lbaas/projections';
import { validationFailure } from '../shell/errors';
import { naive, refs, type Wire } from '../shell/wire';
import type { L7PolicyCreateBody, L7PolicyUpdateBody } from './l7policy.dto';

const opStatus = (lb: LoadBalancerView, enabled: boolean) => (lb.adminStateUp && enabled ? 'ONLINE' : 'OFFLINE');

/** An L7 policy as Octavia sends it. */
export function renderL7Policy(lb: LoadBalancerView, p: L7PolicyView): Wire {
  return {
    listener_id: p.listenerId, description: p.description, admin_state_up: p.adminStateUp, rules: refs(p.ruleIds),
    created_at: naive(p.createdAt), provisioning_status: childProvisioningStatus(lb, p), updated_at: naive(p.updatedAt),
    redirect_http_code: p.redirectHttpCode, redirect_pool_id: p.redirectPoolId, redirect_prefix: p.redirectPrefix,
    redirect_url: p.redirectUrl, action: p.action, position: p.position, project_id: lb.projectId, id: p.l7PolicyId,
    operating_status: opStatus(lb, p.adminStateUp), name: p.name, tags: [...p.tags], tenant_id: lb.projectId,
  };
}

/** An L7 rule as Octavia sends it (root key `rule`). */
export function renderL7Rule(lb: LoadBalancerView, r: L7RuleView): Wire {
  return {
    created_at: naive(r.createdAt), compare_type: r.compareType, provisioning_status: childProvisioningStatus(lb, r),
    invert: r.invert, admin_state_up: r.adminStateUp, updated_at: naive(r.updatedAt), value: r.value, key: r.key,
    project_id: lb.projectId, type: r.type, id: r.l7RuleId, operating_status: opStatus(lb, r.adminStateUp), tags: [...r.tags],
    tenant_id: lb.projectId,
  };
}

type Redirects = Pick<L7PolicySettings, 'action' | 'redirectPoolId' | 'redirectUrl' | 'redirectPrefix' | 'redirectHttpCode'>;
type Given = Partial<Pick<L7PolicyCreateBody & L7PolicyUpdateBody, 'action' | 'redirect_pool_id' | 'redirect_url' | 'redirect_prefix' | 'redirect_http_code'>>;

/**
 * Octavia's sanitize_l7policy_api_args: a redirect target implies its action and clears the others; REJECT clears
 * every target; URL and PREFIX redirects default to code 302. `current` is the policy before a PUT (null on create).
 */
export function sanitizeRedirects(b: Given, current: Redirects | null): Redirects {
  const targets = (['redirect_pool_id', 'redirect_url', 'redirect_prefix'] as const).filter((k) => b[k] !== undefined && b[k] !== null);
  if (targets.length > 1) throw validationFailure(`Only one of ${targets.join(', ')} may be given.`);
  let action = b.action ?? current?.action ?? 'REJECT';
  if (b.redirect_pool_id) action = 'REDIRECT_TO_POOL';
  if (b.redirect_url) action = 'REDIRECT_TO_URL';
  if (b.redirect_prefix) action = 'REDIRECT_PREFIX';
  const keep = <T>(given: T | null | undefined, cur: T | null | undefined, mine: boolean): T | null =>
    !mine ? null : given !== undefined ? given : cur ?? null;
  const sameAction = current?.action === action;
  const code = action === 'REDIRECT_TO_URL' || action === 'REDIRECT_PREFIX'
    ? (b.redirect_http_code ?? (sameAction ? current?.redirectHttpCode : null) ?? LIMITS.l7Policy.redirectHttpCode.default)
    : (b.redirect_http_code ?? null);
  return {
    action,
    redirectPoolId: keep(b.redirect_pool_id, sameAction ? current?.redirectPoolId : null, action === 'REDIRECT_TO_POOL'),
    redirectUrl: keep(b.redirect_url, sameAction ? current?.redirectUrl : null, action === 'REDIRECT_TO_URL'),
    redirectPrefix: keep(b.redirect_prefix, sameAction ? current?.redirectPrefix : null, action === 'REDIRECT_PREFIX'),
    redirectHttpCode: code,
  };
}

export const L7POLICY_FILTER_KEYS = [
  'id', 'name', 'description', 'listener_id', 'action', 'position', 'redirect_pool_id', 'redirect_url', 'redirect_prefix',
  'redirect_http_code', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id', 'tenant_id', 'created_at', 'updated_at',
] as const;
export const L7RULE_FILTER_KEYS = [
  'id', 'type', 'compare_type', 'key', 'value', 'invert', 'provisioning_status', 'operating_status', 'admin_state_up',
  'project_id', 'tenant_id', 'created_at', 'updated_at',
] as const;
