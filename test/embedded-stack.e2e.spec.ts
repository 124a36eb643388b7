import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { canUseNetns, freePort, netnsRunId, startAppProcess, type AppProcess } from '@lbaas/testing';
import { freeRange } from './support/free-range';
import { apiClient, type ApiClient } from './support/stack';
import { promtoolCheck, scrape, sample, seriesValues, total } from './support/metrics';

/**
 * `lbaasctl up` itself, as a user runs it: supervised processes with metrics and health, `lbaasctl status`, an agent
 * killed with kill -9 (its load balancers move to the other agent, the supervisor brings it back), Ctrl-C under load
 * (everything stops and is cleaned up), and a second `up` on the same store (a restart fails nothing over).
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/embedded-stack.e2e.spec.ts needs root (lbaasctl up builds namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const LBAASCTL = join(ROOT, 'apps', 'lbaasctl', 'dist', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Status = {
  processes: { name: string; role: string; pid: number | null; alive: boolean; restarts: number; ready: boolean | null; lag: number | null; metricsPort: number | null }[];
  agents: { id: string; alive: boolean; loadBalancers: number }[];
  stream: { lastSeq: number };
};

maybe('lbaasctl up: a supervised embedded stack', () => {
  const id = netnsRunId();
  const home = mkdtempSync(join(tmpdir(), `lbaas-up-${id}-`));
  const bridge = `brup${id}`;
  const agents = [`up${id}-a`, `up${id}-b`];
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  let env: Record<string, string>;
  let up: AppProcess;
  let api: ApiClient;
  const ids: { subnet?: string; lbs: string[] } = { lbs: [] };

  const startUp = async (extra: Record<string, string> = {}) => {
    up = await startAppProcess({
      name: 'lbaasctl-up', command: [process.execPath, LBAASCTL, 'up'], env: { ...env, ...extra }, logFile: join(home, 'up.log'),
      readyLine: /lbaasctl: ready\. API/, startTimeoutMs: 180_000,
    });
  };
  const status = async (): Promise<Status> =>
    JSON.parse((await run(process.execPath, [LBAASCTL, 'status', '--home', home, '--json'], { env: { ...process.env, ...env } }).catch((e: { stdout: string }) => e)).stdout);
  const hosting = async (lbId: string) => (await api.get(`/v2.0/lbaas/loadbalancers/${lbId}/loadbalancer-hosting-agent`)).body?.agent?.id as string | undefined;
  const waitActive = (lbId: string, ms = 30_000) =>
    api.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
  const ready = async (port: number, ms = 30_000) => {
    const t0 = Date.now();
    for (;;) {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      if (r?.status === 200) return r.json();
      if (Date.now() - t0 > ms) throw new Error(`:${port}/readyz not ready after ${ms} ms: ${r ? await r.text() : 'no answer'}`);
      await sleep(200);
    }
  };

  beforeAll(async () => {
    const apiPort = await freePort();
    env = {
      LBAAS_HOME: home, LBAAS_NATS_PORT: String(await freePort()), LBAAS_API_PORT: String(apiPort), LBAAS_DEMO_BRIDGE: bridge,
      LBAAS_DEMO_PHYSNET: `phys-${id}`, LBAAS_DEMO_CIDR: `10.246.${octet}.0/24`, LBAAS_DEMO_GATEWAY: `10.246.${octet}.1`,
      LBAAS_DEMO_POOL_START: `10.246.${octet}.10`, LBAAS_DEMO_POOL_END: `10.246.${octet}.200`, LBAAS_AGENTS: agents.join(','),
      LBAAS_METRICS_PORT_BASE: String(await freeRange(6)), LBAAS_DEFAULT_PROJECT: 'demo',
    };
    await startUp();
    api = apiClient(`http://127.0.0.1:${apiPort}`, { 'x-project-id': 'demo' });
    ids.subnet = (await api.get(`/v2.0/subnets?name=demo-subnet`)).body.subnets[0].id;
  }, 240_000);

  afterAll(async () => {
    if (up?.running) await up.stop('SIGINT', 60_000);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    for (const lb of ids.lbs) await run('ip', ['netns', 'del', `qlbaas-${lb}`]).catch(() => undefined);
    if (!process.env.KEEP_E2E_LOGS) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('every app serves metrics a real parser reads, is ready on /readyz, and the api answers Octavia\'s /healthcheck', async () => {
    const s = await status();
    const apps = s.processes.filter((p) => p.role !== 'nats-server');
    expect(apps.map((p) => p.role).sort()).toEqual(['agent', 'agent', 'api', 'failover-watcher', 'scheduler']);
    // nats-server and the api run above the agents' build work (docs/scale.md): nice -5, everything else as lbaasctl.
    const niceOf = (pid: number | null) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16]);
    const base = niceOf(process.pid);
    expect(s.processes.map((p) => [p.role, niceOf(p.pid) - base]).sort()).toEqual(
      [['agent', 0], ['agent', 0], ['api', -5], ['failover-watcher', 0], ['nats-server', -5], ['scheduler', 0]]);
    for (const p of apps) {
      const r = await ready(p.metricsPort as number);
      expect(r).toMatchObject({ status: 'ok', natsConnected: true, caughtUp: true });
      const text = await (await fetch(`http://127.0.0.1:${p.metricsPort}/metrics`)).text();
      await promtoolCheck(text);
      // the stream head is looked at every 2 s: the demo network's commits show within that
      let m = await scrape(p.metricsPort as number);
      for (let i = 0; i < 30 && !(Number(sample(m, 'lbaas_stream_last_seq')) > 0); i++) { await sleep(200); m = await scrape(p.metricsPort as number); }
      expect(sample(m, 'lbaas_nats_connected')).toBe(1);
      expect(sample(m, 'lbaas_ready')).toBe(1);
      expect(sample(m, 'lbaas_projection_lag')).toBeLessThan(100);
      expect(sample(m, 'lbaas_stream_last_seq')).toBeGreaterThan(0);
      expect(m.has('lbaas_event_store_appends_total')).toBe(true);
      expect(m.get('lbaas_nats_connection_events_total')?.metrics.map((x) => x.labels?.event).sort()).toEqual(['disconnect', 'error', 'ldm', 'reconnect']);
      if (p.role === 'api') {
        // the demo network and subnet were created through the api: requests by route, method and status
        expect(seriesValues(text, 'lbaas_http_request_duration_seconds_count', { method: 'POST', route: '/v2.0/networks', status: '201' })).toEqual([1]);
        expect(seriesValues(text, 'lbaas_http_request_duration_seconds_bucket', { method: 'GET', route: '/v2.0/subnets', status: '200', le: '+Inf' })[0]).toBeGreaterThanOrEqual(1);
        expect(sample(m, 'lbaas_event_store_appends_total', { aggregate: 'network', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
      }
      if (p.role === 'failover-watcher') expect(sample(m, 'lbaas_watcher_agents', { state: 'up' })).toBe(2);
      if (p.role === 'scheduler') expect(m.has('lbaas_scheduler_placements_total')).toBe(true);
      if (p.role === 'agent') {
        expect(sample(m, 'lbaas_agent_lease_held', { agent_id: p.name })).toBe(1);
        expect(sample(m, 'lbaas_agent_lease_remaining_seconds')).toBeGreaterThan(0);
        expect(sample(m, 'lbaas_agent_reconcile_outcomes_total', { outcome: 'converged' })).toBeGreaterThanOrEqual(0);
        expect(text).toContain('# TYPE lbaas_agent_reconcile_seconds histogram'); // one sample per LB run: none yet
      }
    }
    const apiPort = Number(env.LBAAS_API_PORT);
    const hc = await fetch(`http://127.0.0.1:${apiPort}/healthcheck`);
    expect([hc.status, await hc.text()]).toEqual([200, 'OK']);
    expect((await fetch(`http://127.0.0.1:${apiPort}/healthcheck`, { method: 'HEAD' })).status).toBe(200);
  }, 120_000);

  it('kill -9 of an agent: its load balancers move to the other agent, the supervisor brings it back, status shows it', async () => {
    for (let i = 0; i < 3; i++) {
      const lb = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `up-${id}-${i}`, vip_subnet_id: ids.subnet } });
      expect(lb.status).toBe(201);
      ids.lbs.push(lb.body.loadbalancer.id);
    }
    for (const lb of ids.lbs) await waitActive(lb);
    const before = new Map(await Promise.all(ids.lbs.map(async (lb) => [lb, await hosting(lb)] as const)));
    const victim = before.get(ids.lbs[0]) as string;
    const other = agents.find((a) => a !== victim) as string;
    const moving = ids.lbs.filter((lb) => before.get(lb) === victim);
    const s0 = await status();
    const pid = s0.processes.find((p) => p.name === victim)?.pid as number;
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    await up.waitForLine(new RegExp(`${victim} exited \\(signal SIGKILL\\) after [\\d.]+ s; restarting it in 5\\.0 s`), 10_000);
    for (const lb of moving) {
      for (;;) {
        if ((await hosting(lb)) === other) break;
        if (Date.now() - t0 > 30_000) throw new Error(`${lb} still on ${victim} 30 s after the kill`);
        await sleep(200);
      }
      await waitActive(lb);
    }
    const movedAfter = Date.now() - t0;
    await up.waitForLine(new RegExp(`${victim} restarted \\(pid \\d+, restart #1\\)`), 30_000);
    console.log(`embedded stack: kill -9 of ${victim} (${moving.length} LBs) -> all on ${other} and ACTIVE after ${movedAfter} ms; restarted by the supervisor`);
    // the agent comes back (declared up again), and status says all of it
    let s: Status;
    const t1 = Date.now();
    for (;;) {
      s = await status();
      if (s.agents.every((a) => a.alive) && s.processes.find((p) => p.name === victim)?.ready) break;
      if (Date.now() - t1 > 30_000) throw new Error(`the restarted agent is not back: ${JSON.stringify(s)}`);
      await sleep(500);
    }
    expect(s.processes.find((p) => p.name === victim)).toMatchObject({ alive: true, restarts: 1, ready: true });
    expect(s.processes.find((p) => p.name === victim)?.pid).not.toBe(pid);
    expect(s.agents.find((a) => a.id === other)?.loadBalancers).toBe(ids.lbs.length); // the moved ones and its own
    expect(s.stream.lastSeq).toBeGreaterThan(0);
    const text = (await run(process.execPath, [LBAASCTL, 'status', '--home', home], { env: { ...process.env, ...env } })).stdout;
    expect(text).toMatch(new RegExp(`${victim}\\s+agent\\s+\\d+\\s+running\\s+1\\s`));
    expect(text).toMatch(/LBAAS_EVENTS: stream \S+ created .*, \d+ messages up to seq \d+, 1 replica\(s\)/);
    // visible in the metrics: the scheduler's failovers, the watcher's down declaration
    const byRole = (role: string) => s.processes.find((p) => p.role === role)?.metricsPort as number;
    expect(sample(await scrape(byRole('scheduler')), 'lbaas_scheduler_failovers_total')).toBe(moving.length);
    const w = await scrape(byRole('failover-watcher'));
    expect(sample(w, 'lbaas_watcher_declarations_total', { state: 'down' })).toBe(1);
    expect(sample(w, 'lbaas_watcher_declarations_total', { state: 'up' })).toBe(1);
    // the agent that took the load balancers over ran each (a commit woke it), converged
    const taker = await (await fetch(`http://127.0.0.1:${s.processes.find((p) => p.name === other)?.metricsPort}/metrics`)).text();
    expect(seriesValues(taker, 'lbaas_agent_reconcile_seconds_count', { agent_id: other }).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(moving.length);
    expect(seriesValues(taker, 'lbaas_agent_reconcile_outcomes_total', { outcome: 'converged', agent_id: other })[0]).toBeGreaterThanOrEqual(moving.length);
  }, 180_000);

  it('Ctrl-C under load stops everything and removes haproxy, namespaces, the bridge and the ownership records', async () => {
    let writing = true;
    const answers: number[] = [];
    const loop = (async () => {
      for (let i = 0; writing; i++) {
        const r = await api.put(`/v2/lbaas/loadbalancers/${ids.lbs[i % ids.lbs.length]}`, { loadbalancer: { description: `load ${i}` } }).catch(() => null);
        answers.push(r?.status ?? 0);
      }
    })();
    await sleep(1_000);
    await up.stop('SIGINT', 90_000);
    writing = false;
    await loop;
    expect(up.exitStatus).toEqual({ code: 0, signal: null });
    const out = readFileSync(join(home, 'up.log'), 'utf8');
    expect(out).not.toMatch(/ERR_STREAM_WRITE_AFTER_END|cleanup of .* failed|cleanup failed/);
    expect(out).toMatch(/lbaasctl: stopped; the event store stays in/);
    expect(answers.length).toBeGreaterThan(0);
    const netns = (await run('ip', ['netns', 'list'])).stdout;
    for (const lb of ids.lbs) expect(netns).not.toContain(`qlbaas-${lb}`);
    expect(existsSync(`/sys/class/net/${bridge}`)).toBe(false);
    const procs = (await run('ps', ['-eo', 'args'])).stdout;
    for (const a of agents) {
      expect(procs).not.toContain(`/run/lbaas/${a}/`); // haproxy of our run dirs
      expect(procs).not.toContain(join(home, 'agents', a)); // watchdogs
      const records = join(home, 'agents', a, 'lbs');
      expect(existsSync(records) ? readdirSync(records) : []).toEqual([]);
    }
  }, 180_000);

  it('a second up on the same store, its agents slow to start, rebuilds every LB and fails nothing over (restarts are not failures)', async () => {
    // Each agent takes 2.5 s more to start (as on a loaded machine): the second one heartbeats about 7 s after the
    // watcher's first tick, long after agent_down_time (2.25 s), within the cold-start grace (10 s more). (4 s each
    // put the second heartbeat ~10 s in, and a run at load 10-20 past the grace: the margin is for the machine.)
    const t0 = Date.now();
    await startUp({ NODE_OPTIONS: `--require ${join(__dirname, 'support', 'slow-start.js')}`, SLOW_AGENT_START_MS: '2500' });
    console.log(`embedded stack: second up with slow agents ready after ${Date.now() - t0} ms`);
    for (const lb of ids.lbs) await waitActive(lb, 60_000);
    // past agent_down_time (3.5 s) + the cold-start grace (10 s): nobody was declared down, nothing moved
    await sleep(15_000);
    const s = await status();
    expect(s.agents.every((a) => a.alive)).toBe(true);
    const byRole = (role: string) => s.processes.find((p) => p.role === role)?.metricsPort as number;
    expect(total(await scrape(byRole('failover-watcher')), 'lbaas_watcher_declarations_total')).toBe(0);
    expect(sample(await scrape(byRole('scheduler')), 'lbaas_scheduler_failovers_total')).toBe(0);
    const netns = (await run('ip', ['netns', 'list'])).stdout;
    for (const lb of ids.lbs) expect(netns).toContain(`qlbaas-${lb}`);
    await up.stop('SIGINT', 90_000);
    expect(up.exitStatus).toEqual({ code: 0, signal: null });
  }, 240_000);
});
