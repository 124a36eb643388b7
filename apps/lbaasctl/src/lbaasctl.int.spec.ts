import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { subjects, type Actor, type Aggregate } from '@lbaas/contracts';
import { ensureEventStream, jetStreamEventStore } from '@lbaas/event-store';
import { renderHaproxyConfig } from '@lbaas/haproxy-config';
import { desiredStateFor, evolveCatalog, initialCatalog } from '@lbaas/projections';
import { natsServerPerFile } from '@lbaas/testing';

/** The built CLI (apps/lbaasctl/dist) as a process against real nats-servers, with a history made of the stored samples. */
const source = natsServerPerFile();
const target = natsServerPerFile();
const CLI = resolve(__dirname, '../dist/main.js');
const dir = mkdtempSync(join(tmpdir(), 'lbaasctl-int-'));
// The operator's MAC key (snapshots, backups), and an embedded home of its own: never the developer's .lbaas.
const KEY = Buffer.alloc(32, 5);
const keyFile = join(dir, 'mac.key');
writeFileSync(keyFile, KEY.toString('hex'), { mode: 0o600 });
const cliEnv = { ...process.env, LBAAS_MAC_KEY_FILE: keyFile, LBAAS_HOME: join(dir, 'home') };
const sample = (type: string) => JSON.parse(readFileSync(resolve(__dirname, `../../../libs/events/src/__samples__/${type}.v1.json`), 'utf8'));
const LB = sample('LoadBalancerCreated').data.lbId as string;
const alice: Actor = { kind: 'user', service: 'api', projectId: 'e3cd678b11784734bc366148aa37580e', userId: 'alice', roles: ['member'], requestId: 'req-1', clientAddress: '192.0.2.7', operation: 'POST /v2/lbaas/loadbalancers' };
const scheduler: Actor = { kind: 'service', service: 'scheduler' };

const cli = (args: string[], url: string) => new Promise<{ code: number; out: string; err: string }>((done) => {
  execFile(process.execPath, [CLI, ...args, '--nats', url], { timeout: 60_000, env: cliEnv }, (error, out, err) =>
    done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }));
});

const history: [Aggregate, string, string[], Actor][] = [
  ['agent', 'agent-a', ['AgentRegistered'], { kind: 'service', service: 'agent:agent-a' }],
  ['network', sample('NetworkCreated').data.networkId, ['NetworkCreated'], alice],
  ['subnet', sample('SubnetCreated').data.subnetId, ['SubnetCreated'], alice],
  ['lb', LB, ['LoadBalancerCreated'], alice],
  ['lb', LB, ['LoadBalancerPlaced'], scheduler],
  ['lb', LB, ['ListenerCreated'], alice],
  ['lb', LB, ['PoolCreated'], alice],
  ['lb', LB, ['MemberCreated'], alice],
];

beforeAll(async () => {
  await ensureEventStream(source.connection);
  const store = jetStreamEventStore(source.connection);
  const last = new Map<string, number>();
  for (const [i, [aggregate, id, types, actor]] of history.entries()) {
    const key = `${aggregate}.${id}`;
    const at = new Date(Date.UTC(2026, 2, 1, 12, i)).toISOString();
    last.set(key, await store.append({ aggregate, id }, { commitId: randomUUID(), at, actor, events: types.map(sample) }, last.get(key) ?? 0));
  }
}, 60_000);

describe('lbaasctl events', () => {
  it('prints the whole history, one line per event, with who, from where and why', async () => {
    const r = await cli(['events', '--quiet'], source.url);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines[3]).toBe(`#4  2026-03-01T12:03:00.000Z  lb/${LB}  LoadBalancerCreated v1  by e3cd678b11784734bc366148aa37580e/alice [member] req-1 from 192.0.2.7 POST /v2/lbaas/loadbalancers`);
    expect(lines[4]).toMatch(/LoadBalancerPlaced v1  by scheduler$/);
  });

  it('filters a load balancer tree by type and sequence range, as JSON lines', async () => {
    const r = await cli(['events', '--lb', LB, '--type', 'ListenerCreated,MemberCreated', '--from', '5', '--json', '--quiet'], source.url);
    expect(r.code).toBe(0);
    const commits = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(commits.map((c) => [c.seq, c.events[0].type])).toEqual([[6, 'ListenerCreated'], [8, 'MemberCreated']]);
    expect(commits[0].actor).toMatchObject({ userId: 'alice', clientAddress: '192.0.2.7' });
  });

  it('says clearly when a time range holds no events', async () => {
    const r = await cli(['events', '--from', '2030-01-01T00:00:00Z', '--quiet'], source.url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('no events in 2030-01-01T00:00:00.000Z .. …: the stream holds seq 1..8');
  });

  it('refuses an unknown option with the usage', async () => {
    const r = await cli(['events', '--porject', 'x'], source.url);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown option --porject');
  });
});

describe('lbaasctl state --at', () => {
  it('shows the trees as they were at a sequence, and at a time', async () => {
    const early = JSON.parse((await cli(['state', '--at', '6', '--json', '--quiet'], source.url)).out);
    expect(early.seq).toBe(6);
    expect(early.loadBalancers[0]).toMatchObject({ id: LB, agentId: 'agent-a', listeners: [{ protocolPort: 80 }], pools: [] });
    const byTime = JSON.parse((await cli(['state', '--at', '2026-03-01T12:03:30Z', '--json', '--quiet'], source.url)).out);
    expect(byTime.loadBalancers[0]).toMatchObject({ id: LB, agentId: null, provisioningStatus: 'PENDING_CREATE' });
    const now = (await cli(['state', '--quiet'], source.url)).out;
    expect(now).toContain('state as of seq 8: 1 load balancers');
    expect(now).toMatch(/member .* 192\.0\.2\.11:8080 weight 1/);
  });

  it('refuses a point before the first event', async () => {
    const r = await cli(['state', '--at', '2020-01-01T00:00:00Z', '--quiet'], source.url);
    expect(r.code).toBe(1);
    expect(r.err).toContain('nothing had happened by 2020-01-01T00:00:00.000Z');
  });
});

describe('lbaasctl dr export / import', () => {
  const file = join(dir, 'backup.jsonl');
  it('exports to a checksummed file and imports it into an empty store on another NATS', async () => {
    const ex = await cli(['dr', 'export', '--file', file, '--json'], source.url);
    expect(ex.code).toBe(0);
    expect(JSON.parse(ex.out)).toMatchObject({ count: 8, lastSeq: 8, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(ex.err).toContain('exported 8/8 (100%)');
    const im = await cli(['dr', 'import', '--file', file], target.url);
    expect(im.code).toBe(0);
    expect(im.out).toContain('imported 8 messages (seq 1..8');
    expect(im.out).toContain('restore marker at seq 9');
    const lines = (text: string) => text.trim().split('\n');
    expect(lines((await cli(['events', '--json', '--quiet'], target.url)).out).slice(0, 8)).toEqual(lines((await cli(['events', '--json', '--quiet'], source.url)).out));
    const status = JSON.parse((await cli(['status', '--json'], target.url)).out);
    expect(status.stream).toMatchObject({ state: 'present', messages: 9, lastSeq: 9, restore: { lastSeq: 8 } });
  });

  it('refuses to import into a store that is not empty, and into nothing on a corrupt file', async () => {
    const again = await cli(['dr', 'import', '--file', file], target.url);
    expect(again.code).toBe(1);
    expect(again.err).toContain('already holds 9 messages');
    expect(again.err).toContain('the store is untouched');
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, readFileSync(file, 'utf8').replace('alice', 'mallory'));
    const r = await cli(['dr', 'import', '--file', bad], target.url);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/checksum .* does not match/);
  });

  it('refuses a backup signed with another key, and restores with `dr restore --nats` into an empty NATS', async () => {
    const other = join(dir, 'other.key');
    writeFileSync(other, Buffer.alloc(32, 6).toString('hex'), { mode: 0o600 });
    const forged = await cli(['dr', 'restore', '--file', file, '--mac-key-file', other], target.url);
    expect(forged.code).toBe(1);
    expect(forged.err).toContain('does not verify');
    const jsm = await target.connection.jetstreamManager();
    await jsm.streams.delete('LBAAS_EVENTS');
    const r = await cli(['dr', 'restore', '--file', file, '--json', '--quiet'], target.url);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ count: 8, markerSeq: 9, next: expect.stringContaining('start the apps') });
    expect((await jsm.streams.info('LBAAS_EVENTS')).config).toMatchObject({ deny_delete: true, deny_purge: true });
  });
});

describe('lbaasctl dr drill', () => {
  it('reports drift when the hosting agent does not answer', async () => {
    const r = await cli(['dr', 'drill', '--quiet', '--timeout-ms', '300'], source.url);
    expect(r.code).toBe(3);
    expect(r.out).toContain(`DRIFT ${LB} on agent-a: agent agent-a did not answer`);
    expect(r.out).toContain('drift: 1 of 1 load balancers differ from their history');
  });

  it('is clean when the agent reports the digest of the config the history renders', async () => {
    const catalog = initialCatalog();
    const { runProjection } = await import('@lbaas/event-store');
    const p = await runProjection(source.connection, { onCommit: (c) => evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]) });
    await p.stop();
    const d = desiredStateFor(catalog, 'agent-a', { physnet1: 'br-ex' }).loadBalancers[0];
    const digest = createHash('sha256').update(renderHaproxyConfig(d, { statsSocket: '/run/x/s.sock', maxconnCap: 4096 })).digest('hex');
    // A stand-in agent on the wire (Nest's request/reply format), answering what a converged agent answers.
    const subject = subjects.agentQuery('agent-a', 'digest');
    const nc = await source.connect();
    nc.subscribe(subject, { callback: (_e, m) => {
      const { id } = JSON.parse(m.string());
      m.respond(JSON.stringify({ id, isDisposed: true, response: { agentId: 'agent-a', maxconnCap: 4096, loadBalancers: {
        [LB]: { version: d.version, epoch: 1, config: digest, loaded: digest, running: true, addresses: ['198.51.100.10/24'], pid: 1, statsSocket: '/run/x/s.sock' },
      } } }));
    } });
    const r = await cli(['dr', 'drill', '--json', '--quiet'], source.url);
    expect(JSON.parse(r.out)).toMatchObject({ clean: true, loadBalancers: [{ lbId: LB, ok: true, problems: [] }], unreadableCommits: [] });
    expect(r.code).toBe(0);
    await nc.close();
  });

  it('lists the commits no reader can decode, and names an agent that refuses the stream', async () => {
    const nc = await target.connect(); // the restored copy: the source's history stays as the tests below expect it
    nc.subscribe(subjects.agentQuery('agent-a', 'digest'), { callback: (_e, m) => {
      const { id } = JSON.parse(m.string());
      m.respond(JSON.stringify({ id, isDisposed: true, response: { agentId: 'agent-a', loadBalancers: {},
        stream: { trusted: false, problem: 'foreign', message: 'LBAAS_EVENTS is stream x, not y', streamId: 'y' } } }));
    } });
    const bad = await target.connection.jetstream().publish(`lbaas.evt.lb.${LB}`, 'not a commit');
    const r = await cli(['dr', 'drill', '--quiet'], target.url);
    expect(r.code).toBe(3);
    expect(r.out).toContain('REFUSED agent agent-a refuses the event stream (foreign): LBAAS_EVENTS is stream x, not y');
    expect(r.out).toContain(`warning: unreadable commit at seq ${bad.seq} on lbaas.evt.lb.${LB} is skipped by every reader: not UTF-8 JSON`);
    await nc.close();
  });
});

describe('docs/examples/audit-consumer.js', () => {
  const consumer = resolve(__dirname, '../../../docs/examples/audit-consumer.js');
  const run = (args: string[]) => new Promise<string>((done, fail) =>
    execFile(process.execPath, [consumer, '--nats', source.url, ...args, '--exit-when-idle'], { timeout: 30_000 }, (e, out) => (e ? fail(e) : done(out))));
  it('reads the history through a durable consumer, and resumes after what it acked', async () => {
    const first = (await run(['--durable', 'auditor-int'])).trim().split('\n').map((l) => JSON.parse(l));
    expect(first.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(first[3]).toMatchObject({ type: 'LoadBalancerCreated', actor: { userId: 'alice', clientAddress: '192.0.2.7' } });
    expect((await run(['--durable', 'auditor-int'])).trim()).toBe('');
    // --since is the time the stream stored a message (JetStream's by_start_time), not the commit's `at`.
    expect((await run(['--durable', 'auditor-later', '--since', new Date(Date.now() + 3_600_000).toISOString()])).trim()).toBe('');
    expect((await run(['--durable', 'auditor-earlier', '--since', '2000-01-01T00:00:00Z'])).trim().split('\n')).toHaveLength(8);
  });
});

describe('lbaasctl snapshot', () => {
  it('stores a Catalog snapshot that, resumed, equals a full replay; a corrupt one is refused', async () => {
    const { loadSnapshot, putSnapshotBytes, runProjection } = await import('@lbaas/event-store');
    const { CATALOG_SNAPSHOT, catalogCodec } = await import('@lbaas/projections');
    const r = await cli(['snapshot', '--json', '--quiet'], source.url);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ seq: 8 });
    const full = initialCatalog();
    await (await runProjection(source.connection, { onCommit: (c) => evolveCatalog(full, c as Parameters<typeof evolveCatalog>[1]) })).stop();
    const snap = await loadSnapshot(source.connection, CATALOG_SNAPSHOT, catalogCodec, undefined, KEY);
    if (!('view' in snap)) throw new Error(snap.reason);
    await (await runProjection(source.connection, { startAfter: snap.seq, onCommit: (c) => evolveCatalog(snap.view, c as Parameters<typeof evolveCatalog>[1]) })).stop();
    expect(snap.view).toEqual(full);
    await putSnapshotBytes(source.connection, CATALOG_SNAPSHOT, new TextEncoder().encode('{"format":"lbaas-snapshot"}'));
    expect(await loadSnapshot(source.connection, CATALOG_SNAPSHOT, catalogCodec, undefined, KEY)).toMatchObject({ miss: 'corrupt' });
    // Without the operator's key lbaasctl writes no snapshot.
    const nokey = await new Promise<{ code: number; err: string }>((done) => execFile(process.execPath, [CLI, 'snapshot', '--nats', source.url],
      { env: { ...process.env, LBAAS_HOME: join(dir, 'home') } }, (e, _o, err) => done({ code: e ? Number(e.code) : 0, err })));
    expect(nokey.code).toBe(2);
    expect(nokey.err).toContain('no operator MAC key');
  });
});

// Last: it appends a commit (seq 9), which the tests above do not expect.
describe('lbaasctl events --follow', () => {
  it('prints the history, then new commits as they come, until SIGINT', async () => {
    const { spawn } = await import('node:child_process');
    const p = spawn(process.execPath, [CLI, 'events', '--follow', '--quiet', '--type', 'AgentDeclaredUp', '--nats', source.url]);
    let out = '';
    p.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    const exited = new Promise<number | null>((r) => p.on('exit', (code) => r(code)));
    await new Promise((r) => setTimeout(r, 1500));
    const store = jetStreamEventStore(source.connection);
    const { seq } = await store.read({ aggregate: 'agent', id: 'agent-a' });
    await store.append({ aggregate: 'agent', id: 'agent-a' }, { commitId: randomUUID(), at: new Date().toISOString(), actor: scheduler,
      events: [{ type: 'AgentDeclaredUp', v: 1, data: { agentId: 'agent-a', at: new Date().toISOString() } }] }, seq);
    for (let i = 0; i < 50 && !out.includes('AgentDeclaredUp'); i++) await new Promise((r) => setTimeout(r, 100));
    p.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/^#9 .* agent\/agent-a  AgentDeclaredUp v1  by scheduler\n$/);
  });
});
