import type { Command, Event } from './event';

/** L7 policy actions (Octavia). */
export const L7_ACTIONS = ['REJECT', 'REDIRECT_TO_URL', 'REDIRECT_TO_POOL', 'REDIRECT_PREFIX'] as const;
export type L7Action = (typeof L7_ACTIONS)[number];
/** Redirect status codes (API 2.9). */
export const REDIRECT_HTTP_CODES = [301, 302, 303, 307, 308] as const;
/** L7 rule types of Octavia API v2 (the SSL_* ones test the client certificate of a TERMINATED_HTTPS listener). */
export const L7_RULE_TYPES = ['HOST_NAME', 'PATH', 'FILE_TYPE', 'HEADER', 'COOKIE', 'SSL_CONN_HAS_CERT', 'SSL_VERIFY_RESULT', 'SSL_DN_FIELD'] as const;
export type L7RuleType = (typeof L7_RULE_TYPES)[number];
/** L7 rule compare types. */
export const L7_COMPARE_TYPES = ['REGEX', 'STARTS_WITH', 'ENDS_WITH', 'CONTAINS', 'EQUAL_TO'] as const;
export type L7CompareType = (typeof L7_COMPARE_TYPES)[number];
/** Octavia's MAX_L7RULES_PER_L7POLICY. */
export const MAX_L7_RULES_PER_POLICY = 50;

/**
 * The attributes of an L7 policy that PUT may change. `position` is the requested 1-based place in the listener's
 * ordered list; views clamp it to the list's end and shift the others (Octavia's ordering-list semantics).
 */
export type L7PolicySettings = Readonly<{
  name: string;
  description: string;
  adminStateUp: boolean;
  action: L7Action;
  position: number;
  redirectPoolId: string | null;
  redirectUrl: string | null;
  redirectPrefix: string | null;
  redirectHttpCode: number | null;
  tags: readonly string[];
}>;

/** The attributes of an L7 rule that PUT may change. */
export type L7RuleSettings = Readonly<{
  type: L7RuleType;
  compareType: L7CompareType;
  key: string | null;
  value: string;
  invert: boolean;
  adminStateUp: boolean;
  tags: readonly string[];
}>;

/** An L7 policy was added to a listener. Written by the api. */
export type L7PolicyCreated = Event<'L7PolicyCreated', 1, L7PolicySettings & { lbId: string; listenerId: string; l7PolicyId: string; at: string }>;
/** Some settings of an L7 policy changed. Written by the api. */
export type L7PolicySettingsChanged = Event<'L7PolicySettingsChanged', 1, {
  lbId: string; l7PolicyId: string; changes: Partial<L7PolicySettings>; at: string;
}>;
/** An L7 policy (with its rules) was removed. Written by the api. */
export type L7PolicyDeleted = Event<'L7PolicyDeleted', 1, { lbId: string; l7PolicyId: string; at: string }>;
/** A rule was added to an L7 policy. Written by the api. */
export type L7RuleCreated = Event<'L7RuleCreated', 1, L7RuleSettings & { lbId: string; l7PolicyId: string; l7RuleId: string; at: string }>;
/** Some settings of an L7 rule changed. Written by the api. */
export type L7RuleSettingsChanged = Event<'L7RuleSettingsChanged', 1, {
  lbId: string; l7PolicyId: string; l7RuleId: string; changes: Partial<L7RuleSettings>; at: string;
}>;
/** An L7 rule was removed. Written by the api. */
export type L7RuleDeleted = Event<'L7RuleDeleted', 1, { lbId: string; l7PolicyId: string; l7RuleId: string; at: string }>;

export type L7Event = L7PolicyCreated | L7PolicySettingsChanged | L7PolicyDeleted | L7RuleCreated | L7RuleSettingsChanged | L7RuleDeleted;
export const L7_EVENT_TYPES: readonly L7Event['type'][] = [
  'L7PolicyCreated', 'L7PolicySettingsChanged', 'L7PolicyDeleted', 'L7RuleCreated', 'L7RuleSettingsChanged', 'L7RuleDeleted',
];

/** Add an L7 policy to a listener. */
export type CreateL7Policy = Command<'CreateL7Policy', L7PolicySettings & { lbId: string; listenerId: string; l7PolicyId: string }>;
/** Change settings of an L7 policy. */
export type UpdateL7Policy = Command<'UpdateL7Policy', { lbId: string; l7PolicyId: string; changes: Partial<L7PolicySettings> }>;
/** Delete an L7 policy and its rules. */
export type DeleteL7Policy = Command<'DeleteL7Policy', { lbId: string; l7PolicyId: string }>;
/** Add a rule to an L7 policy. */
export type CreateL7Rule = Command<'CreateL7Rule', L7RuleSettings & { lbId: string; l7PolicyId: string; l7RuleId: string }>;
/** Change settings of an L7 rule. */
export type UpdateL7Rule = Command<'UpdateL7Rule', { lbId: string; l7PolicyId: string; l7RuleId: string; changes: Partial<L7RuleSettings> }>;
/** Delete an L7 rule. */
export type DeleteL7Rule = Command<'DeleteL7Rule', { lbId: string; l7PolicyId: string; l7RuleId: string }>;

export type L7Command = CreateL7Policy | UpdateL7Policy | DeleteL7Policy | CreateL7Rule | UpdateL7Rule | DeleteL7Rule;
