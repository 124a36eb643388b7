import { renderAuthorization, AuthorizationConfigError } from './nats-authorization';
import { identityName, permissionTable, permissionsOf, type IdentityPermissions } from './permissions';
import { EVENT_STREAM, subjects } from './subjects';

/** NATS subject matching as nats-server does it: `*` one token, `>` one or more trailing tokens. */
const matches = (pattern: string, subject: string): boolean => {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
};
/** What the server decides for one subject: allowed by some allow entry and by no deny entry. */
const may = (row: IdentityPermissions, verb: 'publish' | 'subscribe', subject: string) =>
  row[verb].allow.some((a) => matches(a, subject)) && !row[verb].deny.some((d) => matches(d, subject));

const table = permissionTable({ agents: ['a1', 'a2'] });
const row = (name: string) => {
  const r = table.find((x) => x.name === name);
  if (!r) throw new Error(`no row ${name}`);
  return r;
};
const LB = 'lbaas.evt.lb.6b1d8f7a-5c1f-4c6d-8d66-1d3e9f802b02';
const S = EVENT_STREAM;

describe('the NATS permission table', () => {
  it('has one row per role and agent, each with its own inbox prefix', () => {
    expect(table.map((r) => r.name)).toEqual(['operator', 'api', 'scheduler', 'failover-watcher', 'auditor', 'agent-a1', 'agent-a2']);
    expect(new Set(table.map((r) => r.inboxPrefix)).size).toBe(table.length);
    for (const r of table) {
      expect(r.subscribe.allow).toContain(subjects.inbox(r.name));
      for (const other of table.filter((o) => o !== r)) expect(may(r, 'subscribe', `${other.inboxPrefix}.x`)).toBe(false);
      expect(may(r, 'subscribe', '_INBOX.abc')).toBe(false);
    }
    expect(() => identityName({ role: 'agent', agentId: 'Bad.Id' })).toThrow(/agent id/);
  });

  // [identity, verb, subject, allowed]: what the apps need, and what they must never do.
  const cases: [string, 'publish' | 'subscribe', string, boolean][] = [
    ['operator', 'publish', `$JS.API.STREAM.CREATE.${S}`, true],
    ['operator', 'publish', `$JS.API.STREAM.DELETE.${S}`, true],
    ['operator', 'publish', LB, true], // DR import
    ['operator', 'publish', '$O.lbaas_snapshots.C.abc', true],
    // The stream's own facts (its identity, restore markers) are the operator's alone.
    ['operator', 'publish', subjects.streamGenesis, true],
    ['operator', 'publish', subjects.streamRestored, true],
    ['api', 'publish', subjects.streamGenesis, false],
    ['api', 'publish', subjects.streamRestored, false],
    ['scheduler', 'publish', subjects.streamRestored, false],
    ['failover-watcher', 'publish', subjects.streamGenesis, false],
    ['agent-a1', 'publish', subjects.streamRestored, false],
    ['api', 'publish', LB, true],
    ['api', 'publish', 'lbaas.evt.subnet.s1', true],
    ['api', 'publish', 'lbaas.evt.agent.a1', true],
    ['api', 'publish', subjects.agentQuery('a1', 'stats'), true],
    ['api', 'publish', '$KV.LBAAS_SECRETS.secret.x', true],
    ['api', 'publish', `$JS.API.CONSUMER.CREATE.${S}.abc_1.${LB}`, true],
    ['api', 'publish', `$JS.API.DIRECT.GET.${S}.${LB}`, true],
    ['api', 'publish', `$JS.API.STREAM.DELETE.${S}`, false],
    ['api', 'publish', `$JS.API.STREAM.UPDATE.${S}`, false],
    ['api', 'publish', `$JS.API.STREAM.PURGE.${S}`, false],
    ['api', 'publish', `$JS.API.STREAM.SNAPSHOT.KV_LBAAS_SECRETS`, false],
    ['api', 'publish', '$O.lbaas_snapshots.C.abc', false],
    ['api', 'publish', `$JS.API.CONSUMER.CREATE.${S}.auditor.lbaas.evt.>`, false],
    ['api', 'publish', `$JS.API.CONSUMER.DELETE.${S}.auditor`, false],
    ['api', 'publish', `$JS.API.CONSUMER.MSG.NEXT.${S}.auditor`, false],
    ['api', 'publish', `$JS.API.CONSUMER.CREATE.${S}.x`, false], // a consumer without a filter in its subject
    ['api', 'publish', `$JS.API.CONSUMER.CREATE.${S}.x.$KV.LBAAS_SECRETS.>`, false],
    ['api', 'publish', 'lbaas.hb.agent.a1', false],
    ['api', 'subscribe', 'lbaas.rpc.agent.a1.stats', false],
    ['scheduler', 'publish', LB, true],
    ['scheduler', 'publish', 'lbaas.evt.subnet.s1', true],
    ['scheduler', 'publish', 'lbaas.evt.agent.a1', false],
    ['scheduler', 'publish', 'lbaas.evt.network.n1', false],
    ['scheduler', 'publish', '$JS.API.DIRECT.GET.KV_LBAAS_SECRETS.$KV.LBAAS_SECRETS.secret.x', false],
    ['failover-watcher', 'publish', 'lbaas.evt.agent.a1', true],
    ['failover-watcher', 'subscribe', 'lbaas.hb.agent.a1', true],
    ['failover-watcher', 'publish', LB, false],
    ['failover-watcher', 'publish', 'lbaas.hb.agent.a1', false],
    ['agent-a1', 'publish', 'lbaas.hb.agent.a1', true],
    ['agent-a1', 'publish', 'lbaas.evt.agent.a1', true],
    ['agent-a1', 'publish', LB, true], // reports: see the note in permissions.ts
    ['agent-a1', 'subscribe', 'lbaas.rpc.agent.a1.digest', true],
    ['agent-a1', 'publish', '$JS.API.DIRECT.GET.KV_LBAAS_SECRETS.$KV.LBAAS_SECRETS.secret.x', true],
    ['agent-a1', 'publish', 'lbaas.hb.agent.a2', false],
    ['agent-a1', 'publish', 'lbaas.evt.agent.a2', false],
    ['agent-a1', 'publish', 'lbaas.evt.subnet.s1', false],
    ['agent-a1', 'publish', 'lbaas.evt.network.n1', false],
    ['agent-a1', 'publish', 'lbaas.evt.project.p1', false],
    ['agent-a1', 'publish', 'lbaas.rpc.agent.a2.stats', false],
    ['agent-a1', 'subscribe', 'lbaas.rpc.agent.a2.stats', false],
    ['agent-a1', 'subscribe', 'lbaas.rpc.agent.*.stats', false],
    ['agent-a1', 'publish', '$KV.LBAAS_SECRETS.secret.x', false],
    ['agent-a1', 'publish', '$O.lbaas_snapshots.M.x', false],
    ['agent-a1', 'publish', `$JS.API.STREAM.DELETE.${S}`, false],
    ['auditor', 'publish', `$JS.API.CONSUMER.CREATE.${S}.auditor.lbaas.evt.>`, true],
    ['auditor', 'publish', `$JS.API.CONSUMER.MSG.NEXT.${S}.auditor`, true],
    ['auditor', 'publish', `$JS.ACK.${S}.auditor.1.2.3.4.5`, true],
    ['auditor', 'publish', `$JS.ACK.dom.ACC.${S}.auditor.1.2.3.4.5.tok`, true], // 2.15 ack subjects
    ['auditor', 'publish', `$JS.ACK.${S}.other.1.2.3.4.5`, false],
    ['auditor', 'publish', `$JS.API.CONSUMER.CREATE.${S}.other.lbaas.evt.>`, false],
    ['auditor', 'publish', `$JS.API.STREAM.INFO.${S}`, false],
    ['auditor', 'publish', `$JS.API.DIRECT.GET.${S}`, false],
    ['auditor', 'publish', '$JS.API.DIRECT.GET.KV_LBAAS_SECRETS.$KV.LBAAS_SECRETS.secret.x', false],
    ['auditor', 'publish', LB, false],
  ];
  it.each(cases)('%s may %s %s: %s', (name, verb, subject, allowed) => {
    expect(may(row(name), verb, subject)).toBe(allowed);
  });

  it('lets only agents answer requests', () => {
    expect(table.filter((r) => r.allowResponses).map((r) => r.name)).toEqual(['agent-a1', 'agent-a2']);
  });

  it('ties the auditor to the durables it is given, and protects them from every reader', () => {
    const t = permissionTable({ agents: ['a1'], auditorDurables: ['audit-x'] });
    const auditor = t.find((r) => r.role === 'auditor') as IdentityPermissions;
    expect(may(auditor, 'publish', `$JS.API.CONSUMER.MSG.NEXT.${S}.audit-x`)).toBe(true);
    expect(may(auditor, 'publish', `$JS.API.CONSUMER.MSG.NEXT.${S}.auditor`)).toBe(false);
    for (const r of t.filter((x) => x.role !== 'operator' && x.role !== 'auditor')) expect(may(r, 'publish', `$JS.API.CONSUMER.DELETE.${S}.audit-x`)).toBe(false);
  });

  it('is pure: the same input gives equal rows', () => {
    expect(permissionTable({ agents: ['a1', 'a2', 'a1'] })).toEqual(table);
    expect(permissionsOf({ role: 'agent', agentId: 'a1' })).toEqual(row('agent-a1'));
  });
});

describe('renderAuthorization', () => {
  const key = (c: string) => `U${c.repeat(55)}`;
  const keys = Object.fromEntries(table.map((r, i) => [r.name, key('ABCDEFG'[i])]));

  it('renders one nkey user per row with its quoted permissions', () => {
    const text = renderAuthorization(table, keys);
    expect(text).toMatch(/^# Generated by `lbaasctl identities`/);
    expect(text.match(/\{ nkey: "U/g)).toHaveLength(table.length);
    expect(text).toContain(`# agent-a1 (agent)\n    { nkey: "${keys['agent-a1']}"`);
    expect(text).toContain('"$JS.API.INFO"');
    expect(text).not.toMatch(/[^"]\$JS/); // every $ subject quoted: never read as a config variable
    expect(text.split('allow_responses: true')).toHaveLength(3);
    expect(renderAuthorization(table, keys)).toBe(text);
  });

  it('refuses a row without a key, and a key that is not a user key', () => {
    expect(() => renderAuthorization(table, { ...keys, api: '' })).toThrow(AuthorizationConfigError);
    expect(() => renderAuthorization(table, { ...keys, api: `S${'A'.repeat(55)}` })).toThrow(/not an nkey user public key/);
  });
});
