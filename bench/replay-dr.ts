/**
 * Replay and disaster-recovery benchmark (issue 5). A synthetic but realistic history: 1,000 load balancers, each
 * created, placed, built top-down (listener, pool, 4 members, monitor, each applied) with member status reports.
 *   sudo node bench/run.js bench/replay-dr.ts [lbs=1000]
 * Measures: replay rate into the Catalog; restart-to-ready of the api and of an agent (process spawn → "ready" log
 * line) with and without a Catalog snapshot, and with a corrupt one; dr export and import of 100,000 events.
 * The agent's load balancers are placed on another (absent) agent, so its restart measures replay, not netns work.
 * Prints the figures and writes bench/reports/replay-dr-<time>.json.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EVENT_STREAM, subjects, type Commit } from '@lbaas/contracts';
import {
  ensureEventStream, exportEventStream, importEventStream, putSnapshotBytes, runProjection, saveSnapshot,
} from '@lbaas/event-store';
import { CATALOG_SNAPSHOT, catalogCodec, evolveCatalog, initialCatalog } from '@lbaas/projections';
import { startAppProcess, startNatsServer, type NatsServer } from '@lbaas/testing';
import { connect, type NatsConnection } from 'nats';

const LBS = Number(process.argv[2] ?? 1000);
const ROOT = resolve(__dirname, '..');
const sample = (type: string) => JSON.parse(readFileSync(join(ROOT, `libs/events/src/__samples__/${type}.v1.json`), 'utf8'));
const actor = { kind: 'user' as const, service: 'api', projectId: 'bench', userId: 'bench', roles: ['member'], requestId: 'req-bench', clientAddress: '127.0.0.1', operation: 'POST /bench' };
const enc = new TextEncoder();

/** Publishes commits pipelined in windows of 256 (a bench writes synthetic history; the OCC path is measured elsewhere). */
async function publishAll(nc: NatsConnection, commits: { subject: string; commit: Commit }[]) {
  const js = nc.jetstream({ timeout: 30_000 });
  for (let i = 0; i < commits.length; i += 256) {
    await Promise.all(commits.slice(i, i + 256).map(({ subject, commit }) => js.publish(subject, enc.encode(JSON.stringify(commit)), { msgID: commit.commitId })));
  }
}

const at = () => new Date().toISOString();
const commitOf = (subject: string, events: object[]) => ({ subject, commit: { commitId: randomUUID(), at: at(), actor, events } as unknown as Commit });

const built: { lbId: string; poolId: string; members: string[] }[] = [];

/** ~25 commits per load balancer: the build-up with applies, then member status reports. */
function history(lbs: number): { subject: string; commit: Commit }[] {
  const out = [commitOf(subjects.stream('agent', 'agent-x'), [{ ...sample('AgentRegistered'), data: { ...sample('AgentRegistered').data, agentId: 'agent-x' } }]),
    commitOf(subjects.stream('network', sample('NetworkCreated').data.networkId), [sample('NetworkCreated')]),
    commitOf(subjects.stream('subnet', sample('SubnetCreated').data.subnetId), [sample('SubnetCreated')])];
  for (let i = 0; i < lbs; i++) {
    const lbId = randomUUID();
    const s = subjects.stream('lb', lbId);
    let version = 0;
    const ev = (type: string, data: object) => ({ type, v: 1, data: { ...sample(type).data, lbId, ...data, at: at() } });
    const applied = () => commitOf(s, [ev('DesiredStateApplied', { agentId: 'agent-x', epoch: 1, version })]);
    const step = (type: string, data: object) => { version++; out.push(commitOf(s, [ev(type, data)]), applied()); };
    step('LoadBalancerCreated', { vipAddress: `10.${(i >> 8) & 255}.${i & 255}.10` });
    version++;
    out.push(commitOf(s, [ev('LoadBalancerPlaced', { agentId: 'agent-x', epoch: 1 })]));
    const listenerId = randomUUID();
    const poolId = randomUUID();
    step('ListenerCreated', { listenerId });
    step('PoolCreated', { poolId, listenerId });
    const members = [1, 2, 3, 4].map(() => randomUUID());
    members.forEach((memberId, k) => step('MemberCreated', { poolId, memberId, address: `192.0.2.${k + 1}` }));
    step('HealthMonitorCreated', { poolId, healthMonitorId: randomUUID() });
    built.push({ lbId, poolId, members });
    for (let k = 0; k < 8; k++) out.push(commitOf(s, [ev('MemberOperatingStatusChanged', { poolId, memberId: members[k % 4], agentId: 'agent-x', epoch: 1, status: k % 2 ? 'ONLINE' : 'ERROR' })]));
  }
  return out;
}

/** More member status reports on the existing trees until the stream holds `total` commits. */
function filler(total: number, have: number): { subject: string; commit: Commit }[] {
  return Array.from({ length: Math.max(0, total - have) }, (_, k) => {
    const { lbId, poolId, members } = built[k % built.length];
    return commitOf(subjects.stream('lb', lbId), [{ type: 'MemberOperatingStatusChanged', v: 1, data: { lbId, poolId, memberId: members[k % 4], agentId: 'agent-x', epoch: 1, status: k % 2 ? 'ONLINE' : 'ERROR', at: at() } }]);
  });
}

async function replayRate(nc: NatsConnection) {
  const catalog = initialCatalog();
  const t0 = performance.now();
  const p = await runProjection(nc, { onCommit: (c) => evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]) });
  const ms = performance.now() - t0;
  await p.stop();
  return { commits: catalog.seq, ms: Math.round(ms), perSecond: Math.round(catalog.seq / (ms / 1000)), catalog };
}

/** The operator's MAC key of this run (snapshots and backups are HMAC-signed; apps verify snapshots with it). */
const KEY = Buffer.alloc(32, 9);
const keyFile = (home: string) => {
  const f = join(home, 'mac.key');
  writeFileSync(f, KEY.toString('hex'), { mode: 0o600 });
  return f;
};

async function restart(app: 'api' | 'agent', nats: NatsServer, home: string): Promise<number> {
  const env: Record<string, string> = { LBAAS_MAC_KEY_FILE: keyFile(home), ...(app === 'api'
    ? { NATS_URL: nats.url, API_HOST: '127.0.0.1', API_PORT: String(20000 + Math.floor(Math.random() * 20000)), DEFAULT_PROJECT_ID: 'bench', AUTH_STRATEGY: 'noauth', LOG_LEVEL: 'info' }
    : { NATS_URL: nats.url, AGENT_ID: 'bench-a', BRIDGE_MAPPINGS: 'physnet9:brbench', STATE_DIR: join(home, 'agent'), RUN_DIR: '/run/lbaas-bench/a', LOG_LEVEL: 'info' }) };
  const t0 = performance.now();
  const p = await startAppProcess({ name: app, command: [process.execPath, join(ROOT, 'apps', app, 'dist', 'main.js')], env, logFile: join(home, `${app}.log`), startTimeoutMs: 120_000 });
  const ms = performance.now() - t0;
  await p.stop();
  return Math.round(ms);
}

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'lbaas-bench-dr-'));
  const nats = await startNatsServer();
  const nc = await connect({ servers: nats.url });
  const report: Record<string, unknown> = { lbs: LBS, at: new Date().toISOString() };
  try {
    await ensureEventStream(nc);
    const gen = history(LBS);
    let t0 = performance.now();
    await publishAll(nc, gen);
    report.write = { commits: gen.length, ms: Math.round(performance.now() - t0) };
    console.log(`history: ${gen.length} commits for ${LBS} load balancers written in ${(report.write as { ms: number }).ms} ms`);

    // 1. Replay rate into the projections.
    const r = await replayRate(nc);
    report.replay = { commits: r.commits, ms: r.ms, perSecond: r.perSecond };
    console.log(`replay into the Catalog: ${r.commits} commits in ${r.ms} ms = ${r.perSecond} commits/s (${r.catalog.loadBalancers.lbs.size} LBs)`);

    // 2. Restart to ready, api and agent: no snapshot, a fresh snapshot, a corrupt one.
    const restarts: Record<string, Record<string, number>> = { api: {}, agent: {} };
    const root = process.getuid?.() === 0;
    for (const app of ['api', 'agent'] as const) {
      if (app === 'agent' && !root) { console.log('agent restart: skipped (needs root)'); continue; }
      await putSnapshotBytes(nc, CATALOG_SNAPSHOT, enc.encode('missing'));
      restarts[app].corruptSnapshot = await restart(app, nats, home);
      // The api saves a snapshot itself after a long replay; make the "none" case honest by breaking it again.
      await putSnapshotBytes(nc, CATALOG_SNAPSHOT, enc.encode('x'));
      restarts[app].noSnapshot = await restart(app, nats, home);
      const fresh = await replayRate(nc);
      t0 = performance.now();
      const bytes = await saveSnapshot(nc, CATALOG_SNAPSHOT, catalogCodec, fresh.catalog, fresh.catalog.seq, KEY);
      restarts[app].snapshotSaveMs = Math.round(performance.now() - t0);
      restarts[app].snapshotBytes = bytes;
      restarts[app].withSnapshot = await restart(app, nats, home);
      console.log(`${app} restart to ready: no snapshot ${restarts[app].noSnapshot} ms, corrupt snapshot ${restarts[app].corruptSnapshot} ms, with snapshot ${restarts[app].withSnapshot} ms (snapshot ${bytes} bytes, saved in ${restarts[app].snapshotSaveMs} ms)`);
    }
    report.restart = restarts;

    // 3. Export and import of 100,000 events.
    const have = (await (await nc.jetstreamManager()).streams.info(EVENT_STREAM)).state.messages;
    const more = filler(100_000, have);
    await publishAll(nc, more);
    const r100 = await replayRate(nc);
    report.replay100k = { commits: r100.commits, ms: r100.ms, perSecond: r100.perSecond };
    console.log(`replay of ${r100.commits} commits: ${r100.ms} ms = ${r100.perSecond} commits/s`);
    const file = join(home, 'backup.jsonl');
    let text = '';
    t0 = performance.now();
    const ex = await exportEventStream(nc, (l) => { text += l; }, { now: at(), key: KEY });
    writeFileSync(file, text);
    const exportMs = Math.round(performance.now() - t0);
    const target = await startNatsServer();
    const tnc = await connect({ servers: target.url });
    t0 = performance.now();
    const im = await importEventStream(tnc, readFileSync(file, 'utf8'), { key: KEY });
    const importMs = Math.round(performance.now() - t0);
    await tnc.close();
    await target.stop();
    report.backup = { messages: ex.count, bytes: statSync(file).size, exportMs, importMs, imported: im.count };
    console.log(`dr export of ${ex.count} messages: ${exportMs} ms (${statSync(file).size} bytes); dr import into a fresh NATS: ${importMs} ms`);
  } finally {
    await nc.close();
    await nats.stop();
    rmSync(home, { recursive: true, force: true });
  }
  mkdirSync(join(ROOT, 'bench/reports'), { recursive: true });
  const out = join(ROOT, 'bench/reports', `replay-dr-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`report: ${out}`);
}

main().catch((err: unknown) => { console.error(err); process.exit(1); });
