import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { bootstrapEventStore, runProjection, type StoredCommit } from '@lbaas/event-store';
import { canUseNetns, createBridge, freePort, netnsRunId, removeLinks, startAppProcess, startNatsCluster, type AppProcess, type NatsCluster } from '@lbaas/testing';
import { sample, scrape } from './support/metrics';

/**
 * The event store on a real 3-node JetStream cluster, started from the deploy/nats configs (identities, TLS, route
 * auth): the stream at R3 created by the operator, two api replicas, the scheduler, the failover-watcher and two
 * agents connected to all three nodes with their own identities. Clients write all the time (network creates and
 * deletes, quota updates, member creates, updates and deletes on a live load balancer) through both replicas while
 * the stream leader is killed with kill -9, three times, and then every node is restarted in lame-duck mode.
 * Every acknowledged (2xx) write must be in the stream afterwards, once, in the order it was acknowledged; no
 * request may get a 500 (a 503 must carry Retry-After); writes resume on their own; the rolling restart fails
 * no request at all. Prints the write stall per leader kill and what the api answered meanwhile.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/nats-cluster.e2e.spec.ts needs root (agents build namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const entry = (app: string) => join(ROOT, 'apps', app, 'dist', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One HTTP request as the clients saw it. */
type Req = {
  loop: string; method: string; path: string; replica: number; status: number; requestId: string | null; retryAfter: string | null;
  t0: number; t1: number; error?: string; write: boolean;
};

maybe('the event store on a 3-node JetStream cluster, under writes, through leader kills and a rolling restart', () => {
  const id = netnsRunId();
  const home = mkdtempSync(join(tmpdir(), `lbaas-cluster-e2e-${id}-`));
  const agents = [`cl${id}-a`, `cl${id}-b`];
  const bridge = `brcl${id}`;
  const physnet = `phys-${id}`;
  const prefix = `10.247.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  const project = `cl-${id}`;
  let cluster: NatsCluster;
  const procs = new Map<string, AppProcess>();
  const apiUrls: string[] = [];
  const metricsPorts = new Map<string, number>();
  const reqs: Req[] = [];
  const ids: { subnet?: string; lb?: string; pool?: string } = {};
  let writing = false;
  let loops: Promise<void>[] = [];

  const request = async (loop: string, replica: number, method: string, path: string, body?: unknown): Promise<Req> => {
    const t0 = performance.now();
    const r: Req = { loop, method, path, replica, status: 0, requestId: null, retryAfter: null, t0, t1: t0, write: method !== 'GET' };
    try {
      const res = await fetch(apiUrls[replica % apiUrls.length] + path, {
        method, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000),
        headers: { 'content-type': 'application/json', 'x-project-id': project },
      });
      r.status = res.status;
      r.requestId = res.headers.get('x-openstack-request-id');
      r.retryAfter = res.headers.get('retry-after');
      const text = await res.text();
      (r as Req & { body?: unknown }).body = text ? JSON.parse(text) : null;
    } catch (err) {
      r.error = String(err);
    }
    r.t1 = performance.now();
    reqs.push(r);
    return r;
  };
  const bodyOf = (r: Req) => (r as Req & { body?: any }).body;
  const ok = (r: Req) => r.status >= 200 && r.status < 300;

  /** The three client loops; each is sequential (its acknowledgements are ordered), alternating replicas. */
  const startLoops = () => {
    writing = true;
    let turn = 0;
    const next = () => turn++;
    const networks = async () => {
      for (let n = 0; writing; n++) {
        const c = await request('networks', next(), 'POST', '/v2.0/networks', { network: { name: `cl-${n}`, 'provider:physical_network': `cl-${id}-${n}`, 'provider:network_type': 'flat' } });
        if (!ok(c)) { await sleep(200); continue; }
        for (;;) { // delete what was created, until acknowledged (a 503'd delete may have landed: then 404)
          const d = await request('networks', next(), 'DELETE', `/v2.0/networks/${bodyOf(c).network.id}`);
          if (ok(d) || d.status === 404 || !writing) break;
          await sleep(200);
        }
      }
    };
    const quotas = async () => {
      for (let n = 0; writing; n++) {
        const q = await request('quotas', next(), 'PUT', `/v2/lbaas/quotas/${project}`, { quota: { member: 1000 + n } });
        if (!ok(q)) await sleep(200);
      }
    };
    const waitActive = async () => {
      for (;;) {
        const g = await request('members', next(), 'GET', `/v2/lbaas/loadbalancers/${ids.lb}`);
        if (ok(g) && bodyOf(g).loadbalancer.provisioning_status === 'ACTIVE') return;
        if (!writing) return;
        await sleep(100);
      }
    };
    const members = async () => {
      for (let n = 0; writing; n++) {
        await waitActive();
        const c = await request('members', next(), 'POST', `/v2/lbaas/pools/${ids.pool}/members`, { member: { address: `${prefix}.${20 + (n % 200)}`, protocol_port: 8080 } });
        if (!ok(c)) { await sleep(200); continue; }
        const memberId = bodyOf(c).member.id as string;
        for (const step of ['PUT', 'DELETE'] as const) {
          for (;;) {
            await waitActive();
            const r = await request('members', next(), step, `/v2/lbaas/pools/${ids.pool}/members/${memberId}`, step === 'PUT' ? { member: { weight: 2 + (n % 200) } } /* never the default 1: a PUT that changes nothing writes nothing */ : undefined);
            if (ok(r) || (step === 'DELETE' && r.status === 404) || !writing) break;
            await sleep(200);
          }
        }
      }
    };
    loops = [networks(), quotas(), members()];
  };
  const stopLoops = async () => { writing = false; await Promise.all(loops); };

  /** Every commit in the stream, read as the operator. */
  const allCommits = async (): Promise<StoredCommit[]> => {
    const nc = await cluster.connect('operator');
    const commits: StoredCommit[] = [];
    const p = await runProjection(nc, { onCommit: (c) => commits.push(c) });
    await p.stop();
    return commits;
  };

  /** No request failed in a way it must not: no 500 (or other 5xx but a 503 with Retry-After), no dropped connection. */
  const badAnswers = (rs: Req[]) => rs.filter((r) => r.error || r.status >= 500 && !(r.status === 503 && r.retryAfter) || (r.status >= 400 && ![404, 409, 503].includes(r.status)));

  const startApp = async (name: string, app: string, identity: string, env: Record<string, string>) => {
    const port = await freePort();
    metricsPorts.set(name, port);
    const p = await startAppProcess({
      name, command: [process.execPath, entry(app)], logFile: join(home, `${name}.log`), startTimeoutMs: 90_000,
      env: { ...cluster.env(identity), LOG_LEVEL: 'info', METRICS_PORT: String(port), ...env },
    });
    procs.set(name, p);
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ agents });
    await bootstrapEventStore(await cluster.connect('operator'), { replicas: 3 }); // the operator's step, at R3
    await cluster.waitForReplicasCurrent();
    await createBridge(bridge);
    await run('ip', ['addr', 'add', `${prefix}.1/24`, 'dev', bridge]);
    for (const i of [1, 2]) {
      const port = await freePort();
      apiUrls.push(`http://127.0.0.1:${port}`);
      await startApp(`api-${i}`, 'api', 'api', { API_HOST: '127.0.0.1', API_PORT: String(port), DEFAULT_PROJECT_ID: project, INSTANCE_ID: `api-${i}` });
    }
    await startApp('scheduler', 'scheduler', 'scheduler', {});
    await startApp('failover-watcher', 'failover-watcher', 'failover-watcher', {});
    for (const a of agents) {
      await startApp(a, 'agent', `agent-${a}`, {
        AGENT_ID: a, HOST_NAME: `host-${a}`, BRIDGE_MAPPINGS: `${physnet}:${bridge}`, STATE_DIR: join(home, 'agents', a), RUN_DIR: `/run/lbaas-e2e/${a}`,
      });
    }
    // A load balancer with a listener and a pool, the target of the member loop.
    const net = await request('setup', 0, 'POST', '/v2.0/networks', { network: { name: 'cl', 'provider:physical_network': physnet, 'provider:network_type': 'flat' } });
    const sub = await request('setup', 1, 'POST', '/v2.0/subnets', { subnet: { network_id: bodyOf(net).network.id, cidr: `${prefix}.0/24`, ip_version: 4, gateway_ip: `${prefix}.1` } });
    ids.subnet = bodyOf(sub).subnet.id;
    const lb = await request('setup', 0, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'cl', vip_subnet_id: ids.subnet } });
    ids.lb = bodyOf(lb).loadbalancer.id;
    const active = async () => {
      for (let i = 0; i < 300; i++) {
        const g = await request('setup', i, 'GET', `/v2/lbaas/loadbalancers/${ids.lb}`);
        if (bodyOf(g)?.loadbalancer?.provisioning_status === 'ACTIVE') return;
        await sleep(100);
      }
      throw new Error('the load balancer did not become ACTIVE');
    };
    await active();
    const lis = await request('setup', 1, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80 } });
    await active();
    const pool = await request('setup', 0, 'POST', '/v2/lbaas/pools', { pool: { listener_id: bodyOf(lis).listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    ids.pool = bodyOf(pool).pool.id;
    await active();
    expect(reqs.filter((r) => r.write && !ok(r))).toEqual([]);
  }, 300_000);

  afterAll(async () => {
    writing = false;
    await Promise.all(loops).catch(() => undefined);
    for (const a of agents) await procs.get(a)?.stop();
    for (const a of agents) {
      await run(process.execPath, [entry('agent'), '--cleanup'], {
        env: { ...process.env, AGENT_ID: a, NATS_URL: 'nats://127.0.0.1:1', BRIDGE_MAPPINGS: `${physnet}:${bridge}`, STATE_DIR: join(home, 'agents', a), RUN_DIR: `/run/lbaas-e2e/${a}` },
      }).catch(() => undefined);
    }
    for (const [, p] of procs) await p.stop();
    await cluster?.stop();
    await removeLinks(bridge);
    if (!process.env.KEEP_E2E_LOGS) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  const show = (r: Req) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/g, ':id')} on api-${(r.replica % apiUrls.length) + 1} ${r.status || r.error} in ${Math.round(r.t1 - r.t0)} ms`;

  /** Every acknowledged write is in the stream exactly once, and each loop's acknowledgements are in stream order. */
  const verifyAcknowledged = async (rs: Req[]) => {
    const commits = await allCommits();
    const byRequest = new Map<string, number[]>();
    for (const c of commits) if (c.actor.requestId) byRequest.set(c.actor.requestId, [...byRequest.get(c.actor.requestId) ?? [], c.seq]);
    const acked = rs.filter((r) => r.write && ok(r) && r.loop !== 'setup');
    const missing = acked.filter((r) => (byRequest.get(r.requestId as string) ?? []).length !== 1);
    expect(missing.map((r) => `${r.method} ${r.path} ${r.status} ${r.requestId}`)).toEqual([]);
    for (const loop of ['networks', 'quotas', 'members']) {
      const seqs = acked.filter((r) => r.loop === loop).map((r) => (byRequest.get(r.requestId as string) as number[])[0]);
      expect(seqs.length).toBeGreaterThan(0);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1])).toBe(true); // acknowledged in the order they are stored
    }
    return { acked: acked.length, commits: commits.length };
  };

  it('kill -9 of the stream leader, three times: every acknowledged write is kept, in order; no 500; writes resume on their own', async () => {
    startLoops();
    const rounds: { leader: string; stallMs: number; inFlightMaxMs: number; unavailable: number; slowest2xxMs: number; newLeaderMs: number }[] = [];
    try {
      for (let round = 1; round <= 3; round++) {
        await sleep(3_000);
        const leader = await cluster.streamLeader();
        const killedAt = performance.now();
        await cluster.kill(leader);
        const newLeader = await cluster.streamLeader(undefined, 30_000);
        const newLeaderMs = Math.round(performance.now() - killedAt);
        // the first acknowledged write begun after the kill
        for (;;) {
          if (reqs.some((r) => r.write && ok(r) && r.t0 > killedAt)) break;
          if (performance.now() - killedAt > 60_000) throw new Error('writes did not resume within 60 s of the leader kill');
          await sleep(50);
        }
        const first = reqs.filter((r) => r.write && ok(r) && r.t0 > killedAt).sort((a, b) => a.t1 - b.t1)[0];
        const window = reqs.filter((r) => r.t1 > killedAt && r.t0 < first.t1);
        rounds.push({
          leader, newLeaderMs, stallMs: Math.round(first.t1 - killedAt),
          inFlightMaxMs: Math.round(Math.max(0, ...window.map((r) => r.t1 - r.t0))),
          unavailable: window.filter((r) => r.status === 503).length,
          slowest2xxMs: Math.round(Math.max(0, ...window.filter(ok).map((r) => r.t1 - r.t0))),
        });
        try {
          expect(newLeader).not.toBe(leader);
          // meanwhile the killed node refuses connections: the apps' connections to it moved to the others
        } finally {
          await cluster.start(leader);
        }
        await cluster.waitForReplicasCurrent(undefined, 60_000);
      }
      await sleep(2_000);
    } finally {
      await stopLoops();
    }
    const writes = reqs.filter((r) => r.write && r.loop !== 'setup');
    console.log(`stream leader killed 3 times (kill -9): ${rounds.map((r) => `new leader after ${r.newLeaderMs} ms, first acknowledged write begun after the kill done ${r.stallMs} ms after it; `
      + `meanwhile ${r.unavailable} answers 503 (Retry-After), slowest 2xx ${r.slowest2xxMs} ms`).join(' | ')}. `
      + `${writes.length} writes: ${writes.filter(ok).length} 2xx, ${writes.filter((r) => r.status === 503).length} 503, ${writes.filter((r) => r.status === 409).length} 409`);
    expect(badAnswers(reqs)).toEqual([]);
    expect(reqs.filter((r) => r.status === 503).every((r) => r.retryAfter === '2')).toBe(true);
    const v = await verifyAcknowledged(reqs);
    console.log(`leader kills: ${v.acked} acknowledged writes, every one stored once and in order (${v.commits} commits in the stream)`);
    for (const r of rounds) expect(r.stallMs).toBeLessThan(30_000);
    // the clients' connections noticed: reconnects are counted
    let reconnects = 0;
    for (const [, port] of metricsPorts) reconnects += sample(await scrape(port), 'lbaas_nats_connection_events_total', { event: 'reconnect' }) ?? 0;
    expect(reconnects).toBeGreaterThan(0);
  }, 600_000);

  it('a lame-duck rolling restart of all three nodes loses no write and fails no request', async () => {
    const from = reqs.length;
    startLoops();
    const gaps: number[] = [];
    try {
      await sleep(2_000);
      for (const node of cluster.nodes.map((n) => n.name)) {
        const t0 = performance.now();
        await cluster.lameDuckRestart(node);
        await cluster.waitForReplicasCurrent(undefined, 60_000);
        const acks = reqs.filter((r) => r.write && ok(r) && r.t1 >= t0).map((r) => r.t1).sort((a, b) => a - b);
        gaps.push(Math.round(Math.max(0, ...acks.slice(1).map((t, i) => t - acks[i]))));
      }
      await sleep(2_000);
    } finally {
      await stopLoops();
    }
    const mine = reqs.slice(from);
    const writes = mine.filter((r) => r.write);
    console.log(`lame-duck rolling restart: longest gap between acknowledged writes per node ${gaps.join(', ')} ms; `
      + `${writes.length} writes (${writes.filter(ok).length} 2xx, ${writes.filter((r) => r.status === 409).length} 409 while the LB was PENDING, ${writes.filter((r) => r.status >= 500).length} 5xx); `
      + `slowest requests ${[...mine].sort((a, b) => (b.t1 - b.t0) - (a.t1 - a.t0)).slice(0, 3).map(show).join('; ')}`);
    // No failed request at all: no 5xx (not even a 503 with Retry-After), no error without an answer, nothing lost.
    // (A 503 here used to be an aggregate read answered by a follower still catching up after its restart: reads
    // that decide now ask the stream leader, libs/event-store read-aggregate.ts.) A 409 is the LB being PENDING_UPDATE
    // under the member loop's own writes. No 404 either: with no failed delete there is no retried one.
    expect(mine.filter((r) => r.error || r.status >= 500 || (r.status >= 400 && r.status !== 409)).map(show)).toEqual([]);
    await verifyAcknowledged(reqs);
    // everything converged: the load balancer is ACTIVE again, the stream has its three replicas
    const g = await request('check', 0, 'GET', `/v2/lbaas/loadbalancers/${ids.lb}`);
    expect(['ACTIVE', 'PENDING_UPDATE']).toContain(bodyOf(g).loadbalancer.provisioning_status);
    // every app connected and ready again on its own (a view whose consumer left with the last restarted node may
    // need the stall guard's few seconds to catch up the commits it missed meanwhile)
    for (const [name, port] of metricsPorts) {
      let m = await scrape(port);
      for (const t0 = performance.now(); sample(m, 'lbaas_ready') !== 1 && performance.now() - t0 < 20_000; m = await scrape(port)) await sleep(250);
      expect([name, sample(m, 'lbaas_nats_connected')]).toEqual([name, 1]);
      expect([name, sample(m, 'lbaas_ready')]).toEqual([name, 1]);
    }
  }, 600_000);
});
