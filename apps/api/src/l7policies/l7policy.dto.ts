import { isRedirectUrl, L7_KEY } from '@lbaas/domain';
import { L7_ACTIONS, L7_COMPARE_TYPES, L7_RULE_TYPES, LIMITS, REDIRECT_HTTP_CODES, type L7Action, type L7CompareType, type L7RuleType } from '@lbaas/events';
import { Attr } from '../shell/validation';
import { bool, intIn, oneOf, pattern, projectId, tags, text, unsupported, uuid, type Rule } from '../shell/rules';

/** An absolute http(s) URL that cannot break a haproxy `redirect` line. */
export const redirectUrl: Rule<string> = (v) => (isRedirectUrl(v) ? { ok: true, value: v } : { ok: false, reason: 'Value should be a valid http(s) URL' });
/** 301, 302, 303, 307 or 308 (numbers or numeric strings). */
export const redirectCode: Rule<number> = (v) => {
  const n = typeof v === 'string' && /^\d{3}$/.test(v) ? Number(v) : v;
  return typeof n === 'number' && (REDIRECT_HTTP_CODES as readonly number[]).includes(n)
    ? { ok: true, value: n }
    : { ok: false, reason: `Value should be one of: ${REDIRECT_HTTP_CODES.join(', ')}` };
};
/** An L7 rule value: a text (no control characters; the decider checks quotes and REGEX syntax). */
const ruleValue = text(LIMITS.l7Rule.value.maxLength);
const position = intIn(LIMITS.l7Policy.position);

/** Body of POST /l7policies. */
export class L7PolicyCreateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(uuid, { required: true }) listener_id!: string;
  @Attr(oneOf(L7_ACTIONS), { required: true }) action!: L7Action;
  @Attr(position) position?: number | null;
  @Attr(uuid) redirect_pool_id?: string | null;
  @Attr(redirectUrl) redirect_url?: string | null;
  @Attr(redirectUrl) redirect_prefix?: string | null;
  @Attr(redirectCode) redirect_http_code?: number | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
  @Attr(unsupported('Single-call create of L7 rules')) rules?: null;
}

/** Body of PUT /l7policies/{id}. */
export class L7PolicyUpdateBody {
  @Attr(text()) name?: string | null;
  @Attr(text()) description?: string | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(oneOf(L7_ACTIONS)) action?: L7Action | null;
  @Attr(position) position?: number | null;
  @Attr(uuid) redirect_pool_id?: string | null;
  @Attr(redirectUrl) redirect_url?: string | null;
  @Attr(redirectUrl) redirect_prefix?: string | null;
  @Attr(redirectCode) redirect_http_code?: number | null;
  @Attr(tags) tags?: string[] | null;
}

/** Body of POST /l7policies/{id}/rules. */
export class L7RuleCreateBody {
  @Attr(oneOf(L7_RULE_TYPES), { required: true }) type!: L7RuleType;
  @Attr(oneOf(L7_COMPARE_TYPES), { required: true }) compare_type!: L7CompareType;
  @Attr(pattern(L7_KEY)) key?: string | null;
  @Attr(ruleValue, { required: true }) value!: string;
  @Attr(bool) invert?: boolean | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(tags) tags?: string[] | null;
  @Attr(projectId) project_id?: string | null;
  @Attr(projectId) tenant_id?: string | null;
}

/** Body of PUT /l7policies/{id}/rules/{rule_id}. */
export class L7RuleUpdateBody {
  @Attr(oneOf(L7_RULE_TYPES)) type?: L7RuleType | null;
  @Attr(oneOf(L7_COMPARE_TYPES)) compare_type?: L7CompareType | null;
  @Attr(pattern(L7_KEY)) key?: string | null;
  @Attr(ruleValue) value?: string | null;
  @Attr(bool) invert?: boolean | null;
  @Attr(bool) admin_state_up?: boolean | null;
  @Attr(tags) tags?: string[] | null;
}
