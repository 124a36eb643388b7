import { isRedirectUrl } from '@lbaas/domain';
import { L7_ACTIONS, LIMITS, REDIRECT_HTTP_CODES, type L7Action, type L7PolicySettings } from '@lbaas/events';
import { childProvisioningStatus, type L7PolicyView, type LoadBalancerView } from '@lbaas/projections';
import { attributes, naive, refs } from '../http/attributes';
import { validationFailure } from '../http/errors';
import { bool, intIn, oneOf, projectId, tags, text, unsupported, uuid, type Rule } from '../http/rules';

/** An absolute http(s) URL that cannot break a haproxy `redirect` line. */
export const redirectUrl: Rule<string> = (v) => (isRedirectUrl(v) ? { ok: true, value: v } : { ok: false, reason: 'Value should be a valid http(s) URL' });
/** 301, 302, 303, 307 or 308 (numbers or numeric strings). */
export const redirectCode: Rule<number> = (v) => {
  const n = typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && (REDIRECT_HTTP_CODES as readonly number[]).includes(n)
    ? { ok: true, value: n }
    : { ok: false, reason: `Value should be one of: ${REDIRECT_HTTP_CODES.join(', ')}` };
};

/** ONLINE while the policy (or rule) and its load balancer are enabled. */
export const l7OperatingStatus = (lb: LoadBalancerView, enabled: boolean) => (lb.adminStateUp && enabled ? 'ONLINE' : 'OFFLINE');

/**
 * An L7 policy's attributes, in Octavia's wire order. The action and its redirect target are given here but decided
 * together by sanitizeRedirects (below); a new policy goes last in its listener unless it names a position.
 */
export const L7_POLICY = attributes<{ lb: LoadBalancerView; policy: L7PolicyView }, { position: number }>()('l7policy', 'l7policy_', (x) => x.policy, [
  { name: 'listener_id', rule: uuid, create: 'required', show: ({ policy }) => policy.listenerId, filter: true },
  { name: 'description', rule: text(), create: true, update: true, field: 'description', default: '', filter: true },
  { name: 'admin_state_up', rule: bool, create: true, update: true, field: 'adminStateUp', default: true, filter: true },
  { name: 'rules', rule: unsupported('Single-call create of L7 rules'), create: true, show: ({ policy }) => refs(policy.ruleIds) },
  { name: 'created_at', show: ({ policy }) => naive(policy.createdAt), filter: true },
  { name: 'provisioning_status', show: ({ lb, policy }) => childProvisioningStatus(lb, policy), filter: true },
  { name: 'updated_at', show: ({ policy }) => naive(policy.updatedAt), filter: true },
  { name: 'redirect_http_code', rule: redirectCode, create: true, update: true, show: ({ policy }) => policy.redirectHttpCode, filter: true },
  { name: 'redirect_pool_id', rule: uuid, create: true, update: true, show: ({ policy }) => policy.redirectPoolId, filter: true },
  { name: 'redirect_prefix', rule: redirectUrl, create: true, update: true, show: ({ policy }) => policy.redirectPrefix, filter: true },
  { name: 'redirect_url', rule: redirectUrl, create: true, update: true, show: ({ policy }) => policy.redirectUrl, filter: true },
  { name: 'action', rule: oneOf(L7_ACTIONS), create: 'required', update: true, show: ({ policy }) => policy.action, filter: true },
  { name: 'position', rule: intIn(LIMITS.l7Policy.position), create: true, update: true, field: 'position', defaultFor: (x) => x.position, keepOnNull: true, filter: true },
  { name: 'project_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'id', field: 'l7PolicyId', filter: true },
  { name: 'operating_status', show: ({ lb, policy }) => l7OperatingStatus(lb, policy.adminStateUp), filter: true },
  { name: 'name', rule: text(), create: true, update: true, field: 'name', default: '', filter: true },
  { name: 'tags', rule: tags, create: true, update: true, field: 'tags', default: [] },
  { name: 'tenant_id', rule: projectId, create: true, show: ({ lb }) => lb.projectId, filter: true },
  { name: 'loadbalancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
  { name: 'load_balancer_id', show: ({ lb }) => lb.lbId, hidden: true, filter: true },
]);

type Redirects = Pick<L7PolicySettings, 'action' | 'redirectPoolId' | 'redirectUrl' | 'redirectPrefix' | 'redirectHttpCode'>;
type Given = {
  action?: L7Action | null; redirect_pool_id?: string | null; redirect_url?: string | null; redirect_prefix?: string | null;
  redirect_http_code?: number | null;
};
const REDIRECT_KEYS = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'] as const;

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

/** An update's redirect changes: none unless it names the action or a target (a null action keeps the current one). */
export const redirectChanges = (b: Given, current: Redirects): Partial<Redirects> =>
  REDIRECT_KEYS.some((k) => k in b) ? sanitizeRedirects({ ...b, action: b.action ?? undefined }, current) : {};
