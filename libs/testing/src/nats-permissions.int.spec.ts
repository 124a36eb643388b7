import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { SecretStore } from '@lbaas/secret-store';
import {
  EVENT_STREAM, REPORT_STREAM, SECRETS_BUCKET, subjects, type Actor, type Aggregate, type Commit, type ReportSubject,
} from '@lbaas/contracts';
import {
  jetStreamEventStore, loadSnapshot, runProjection, saveSnapshot, type SnapshotCodec,
} from '@lbaas/event-store';
import { createUser } from 'nkeys.js';
import { connect, nkeyAuthenticator, type NatsConnection } from 'nats';
import { bootstrapNats } from './nats-bootstrap';
import { startNatsServerWithIdentities, type NatsServerWithIdentities } from './nats-identities-server';

/**
 * The permission table (libs/contracts/src/permissions.ts) against a real nats-server: every identity may do what
 * its app does, and each forbidden publish, subscribe and JetStream API call is refused by the server itself (its
 * log names the identity's nkey and the subject). Once in plain TCP, once with TLS and client certificates.
 */
const AUDIT_CONSUMER = resolve(__dirname, '../../../docs/examples/audit-consumer.js');
const actor: Actor = { kind: 'service', service: 'test' };
const commit = (type: string, data: Record<string, unknown> = {}): Commit =>
  ({ commitId: randomUUID(), at: new Date().toISOString(), actor, events: [{ type, v: 1, data }] });
const codec: SnapshotCodec<{ n: number }> = { schema: 1, encode: (v) => v, decode: (j) => j as { n: number } };
/** The operator's MAC key: snapshots are signed with it and read only when they verify. */
const KEY = Buffer.alloc(32, 3);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each([{ tls: false }, { tls: true }])('nats-server with the generated authorization (TLS: $tls)', ({ tls }) => {
  let s: NatsServerWithIdentities;
  const nc: Record<string, NatsConnection> = {};
  const names = ['operator', 'api', 'scheduler', 'failover-watcher', 'auditor', 'agent-a1', 'agent-a2'];

  beforeAll(async () => {
    s = await startNatsServerWithIdentities({ agents: ['a1', 'a2'], tls });
    await bootstrapNats(s.url, { options: s.options('operator') });
    for (const n of names) nc[n] = await s.connect(n);
  }, 60_000);
  afterAll(async () => { await s?.stop(); });

  const key = (name: string) => s.identities.publicKeys[name];
  /** The server's own record of a refusal: `<Publish|Subscription> Violation - Nkey "<key>", Subject "<subject>"`. */
  const serverRefused = (name: string, kind: 'Publish' | 'Subscription', subject: string) =>
    serverLogged(`${kind} Violation - Nkey "${key(name)}", Subject "${subject}"`);
  /** The server's log has `text` (it may write it a moment after the client got its refusal). */
  const serverLogged = async (text: string) => {
    for (let i = 0; i < 40 && !s.server.logs().includes(text); i++) await sleep(50);
    expect(s.server.logs()).toContain(text);
  };
  const publishRefused = async (name: string, subject: string) => {
    nc[name].publish(subject, 'forged');
    await nc[name].flush();
    await serverRefused(name, 'Publish', subject);
  };
  const subscribeRefused = async (name: string, subject: string) => {
    const sub = nc[name].subscribe(subject);
    const got = (async () => { for await (const _m of sub) return 'message'; return 'closed'; })().catch((e: unknown) => String(e));
    await nc[name].flush();
    await serverRefused(name, 'Subscription', subject);
    expect(await got).toMatch(/Permissions Violation for Subscription/);
  };
  const jsm = (name: string) => nc[name].jetstreamManager({ checkAPI: false, timeout: 2_000 });
  const apiRefused = async (name: string, call: Promise<unknown>, subject: string) => {
    await expect(call).rejects.toThrow(/Permissions Violation for Publish/);
    await serverRefused(name, 'Publish', subject);
  };
  const lastSeqOf = async (subject: string) => (await (await jsm('operator')).streams.info(EVENT_STREAM, { subjects_filter: subject }))
    .state.subjects?.[subject] ?? 0;
  const store = (name: string) => jetStreamEventStore(nc[name], { attempts: 1 });
  const append = (name: string, aggregate: Aggregate, id: string, type = 'Probe') => store(name).append({ aggregate, id }, commit(type, { id }), 0);
  const report = (name: string, r: ReportSubject) => store(name).append({ report: r }, commit('DesiredStateApplied', {
    lbId: r.lbId, agentId: r.agentId, epoch: 1, version: 1, at: 'now',
  }), 0);
  const reportSeqOf = async (subject: string) => (await (await jsm('operator')).streams.info(REPORT_STREAM, { subjects_filter: subject }))
    .state.subjects?.[subject] ?? 0;

  describe('who may connect', () => {
    it('refuses a client without credentials, and one whose nkey is not in the table', async () => {
      const tlsOpts = tls ? s.options('api').tls : undefined;
      await expect(connect({ servers: s.url, tls: tlsOpts, reconnect: false, timeout: 3_000 })).rejects.toThrow(/Authorization Violation/i);
      const stranger = createUser().getSeed();
      await expect(connect({ servers: s.url, tls: tlsOpts, authenticator: nkeyAuthenticator(stranger), reconnect: false, timeout: 3_000 }))
        .rejects.toThrow(/Authorization Violation/i);
    });

    if (tls) {
      it('refuses plain TCP and a TLS client without a certificate of our CA', async () => {
        const { authenticator, tls: t } = s.options('api');
        await expect(connect({ servers: s.url, authenticator, reconnect: false, timeout: 3_000 })).rejects.toThrow();
        await expect(connect({ servers: s.url, authenticator, tls: { caFile: t?.caFile }, reconnect: false, timeout: 3_000 })).rejects.toThrow();
      });
    }
  });

  describe('operator', () => {
    it('bootstrapped the stream, the secrets bucket and the snapshot store, and may save snapshots', async () => {
      const m = await jsm('operator');
      expect((await m.streams.info(EVENT_STREAM)).config.deny_delete).toBe(true);
      expect((await m.streams.info(`KV_${SECRETS_BUCKET}`)).config.max_msgs_per_subject).toBe(1);
      expect(await saveSnapshot(nc.operator, 'probe', codec, { n: 7 }, 0, KEY)).toBeGreaterThan(0);
      // Big enough for many chunks and the ordered consumer's flow control when an app reads it.
      const big: SnapshotCodec<string> = { schema: 1, encode: (v) => v, decode: (j) => j as string };
      expect(await saveSnapshot(nc.operator, 'big', big, 'x'.repeat(8 << 20), 0, KEY)).toBeGreaterThan(8 << 20);
    });
  });

  describe('api', () => {
    it('appends the commits it decides on every aggregate and reads them back (direct gets and ordered consumers)', async () => {
      for (const a of ['lb', 'subnet', 'network', 'project', 'agent'] as const) expect(await append('api', a, `api-${a}`)).toBeGreaterThan(0);
      const id = 'api-long';
      let seq = 0;
      for (let i = 0; i < 12; i++) seq = await store('api').append({ aggregate: 'lb', id }, commit('Probe', { i }), seq);
      const { commits } = await store('api').read({ aggregate: 'lb', id }); // > 8 commits: the ordered-consumer path
      expect(commits.map((c) => (c.events[0].data as { i: number }).i)).toEqual([...Array(12).keys()]);
      let n = 0;
      await (await runProjection(nc.api, { onCommit: () => { n++; } })).stop();
      expect(n).toBeGreaterThanOrEqual(17);
    });

    it('seals secrets in the KV bucket and reads the operator\'s snapshot', async () => {
      const secrets = await SecretStore.open(nc.api, Buffer.alloc(32, 1));
      const rec = { kind: 'secret' as const, id: randomUUID(), name: 'k', projectId: 'p', secretType: 'opaque', payloadContentType: null, payload: 'PEM', createdAt: 'now' };
      await secrets.put(rec);
      expect(await secrets.get('secret', rec.id)).toEqual(rec);
      expect(await loadSnapshot(nc.api, 'probe', codec, undefined, KEY)).toMatchObject({ view: { n: 7 } });
      const big = await loadSnapshot<string>(nc.api, 'big', { schema: 1, encode: (v) => v, decode: (j) => j as string }, undefined, KEY);
      expect('view' in big && big.view.length).toBe(8 << 20);
    });

    it('may not delete, update (lower limits), purge or create a stream, nor write snapshots', async () => {
      const m = await jsm('api');
      await apiRefused('api', m.streams.delete(EVENT_STREAM), `$JS.API.STREAM.DELETE.${EVENT_STREAM}`);
      await apiRefused('api', m.streams.update(EVENT_STREAM, { max_msgs: 10 }), `$JS.API.STREAM.UPDATE.${EVENT_STREAM}`);
      await apiRefused('api', m.streams.purge(EVENT_STREAM), `$JS.API.STREAM.PURGE.${EVENT_STREAM}`);
      await apiRefused('api', m.streams.add({ name: 'SHADOW', subjects: ['shadow.>'] }), '$JS.API.STREAM.CREATE.SHADOW');
      await expect(saveSnapshot(nc.api, 'probe', codec, { n: 666 }, 0, KEY)).rejects.toThrow(/Permissions Violation/);
      await serverLogged(`Publish Violation - Nkey "${key('api')}", Subject "$O.lbaas_snapshots.C.`);
      expect((await (await jsm('operator')).streams.info(EVENT_STREAM)).config.max_msgs).toBe(-1);
      expect(await loadSnapshot(nc.operator, 'probe', codec, undefined, KEY)).toMatchObject({ view: { n: 7 } });
    });

    it('may not answer agents\' queries nor beat for an agent', async () => {
      await subscribeRefused('api', subjects.agentQueries('a1'));
      await publishRefused('api', subjects.heartbeat('a1'));
    });
  });

  describe('scheduler and failover-watcher', () => {
    it('append only their workflow events: placements and VIP releases; agent down/up', async () => {
      expect(await append('scheduler', 'lb', 'sched-lb', 'LoadBalancerPlaced')).toBeGreaterThan(0);
      expect(await append('scheduler', 'subnet', 'sched-subnet', 'VipReleased')).toBeGreaterThan(0);
      expect(await append('failover-watcher', 'agent', 'a1', 'AgentDeclaredDown')).toBeGreaterThan(0);
      await apiRefused('scheduler', append('scheduler', 'agent', 'a2'), subjects.stream('agent', 'a2'));
      await apiRefused('scheduler', append('scheduler', 'network', 'n1'), subjects.stream('network', 'n1'));
      await apiRefused('failover-watcher', append('failover-watcher', 'lb', 'w-lb'), subjects.stream('lb', 'w-lb'));
      await apiRefused('failover-watcher', append('failover-watcher', 'subnet', 'w-s'), subjects.stream('subnet', 'w-s'));
    });

    it('the watcher hears every agent\'s heartbeats; the scheduler reads no secrets', async () => {
      const sub = nc['failover-watcher'].subscribe(subjects.allHeartbeats, { max: 1 });
      await nc['failover-watcher'].flush();
      nc['agent-a1'].publish(subjects.heartbeat('a1'), '{"agentId":"a1"}');
      for await (const m of sub) expect(m.subject).toBe(subjects.heartbeat('a1'));
      await apiRefused('scheduler', SecretStore.open(nc.scheduler, Buffer.alloc(32)), `$JS.API.STREAM.INFO.KV_${SECRETS_BUCKET}`);
    });
  });

  describe('agent-a1', () => {
    it('registers, reports on its own report subjects, beats for itself, reads the stream, its reports, secrets and snapshots', async () => {
      const { seq } = await store('agent-a1').read({ aggregate: 'agent', id: 'a1' });
      expect(await store('agent-a1').append({ aggregate: 'agent', id: 'a1' }, commit('AgentRegistered'), seq)).toBeGreaterThan(seq);
      const mine: ReportSubject = { kind: 'lb', agentId: 'a1', lbId: 'a1-report' };
      expect(await report('agent-a1', mine)).toBeGreaterThan(0);
      expect((await store('agent-a1').read({ report: mine })).commits).toHaveLength(1);
      let reports = 0;
      await (await runProjection(nc['agent-a1'], { stream: REPORT_STREAM, filter: subjects.reportsOf('a1'), deliver: 'last-per-subject', onCommit: () => { reports++; } })).stop();
      expect(reports).toBe(1);
      nc['agent-a1'].publish(subjects.heartbeat('a1'), '{}');
      await nc['agent-a1'].flush();
      let n = 0;
      await (await runProjection(nc['agent-a1'], { onCommit: () => { n++; } })).stop();
      expect(n).toBeGreaterThan(0);
      expect((await store('agent-a1').read({ aggregate: 'lb', id: 'api-long' })).commits).toHaveLength(12);
      const secrets = await SecretStore.open(nc['agent-a1'], Buffer.alloc(32, 1));
      expect(await secrets.get('secret', randomUUID())).toBeNull();
      expect(await loadSnapshot(nc['agent-a1'], 'probe', codec, undefined, KEY)).toMatchObject({ view: { n: 7 } });
      const big = await loadSnapshot<string>(nc['agent-a1'], 'big', { schema: 1, encode: (v) => v, decode: (j) => j as string }, undefined, KEY);
      expect('view' in big && big.view.length).toBe(8 << 20);
    });

    it('answers its own queries to the api; another agent cannot read the api\'s inbox', async () => {
      const rpc = nc['agent-a1'].subscribe(subjects.agentQueries('a1'));
      void (async () => { for await (const m of rpc) m.respond('{"response":"a1 stats"}'); })();
      await nc['agent-a1'].flush();
      await subscribeRefused('agent-a2', `${s.identities.table.find((r) => r.name === 'api')?.inboxPrefix}.>`);
      await subscribeRefused('agent-a2', '_INBOX.>');
      const reply = await nc.api.request(subjects.agentQuery('a1', 'stats'), '{}', { timeout: 2_000 });
      expect(reply.string()).toBe('{"response":"a1 stats"}');
      expect(reply.subject.startsWith('_INBOX_api.')).toBe(true);
      rpc.unsubscribe();
    });

    it('may not forge desired state on subnet, network or project subjects (raw or JetStream), nor another agent\'s', async () => {
      const subnetId = randomUUID();
      await publishRefused('agent-a1', subjects.stream('subnet', subnetId)); // the injected-gateway SubnetCreated of issue 10
      await apiRefused('agent-a1', append('agent-a1', 'subnet', subnetId, 'SubnetCreated'), subjects.stream('subnet', subnetId));
      await apiRefused('agent-a1', append('agent-a1', 'network', 'n-forged', 'NetworkCreated'), subjects.stream('network', 'n-forged'));
      await apiRefused('agent-a1', append('agent-a1', 'project', 'p-forged', 'QuotaSet'), subjects.stream('project', 'p-forged'));
      await apiRefused('agent-a1', append('agent-a1', 'agent', 'a2', 'AgentDeclaredUp'), subjects.stream('agent', 'a2'));
      expect(await lastSeqOf(subjects.stream('subnet', subnetId))).toBe(0);
    });

    it('may not beat for another agent, take or ask another agent\'s queries, write secrets or snapshots, or touch the stream', async () => {
      const heard = nc['failover-watcher'].subscribe(subjects.heartbeat('a2'), { timeout: 800 });
      const got = (async () => { for await (const _m of heard) return 'heard'; return 'none'; })().catch(() => 'none');
      await nc['failover-watcher'].flush();
      await publishRefused('agent-a1', subjects.heartbeat('a2'));
      expect(await got).toBe('none');
      await subscribeRefused('agent-a1', subjects.agentQueries('a2'));
      await apiRefused('agent-a1', nc['agent-a1'].request(subjects.agentQuery('a2', 'stats'), '{}', { timeout: 1_000 }), subjects.agentQuery('a2', 'stats'));
      const kv = await nc['agent-a1'].jetstream().views.kv(SECRETS_BUCKET, { bindOnly: true });
      await apiRefused('agent-a1', kv.put('secret.x', 'forged'), `$KV.${SECRETS_BUCKET}.secret.x`);
      await expect(saveSnapshot(nc['agent-a1'], 'probe', codec, { n: 666 }, 0, KEY)).rejects.toThrow(/Permissions Violation/);
      await serverLogged(`Publish Violation - Nkey "${key('agent-a1')}", Subject "$O.lbaas_snapshots.C.`);
      const m = await jsm('agent-a1');
      await apiRefused('agent-a1', m.streams.delete(EVENT_STREAM), `$JS.API.STREAM.DELETE.${EVENT_STREAM}`);
      await apiRefused('agent-a1', m.streams.update(EVENT_STREAM, { max_age: 1e9 }), `$JS.API.STREAM.UPDATE.${EVENT_STREAM}`);
      expect(await loadSnapshot(nc.operator, 'probe', codec, undefined, KEY)).toMatchObject({ view: { n: 7 } });
    });

    it('may not write any LB\'s history (raw or JetStream), nor another agent\'s reports: a stolen agent credential forges no desired state', async () => {
      const lbId = randomUUID();
      await publishRefused('agent-a1', subjects.stream('lb', lbId));
      await apiRefused('agent-a1', append('agent-a1', 'lb', lbId, 'ListenerCreated'), subjects.stream('lb', lbId));
      await apiRefused('agent-a1', append('agent-a1', 'lb', 'api-long', 'DesiredStateApplied'), subjects.stream('lb', 'api-long'));
      expect(await lastSeqOf(subjects.stream('lb', lbId))).toBe(0);
      const theirs: ReportSubject = { kind: 'lb', agentId: 'a2', lbId };
      await publishRefused('agent-a1', subjects.lbReport('a2', lbId));
      await apiRefused('agent-a1', report('agent-a1', theirs), subjects.lbReport('a2', lbId));
      await apiRefused('agent-a1', report('agent-a1', { kind: 'member', agentId: 'a2', lbId, memberId: 'm1' }), subjects.memberReport('a2', lbId, 'm1'));
      expect(await reportSeqOf(subjects.lbReport('a2', lbId))).toBe(0);
      // The api and the scheduler read reports but never write them.
      await apiRefused('api', report('api', { kind: 'lb', agentId: 'a1', lbId }), subjects.lbReport('a1', lbId));
      await apiRefused('scheduler', report('scheduler', { kind: 'lb', agentId: 'a1', lbId }), subjects.lbReport('a1', lbId));
      // Its own report subject works (the same call that was refused above, on a2's).
      expect(await report('agent-a1', { kind: 'lb', agentId: 'a1', lbId })).toBeGreaterThan(0);
    });
  });

  describe('auditor', () => {
    const audit = (durable: string) => new Promise<string>((done, fail) => execFile(process.execPath,
      [AUDIT_CONSUMER, '--durable', durable, '--exit-when-idle'], { env: { ...process.env, ...s.env('auditor') }, timeout: 30_000 },
      (e, out, err) => (e ? fail(new Error(`${e.message}\n${err}`)) : done(out))));

    it('reads the history through its own durable consumer (docs/examples/audit-consumer.js) and resumes after its acks', async () => {
      const first = (await audit('auditor')).trim().split('\n');
      expect(first.length).toBeGreaterThan(10);
      expect(JSON.parse(first[0])).toMatchObject({ seq: 1 });
      expect((await audit('auditor')).trim()).toBe('');
    });

    it('may read nothing else: no secrets, no direct gets, no other consumer; and nobody else may touch its durable', async () => {
      await apiRefused('auditor', nc.auditor.jetstream().views.kv(SECRETS_BUCKET), '$JS.API.INFO');
      const m = await jsm('auditor');
      await apiRefused('auditor', m.streams.info(EVENT_STREAM), `$JS.API.STREAM.INFO.${EVENT_STREAM}`);
      await apiRefused('auditor', m.streams.getMessage(`KV_${SECRETS_BUCKET}`, { last_by_subj: `$KV.${SECRETS_BUCKET}.>` }), `$JS.API.STREAM.MSG.GET.KV_${SECRETS_BUCKET}`);
      await apiRefused('auditor', m.consumers.add(EVENT_STREAM, { durable_name: 'other', filter_subject: subjects.allEvents }),
        `$JS.API.CONSUMER.CREATE.${EVENT_STREAM}.other.${subjects.allEvents}`);
      await publishRefused('auditor', subjects.stream('lb', 'x'));
      await apiRefused('api', (await jsm('api')).consumers.delete(EVENT_STREAM, 'auditor'), `$JS.API.CONSUMER.DELETE.${EVENT_STREAM}.auditor`);
      expect((await (await jsm('operator')).consumers.info(EVENT_STREAM, 'auditor')).name).toBe('auditor');
    });
  });
});
