import {
  L7_ACTIONS, L7_COMPARE_TYPES, L7_RULE_TYPES, LIMITS, MAX_L7_RULES_PER_POLICY, REDIRECT_HTTP_CODES,
  type CreateL7Policy, type CreateL7Rule, type DeleteL7Policy, type DeleteL7Rule, type L7Command, type L7Event,
  type L7PolicySettings, type L7RuleSettings, type ListenerProtocol, type UpdateL7Policy, type UpdateL7Rule,
} from '@lbaas/events';
import { DomainError, assertNever } from '../domain-error';
import {
  checkBool, checkOneOf, checkRange, checkTags, checkText, effectiveChanges, invalidField, isEmpty, validationFailure,
} from '../field-rules';
import { checkListenerPoolProtocols } from '../protocol-rules';
import { assertMutable, listenerOf, live, notFound, policyOf, poolOf } from './guards';
import type { L7PolicyState, Live, LoadBalancer } from './state';

// ---------------------------------------------------------------- value rules (shared with the API edge)

/**
 * A redirect URL or prefix: an absolute http(s) URL made of URL characters only. '%' (haproxy log-format), quotes,
 * backslashes, '$' and whitespace are refused so the value can never break out of the `redirect` line.
 */
export const isRedirectUrl = (v: unknown): v is string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > LIMITS.l7Policy.redirectUrl.maxLength) return false;
  if (!/^https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!&()*+,;=]+$/.test(v)) return false;
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname.length > 0;
  } catch {
    return false;
  }
};

/** A header or cookie name an L7 rule tests: an RFC 7230 token without the characters haproxy treats specially. */
export const L7_KEY = new RegExp(`^[A-Za-z0-9!%&*+\\-.^_|~]{1,${LIMITS.l7Rule.key.maxLength}}$`);

/**
 * Why an L7 rule value cannot be rendered, or null. Values are rendered in single quotes, where haproxy takes every
 * character literally, so only the single quote itself and control characters are refused; a REGEX must compile.
 */
export const l7ValueProblem = (compareType: string, v: unknown): string | null => {
  const max = LIMITS.l7Rule.value.maxLength;
  if (typeof v !== 'string' || v.length === 0) return 'Value should be a non-empty string';
  if (v.length > max) return `Value should have a maximum character requirement of ${max}`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(v)) return 'Value should not contain control characters';
  if (v.includes("'")) return "Value should not contain single quotes (use \\x27 in a REGEX)";
  if (compareType === 'REGEX') {
    try {
      new RegExp(v);
    } catch {
      return 'Value should be a valid regular expression';
    }
  }
  return null;
};

// ---------------------------------------------------------------- checks

const L7_PROTOCOLS: readonly ListenerProtocol[] = ['HTTP', 'TERMINATED_HTTPS'];

const checkPolicySettings = (lb: Live, listenerProtocol: ListenerProtocol, x: L7PolicySettings): void => {
  checkText('name', x.name);
  checkText('description', x.description);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  checkOneOf('action', x.action, L7_ACTIONS);
  checkRange('position', x.position, LIMITS.l7Policy.position);
  const only = (field: string, value: unknown, action: string) => {
    if (value !== null && value !== undefined) throw validationFailure(`${field} is only valid when action is ${action}.`);
  };
  if (x.action !== 'REDIRECT_TO_POOL') only('redirect_pool_id', x.redirectPoolId, 'REDIRECT_TO_POOL');
  if (x.action !== 'REDIRECT_TO_URL') only('redirect_url', x.redirectUrl, 'REDIRECT_TO_URL');
  if (x.action !== 'REDIRECT_PREFIX') only('redirect_prefix', x.redirectPrefix, 'REDIRECT_PREFIX');
  if (x.action === 'REJECT' || x.action === 'REDIRECT_TO_POOL') only('redirect_http_code', x.redirectHttpCode, 'REDIRECT_TO_URL or REDIRECT_PREFIX');
  switch (x.action) {
    case 'REJECT':
      break;
    case 'REDIRECT_TO_POOL': {
      if (x.redirectPoolId === null) throw validationFailure('redirect_pool_id is required when action is REDIRECT_TO_POOL.');
      checkListenerPoolProtocols(listenerProtocol, poolOf(lb, x.redirectPoolId).protocol);
      break;
    }
    case 'REDIRECT_TO_URL':
      if (!isRedirectUrl(x.redirectUrl)) throw invalidField('redirect_url', x.redirectUrl, 'Value should be a valid http(s) URL');
      break;
    case 'REDIRECT_PREFIX':
      if (!isRedirectUrl(x.redirectPrefix)) throw invalidField('redirect_prefix', x.redirectPrefix, 'Value should be a valid http(s) URL');
      break;
    default:
      assertNever(x.action);
  }
  if (x.redirectHttpCode !== null && !(REDIRECT_HTTP_CODES as readonly number[]).includes(x.redirectHttpCode)) {
    throw invalidField('redirect_http_code', x.redirectHttpCode, `Value should be one of: ${REDIRECT_HTTP_CODES.join(', ')}`);
  }
};

const ruleError = (detail: string): DomainError => new DomainError('Invalid', `Error parsing L7Rule: ${detail}`);

const checkRuleSettings = (x: L7RuleSettings): void => {
  checkOneOf('type', x.type, L7_RULE_TYPES);
  checkOneOf('compare_type', x.compareType, L7_COMPARE_TYPES);
  checkBool('invert', x.invert);
  checkBool('admin_state_up', x.adminStateUp);
  checkTags(x.tags);
  if (x.type === 'FILE_TYPE' && x.compareType !== 'REGEX' && x.compareType !== 'EQUAL_TO') {
    throw ruleError('compare_type must be REGEX or EQUAL_TO for FILE_TYPE rules.');
  }
  if (x.type === 'HEADER' || x.type === 'COOKIE') {
    if (x.key === null || x.key === undefined) throw ruleError(`key must be specified for ${x.type} rules.`);
    if (!L7_KEY.test(x.key)) throw invalidField('key', x.key, 'Value should be a header or cookie name (a token)');
  } else if (x.type === 'SSL_DN_FIELD') {
    if (x.key === null || x.key === undefined) throw ruleError(`L7rule type ${x.type} needs to specify a key and a value.`);
    if (!DN_FIELD.test(x.key)) throw ruleError('Invalid L7rule distinguished name field.');
  } else if (x.key !== null && x.key !== undefined) {
    throw ruleError(`L7rule type ${x.type} does not use the "key" field.`);
  }
  const problem = l7ValueProblem(x.compareType, x.value);
  if (problem) throw invalidField('value', x.value, problem);
  // Octavia's validate_l7rule_ssl_types.
  if ((x.type === 'SSL_CONN_HAS_CERT' || x.type === 'SSL_VERIFY_RESULT') && x.compareType !== 'EQUAL_TO') {
    throw ruleError(`L7rule type ${x.type} only supports the EQUAL_TO compare type.`);
  }
  if (x.type === 'SSL_CONN_HAS_CERT' && x.value.toLowerCase() !== 'true') throw ruleError(`L7rule value ${x.value} is not a boolean True string.`);
  if (x.type === 'SSL_VERIFY_RESULT' && !/^[0-9]{1,9}$/.test(x.value)) throw ruleError(`L7rule type ${x.type} needs a int value, which is >= 0`);
};

/** octavia-lib's DISTINGUISHED_NAME_FIELD_REGEX: a DN attribute name (CN, OU, emailAddress, ...). */
const DN_FIELD = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/** The SSL_* rule types test the client certificate: only a TERMINATED_HTTPS listener has one. */
const SSL_RULE_TYPES: readonly L7RuleSettings['type'][] = ['SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'];

const ruleOf = (p: L7PolicyState, id: string): L7RuleSettings => {
  const r = p.rules.get(id);
  if (!r) throw notFound('L7 Rule', id);
  return r;
};

/** The first policy that redirects to `poolId`, if any (such a pool cannot be deleted: Octavia's PoolInUseByL7Policy). */
export const policyUsingPool = (lb: Live, poolId: string): string | null =>
  [...lb.l7Policies].find(([, p]) => p.settings.redirectPoolId === poolId)?.[0] ?? null;

// ---------------------------------------------------------------- decide

/** Decides an L7 command; the PENDING_* guard runs after validation. */
export const decideL7 = (c: L7Command, s: LoadBalancer): L7Event[] => {
  const lb = live(s, c.data.lbId);
  const at = c.metadata.now;
  switch (c.type) {
    case 'CreateL7Policy': return createPolicy(c, lb, at);
    case 'UpdateL7Policy': return updatePolicy(c, lb, at);
    case 'DeleteL7Policy': return deletePolicy(c, lb, at);
    case 'CreateL7Rule': return createRule(c, lb, at);
    case 'UpdateL7Rule': return updateRule(c, lb, at);
    case 'DeleteL7Rule': return deleteRule(c, lb, at);
    default: return assertNever(c);
  }
};

const createPolicy = ({ data }: CreateL7Policy, lb: Live, at: string): L7Event[] => {
  if (lb.l7Policies.has(data.l7PolicyId)) return [];
  const { protocol } = listenerOf(lb, data.listenerId);
  if (!L7_PROTOCOLS.includes(protocol)) {
    throw validationFailure(`L7 policies are only supported on HTTP and TERMINATED_HTTPS listeners, not ${protocol}.`);
  }
  checkPolicySettings(lb, protocol, data);
  assertMutable(lb);
  return [{ type: 'L7PolicyCreated', v: 1, data: { ...data, at } }];
};

const updatePolicy = ({ data }: UpdateL7Policy, lb: Live, at: string): L7Event[] => {
  const policy = policyOf(lb, data.l7PolicyId);
  // A requested position always counts: the stored one is the request, the actual place shifts as others are inserted.
  const changes: Partial<L7PolicySettings> = {
    ...effectiveChanges(policy.settings, data.changes),
    ...(data.changes.position !== undefined ? { position: data.changes.position } : {}),
  };
  if (isEmpty(changes)) return [];
  checkPolicySettings(lb, listenerOf(lb, policy.listenerId).protocol, { ...policy.settings, ...changes });
  assertMutable(lb);
  return [{ type: 'L7PolicySettingsChanged', v: 1, data: { lbId: data.lbId, l7PolicyId: data.l7PolicyId, changes, at } }];
};

const deletePolicy = ({ data }: DeleteL7Policy, lb: Live, at: string): L7Event[] => {
  policyOf(lb, data.l7PolicyId);
  assertMutable(lb);
  return [{ type: 'L7PolicyDeleted', v: 1, data: { lbId: data.lbId, l7PolicyId: data.l7PolicyId, at } }];
};

const checkRuleListener = (lb: Live, policy: L7PolicyState, x: L7RuleSettings): void => {
  if (!SSL_RULE_TYPES.includes(x.type)) return;
  const { protocol } = listenerOf(lb, policy.listenerId);
  if (protocol !== 'TERMINATED_HTTPS') throw ruleError(`L7rule type ${x.type} needs a TERMINATED_HTTPS listener, not ${protocol}.`);
};

const createRule = ({ data }: CreateL7Rule, lb: Live, at: string): L7Event[] => {
  const policy = policyOf(lb, data.l7PolicyId);
  if (policy.rules.has(data.l7RuleId)) return [];
  checkRuleSettings(data);
  checkRuleListener(lb, policy, data);
  assertMutable(lb);
  if (policy.rules.size >= MAX_L7_RULES_PER_POLICY) throw new DomainError('Conflict', `Too many rules on L7 policy ${data.l7PolicyId}`);
  return [{ type: 'L7RuleCreated', v: 1, data: { ...data, at } }];
};

const updateRule = ({ data }: UpdateL7Rule, lb: Live, at: string): L7Event[] => {
  const policy = policyOf(lb, data.l7PolicyId);
  const rule = ruleOf(policy, data.l7RuleId);
  const changes = effectiveChanges(rule, data.changes);
  if (isEmpty(changes)) return [];
  checkRuleSettings({ ...rule, ...changes });
  checkRuleListener(lb, policy, { ...rule, ...changes });
  assertMutable(lb);
  return [{ type: 'L7RuleSettingsChanged', v: 1, data: { lbId: data.lbId, l7PolicyId: data.l7PolicyId, l7RuleId: data.l7RuleId, changes, at } }];
};

const deleteRule = ({ data }: DeleteL7Rule, lb: Live, at: string): L7Event[] => {
  ruleOf(policyOf(lb, data.l7PolicyId), data.l7RuleId);
  assertMutable(lb);
  return [{ type: 'L7RuleDeleted', v: 1, data: { lbId: data.lbId, l7PolicyId: data.l7PolicyId, l7RuleId: data.l7RuleId, at } }];
};
