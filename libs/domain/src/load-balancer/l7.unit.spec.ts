import type { CommandMetadata, L7Command, L7Event, L7PolicySettings, L7RuleSettings } from '@lbaas/events';
import { deciderSpec } from '@lbaas/testing';
import { loadBalancer } from '.';
import {
  active, deletePool, LB, LISTENER, listenerCreated, listenerDeleted, NOW, POOL, poolCreated, settled,
} from './load-balancer.fixtures';

const given = deciderSpec(loadBalancer);
const metadata: CommandMetadata = { commandId: 'cmd-l7', now: NOW };
const POLICY = '5a0c7f6e-4b0e-4b5c-9c55-0c2d8e7f1a01';
const RULE = '6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
const POOL2 = '9a9a9a9a-1111-4222-8333-444455556666';

const policyData: L7PolicySettings & { lbId: string; listenerId: string; l7PolicyId: string } = {
  lbId: LB, listenerId: LISTENER, l7PolicyId: POLICY, name: 'p', description: '', adminStateUp: true, action: 'REJECT', position: 1,
  redirectPoolId: null, redirectUrl: null, redirectPrefix: null, redirectHttpCode: null, tags: [],
};
const ruleData: L7RuleSettings & { lbId: string; l7PolicyId: string; l7RuleId: string } = {
  lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE, type: 'PATH', compareType: 'STARTS_WITH', key: null, value: '/api', invert: false,
  adminStateUp: true, tags: [],
};
const c = (type: L7Command['type'], data: unknown) => ({ type, data, metadata }) as L7Command;
const e = (type: L7Event['type'], data: object) => ({ type, v: 1, data: { ...data, at: NOW } }) as L7Event;
const createPolicy = (o: Partial<L7PolicySettings> = {}) => c('CreateL7Policy', { ...policyData, ...o });
const policyCreated = (o: Partial<L7PolicySettings> = {}) => e('L7PolicyCreated', { ...policyData, ...o });
const createRule = (o: Partial<L7RuleSettings> & { l7RuleId?: string } = {}) => c('CreateL7Rule', { ...ruleData, ...o });
const ruleCreated = (o: Partial<L7RuleSettings> & { l7RuleId?: string } = {}) => e('L7RuleCreated', { ...ruleData, ...o });
const withListener = () => active(listenerCreated(), poolCreated());
const withPolicy = (o: Partial<L7PolicySettings> = {}) => active(listenerCreated(), poolCreated(), policyCreated(o));

describe('L7 policies', () => {
  it('creates a REJECT policy on an HTTP listener', () => given(withListener()).when(createPolicy()).then([policyCreated()]));
  it('treats a retried create as done', () => given(withPolicy()).when(createPolicy()).then([]));
  it('creates a REDIRECT_TO_POOL policy to a pool of the tree', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_POOL', redirectPoolId: POOL }))
      .then([policyCreated({ action: 'REDIRECT_TO_POOL', redirectPoolId: POOL })]));
  it('refuses REDIRECT_TO_POOL without a pool', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_POOL' })).thenThrows('Invalid', /redirect_pool_id is required/));
  it('refuses a redirect to a pool that does not exist', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_POOL', redirectPoolId: POOL2 })).thenThrows('NotFound', `Pool ${POOL2} not found.`));
  it('refuses a redirect URL that is not a URL, naming the field', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_URL', redirectUrl: 'not a url', redirectHttpCode: 302 }))
      .thenThrows('Invalid', /field\/attribute redirect_url/));
  it.each([
    ['a quote', "https://x.example.com/'a"], ['a percent (haproxy log-format)', 'https://x.example.com/%[src]'],
    ['a space', 'https://x.example.com/a b'], ['a newline', 'https://x.example.com/\n'], ['a backslash', 'https://x.example.com/\\'],
    ['another scheme', 'ftp://x.example.com/'],
  ])('refuses a redirect URL with %s', (_n, url) =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_URL', redirectUrl: url, redirectHttpCode: 302 }))
      .thenThrows('Invalid', /redirect_url/));
  it('refuses a redirect prefix that is not a URL', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_PREFIX', redirectPrefix: '/relative' })).thenThrows('Invalid', /redirect_prefix/));
  it('refuses a redirect code outside 301, 302, 303, 307, 308', () =>
    given(withListener()).when(createPolicy({ action: 'REDIRECT_TO_URL', redirectUrl: 'https://a.example.com/', redirectHttpCode: 304 }))
      .thenThrows('Invalid', /redirect_http_code/));
  it('refuses a redirect field that does not belong to the action', () =>
    given(withListener()).when(createPolicy({ redirectUrl: 'https://a.example.com/' })).thenThrows('Invalid', /redirect_url is only valid/));
  it('refuses position 0', () => given(withListener()).when(createPolicy({ position: 0 })).thenThrows('Invalid', /field\/attribute position/));
  it('refuses an unknown action', () =>
    given(withListener()).when(createPolicy({ action: 'DROP' as never })).thenThrows('Invalid', /field\/attribute action/));
  it('refuses L7 policies on a TCP listener', () =>
    given(active(listenerCreated({ protocol: 'TCP' }))).when(createPolicy()).thenThrows('Invalid', /only supported on HTTP and TERMINATED_HTTPS/));
  it('refuses a policy on an unknown listener', () =>
    given(active()).when(createPolicy()).thenThrows('NotFound', `Listener ${LISTENER} not found.`));
  it('refuses while the tree is PENDING_*', () =>
    given([...withListener(), poolCreated({ poolId: POOL2, listenerId: null })]).when(createPolicy())
      .thenThrows('IllegalState', `Load Balancer ${LB} is immutable and cannot be updated.`));
  it('updates only what changes', () =>
    given(withPolicy()).when(c('UpdateL7Policy', { lbId: LB, l7PolicyId: POLICY, changes: { name: 'p', position: 3 } }))
      .then([e('L7PolicySettingsChanged', { lbId: LB, l7PolicyId: POLICY, changes: { position: 3 } })]));
  it('renames without touching the position', () =>
    given(withPolicy()).when(c('UpdateL7Policy', { lbId: LB, l7PolicyId: POLICY, changes: { name: 'q' } }))
      .then([e('L7PolicySettingsChanged', { lbId: LB, l7PolicyId: POLICY, changes: { name: 'q' } })]));
  it('always carries a requested position (the actual place may have shifted since)', () =>
    given(withPolicy()).when(c('UpdateL7Policy', { lbId: LB, l7PolicyId: POLICY, changes: { position: 1 } }))
      .then([e('L7PolicySettingsChanged', { lbId: LB, l7PolicyId: POLICY, changes: { position: 1 } })]));
  it('re-checks the merged policy on update', () =>
    given(withPolicy()).when(c('UpdateL7Policy', { lbId: LB, l7PolicyId: POLICY, changes: { action: 'REDIRECT_TO_URL' } }))
      .thenThrows('Invalid', /redirect_url/));
  it('deletes a policy', () =>
    given(withPolicy()).when(c('DeleteL7Policy', { lbId: LB, l7PolicyId: POLICY }))
      .then([e('L7PolicyDeleted', { lbId: LB, l7PolicyId: POLICY })]));
  it('answers 404 for an unknown policy', () =>
    given(withListener()).when(c('DeleteL7Policy', { lbId: LB, l7PolicyId: POLICY })).thenThrows('NotFound', `L7 Policy ${POLICY} not found.`));
  it('refuses to delete a pool an L7 policy redirects to (PoolInUseByL7Policy)', () =>
    given(withPolicy({ action: 'REDIRECT_TO_POOL', redirectPoolId: POOL })).when(deletePool())
      .thenThrows('Conflict', `Pool ${POOL} is in use by L7 policy ${POLICY}`));
  it('drops the policies of a deleted listener', () =>
    given(settled(...withPolicy(), listenerDeleted())).when(c('DeleteL7Policy', { lbId: LB, l7PolicyId: POLICY }))
      .thenThrows('NotFound', `L7 Policy ${POLICY} not found.`));
});

describe('L7 rules', () => {
  it('adds a rule', () => given(withPolicy()).when(createRule()).then([ruleCreated()]));
  it.each([
    ['HOST_NAME', 'EQUAL_TO', null], ['PATH', 'REGEX', null], ['FILE_TYPE', 'EQUAL_TO', null], ['FILE_TYPE', 'REGEX', null],
    ['HEADER', 'CONTAINS', 'X-Env'], ['COOKIE', 'ENDS_WITH', 'session'], ['PATH', 'STARTS_WITH', null],
  ] as const)('accepts %s / %s', (type, compareType, key) =>
    given(withPolicy()).when(createRule({ type, compareType, key, value: 'abc' })).then([ruleCreated({ type, compareType, key, value: 'abc' })]));
  it('refuses FILE_TYPE with STARTS_WITH', () =>
    given(withPolicy()).when(createRule({ type: 'FILE_TYPE', compareType: 'STARTS_WITH' })).thenThrows('Invalid', /REGEX or EQUAL_TO for FILE_TYPE/));
  it('refuses HEADER without a key', () =>
    given(withPolicy()).when(createRule({ type: 'HEADER' })).thenThrows('Invalid', 'Error parsing L7Rule: key must be specified for HEADER rules.'));
  it('refuses a key on a PATH rule', () =>
    given(withPolicy()).when(createRule({ key: 'x' })).thenThrows('Invalid', /does not use the "key" field/));
  it.each([['a space', 'X Env'], ['a quote', 'X"Env'], ['a colon', 'X:Env'], ['a newline', 'X\nEnv'], ['parentheses', 'a(b)']])(
    'refuses a header name with %s', (_n, key) =>
      given(withPolicy()).when(createRule({ type: 'HEADER', compareType: 'EQUAL_TO', key })).thenThrows('Invalid', /field\/attribute key/));
  it.each([['a single quote', "a'b"], ['a newline', 'a\nb'], ['a carriage return', 'a\rb'], ['nothing', '']])(
    'refuses a value with %s, naming the field', (_n, value) =>
      given(withPolicy()).when(createRule({ value })).thenThrows('Invalid', /field\/attribute value/));
  it('accepts spaces, double quotes, backslashes and # in a value (rendered in single quotes)', () =>
    given(withPolicy()).when(createRule({ compareType: 'CONTAINS', value: 'a b"c\\d#e' })).then([ruleCreated({ compareType: 'CONTAINS', value: 'a b"c\\d#e' })]));
  it('refuses an invalid regex', () =>
    given(withPolicy()).when(createRule({ compareType: 'REGEX', value: '^(/api' })).thenThrows('Invalid', /valid regular expression/));
  it('refuses an unknown compare type', () =>
    given(withPolicy()).when(createRule({ compareType: 'LIKE' as never })).thenThrows('Invalid', /field\/attribute compare_type/));
  it('refuses a 51st rule with 409', () => {
    const rules = Array.from({ length: 50 }, (_, i) => ruleCreated({ l7RuleId: `r${i}` }));
    given(settled(...withPolicy(), ...rules)).when(createRule({ l7RuleId: 'r50' })).thenThrows('Conflict', `Too many rules on L7 policy ${POLICY}`);
  });
  it('accepts the 50th rule', () => {
    const rules = Array.from({ length: 49 }, (_, i) => ruleCreated({ l7RuleId: `r${i}` }));
    given(settled(...withPolicy(), ...rules)).when(createRule({ l7RuleId: 'r49' })).then([ruleCreated({ l7RuleId: 'r49' })]);
  });
  it('updates a rule, re-checking the merged rule', () =>
    given(settled(...withPolicy(), ruleCreated())).when(c('UpdateL7Rule', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE, changes: { type: 'COOKIE' } }))
      .thenThrows('Invalid', /key must be specified for COOKIE/));
  it('updates a rule', () =>
    given(settled(...withPolicy(), ruleCreated())).when(c('UpdateL7Rule', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE, changes: { invert: true } }))
      .then([e('L7RuleSettingsChanged', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE, changes: { invert: true } })]));
  it('deletes a rule', () =>
    given(settled(...withPolicy(), ruleCreated())).when(c('DeleteL7Rule', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE }))
      .then([e('L7RuleDeleted', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE })]));
  it('answers 404 for an unknown rule', () =>
    given(withPolicy()).when(c('DeleteL7Rule', { lbId: LB, l7PolicyId: POLICY, l7RuleId: RULE })).thenThrows('NotFound', `L7 Rule ${RULE} not found.`));
});

describe('L7 rules on the client certificate (SSL_*)', () => {
  const REF = 'http://127.0.0.1:9876/v1/secrets/7c2e9a81-6d0f-4e7e-9e77-2e4f0a913c03';
  const https = () => active(listenerCreated({ protocol: 'TERMINATED_HTTPS', protocolPort: 443, defaultTlsContainerRef: REF }), policyCreated());
  it.each([
    [{ type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', value: 'True' }],
    [{ type: 'SSL_VERIFY_RESULT', compareType: 'EQUAL_TO', value: '0' }],
    [{ type: 'SSL_DN_FIELD', compareType: 'EQUAL_TO', key: 'CN', value: 'client-1' }],
    [{ type: 'SSL_DN_FIELD', compareType: 'REGEX', key: 'OU', value: '^ops' }],
  ] as const)('accepts %p on a TERMINATED_HTTPS listener', (o) => given(https()).when(createRule(o)).then([ruleCreated(o)]));
  it.each([
    ['a key on SSL_CONN_HAS_CERT', { type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', key: 'CN', value: 'True' }, /does not use the "key" field/],
    ['a value other than true', { type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', value: 'yes' }, /is not a boolean True string/],
    ['STARTS_WITH on SSL_CONN_HAS_CERT', { type: 'SSL_CONN_HAS_CERT', compareType: 'STARTS_WITH', value: 'True' }, /only supports the EQUAL_TO/],
    ['a negative verify result', { type: 'SSL_VERIFY_RESULT', compareType: 'EQUAL_TO', value: '-1' }, /needs a int value, which is >= 0/],
    ['a verify result that is not a number', { type: 'SSL_VERIFY_RESULT', compareType: 'EQUAL_TO', value: 'ok' }, /needs a int value/],
    ['a DN field without a key', { type: 'SSL_DN_FIELD', compareType: 'EQUAL_TO', value: 'x' }, /needs to specify a key and a value/],
    ['a DN field key with a space', { type: 'SSL_DN_FIELD', compareType: 'EQUAL_TO', key: 'C N', value: 'x' }, /Invalid L7rule distinguished name field/],
    ['a DN field value with a newline', { type: 'SSL_DN_FIELD', compareType: 'EQUAL_TO', key: 'CN', value: 'a\nb' }, /control characters/],
    ['a DN regex that does not compile', { type: 'SSL_DN_FIELD', compareType: 'REGEX', key: 'CN', value: '(' }, /valid regular expression/],
  ] as const)('refuses %s', (_why, o, message) => given(https()).when(createRule(o as never)).thenThrows('Invalid', message));
  it('refuses them on a listener without TLS', () =>
    given(withPolicy()).when(createRule({ type: 'SSL_CONN_HAS_CERT', compareType: 'EQUAL_TO', value: 'True' }))
      .thenThrows('Invalid', /needs a TERMINATED_HTTPS listener, not HTTP/));
});
