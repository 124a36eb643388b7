import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { canUseNetns, freePort, netnsRunId, startAppProcess, type AppProcess } from '@lbaas/testing';
import { freeRange } from './support/free-range';
import { apiClient, type ApiClient } from './support/stack';
import { sample, scrape } from './support/metrics';

/**
 * A clock jump on the host of the apps (libfaketime under `lbaasctl up`: every app process's wall clock, not its
 * monotonic clock, which a step of the system clock leaves alone too; nats-server, a Go binary, keeps the real time
 * as another host would): one hour forward, then two hours back, while load balancers are served and changed.
 * No agent is declared down, nothing fails over, no lease lapses, no process restarts, every acknowledged write is
 * in the stream and applied, and every app shows the jump in lbaas_wall_clock_offset_seconds.
 */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const root = canUseNetns();
const haveFaketime = existsSync(LIBFAKETIME);
if (!root || !haveFaketime) console.warn(`SKIPPED LOUDLY: test/clock-jump.e2e.spec.ts needs root and libfaketime (${!root ? 'not root' : 'apt-get install faketime'})`);
const maybe = root && haveFaketime ? describe : describe.skip;
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');
const LBAASCTL = join(ROOT, 'apps', 'lbaasctl', 'dist', 'main.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Status = { processes: { name: string; role: string; alive: boolean; restarts: number; metricsPort: number | null }[]; agents: { id: string; alive: boolean }[] };

maybe('a wall-clock jump on the apps\' host', () => {
  const id = netnsRunId();
  const home = mkdtempSync(join(tmpdir(), `lbaas-clock-${id}-`));
  const clock = join(home, 'faketime');
  const bridge = `brck${id}`;
  const agents = [`ck${id}-a`, `ck${id}-b`];
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  let env: Record<string, string>;
  let up: AppProcess;
  let api: ApiClient;
  let apiUrl: string;
  const lbs: string[] = [];
  const acked: { requestId: string; description: string; lb: string }[] = [];

  const status = async (): Promise<Status> =>
    JSON.parse((await run(process.execPath, [LBAASCTL, 'status', '--home', home, '--json'], { env: { ...process.env, ...env } }).catch((e: { stdout: string }) => e)).stdout);
  const waitActive = (lbId: string, ms = 30_000) => api.waitFor(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
  /** Changes the description of each LB, each write acknowledged (its request id kept), and waits for them to be applied. */
  const writeAll = async (tag: string) => {
    for (const lb of lbs) {
      const description = `${tag}-${lb.slice(0, 8)}`;
      for (let attempt = 0; ; attempt++) {
        const res = await fetch(`${apiUrl}/v2/lbaas/loadbalancers/${lb}`, {
          method: 'PUT', body: JSON.stringify({ loadbalancer: { description } }), headers: { 'content-type': 'application/json', 'x-project-id': 'demo' },
        });
        if (res.status === 200) { acked.push({ requestId: res.headers.get('x-openstack-request-id') as string, description, lb }); break; }
        expect([409, 503]).toContain(res.status); // PENDING_* (the previous change not yet applied) or a retry
        if (attempt > 100) throw new Error(`PUT ${lb} never accepted`);
        await sleep(200);
      }
    }
    for (const lb of lbs) await waitActive(lb);
  };
  const metricsOf = async () => {
    const s = await status();
    return Promise.all(s.processes.filter((p) => p.metricsPort).map(async (p) => ({ name: p.name, role: p.role, m: await scrape(p.metricsPort as number) })));
  };
  /** Everything still as it should be after a jump of `jump` seconds (the offset every app shows). */
  const checkCalm = async (offset: number) => {
    const s = await status();
    expect(s.processes.map((p) => [p.name, p.alive, p.restarts])).toEqual(s.processes.map((p) => [p.name, true, 0]));
    expect(s.agents.map((a) => [a.id, a.alive])).toEqual(agents.map((a) => [a, true]));
    for (const { name, role, m } of await metricsOf()) {
      expect([name, Math.round(sample(m, 'lbaas_wall_clock_offset_seconds') as number)]).toEqual([name, expect.any(Number)]);
      expect([name, Math.abs((sample(m, 'lbaas_wall_clock_offset_seconds') as number) - offset) < 30]).toEqual([name, true]);
      expect([name, sample(m, 'lbaas_ready')]).toEqual([name, 1]);
      if (role === 'failover-watcher') expect([sample(m, 'lbaas_watcher_declarations_total', { state: 'down' }) ?? 0, sample(m, 'lbaas_watcher_agents', { state: 'down' })]).toEqual([0, 0]);
      if (role === 'scheduler') expect(sample(m, 'lbaas_scheduler_failovers_total')).toBe(0);
      if (role === 'agent') expect([name, sample(m, 'lbaas_agent_lease_held'), sample(m, 'lbaas_agent_lease_lapses_total')]).toEqual([name, 1, 0]);
    }
  };

  beforeAll(async () => {
    writeFileSync(clock, '+0\n');
    const apiPort = await freePort();
    apiUrl = `http://127.0.0.1:${apiPort}`;
    env = {
      LBAAS_HOME: home, LBAAS_NATS_PORT: String(await freePort()), LBAAS_API_PORT: String(apiPort), LBAAS_DEMO_BRIDGE: bridge,
      LBAAS_DEMO_PHYSNET: `phys-${id}`, LBAAS_DEMO_CIDR: `10.245.${octet}.0/24`, LBAAS_DEMO_GATEWAY: `10.245.${octet}.1`,
      LBAAS_DEMO_POOL_START: `10.245.${octet}.10`, LBAAS_DEMO_POOL_END: `10.245.${octet}.200`, LBAAS_AGENTS: agents.join(','),
      LBAAS_METRICS_PORT_BASE: String(await freeRange(6)), LBAAS_DEFAULT_PROJECT: 'demo',
    };
    up = await startAppProcess({
      name: 'lbaasctl-up', command: [process.execPath, LBAASCTL, 'up'], logFile: join(home, 'up.log'), readyLine: /lbaasctl: ready\. API/, startTimeoutMs: 180_000,
      env: {
        ...env, LD_PRELOAD: LIBFAKETIME, FAKETIME_TIMESTAMP_FILE: clock, FAKETIME_NO_CACHE: '1', FAKETIME_DONT_FAKE_MONOTONIC: '1',
      },
    });
    api = apiClient(apiUrl, { 'x-project-id': 'demo' });
    const subnet = (await api.get('/v2.0/subnets?name=demo-subnet')).body.subnets[0].id;
    for (let i = 0; i < 2; i++) {
      const lb = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: `ck-${i}`, vip_subnet_id: subnet } });
      expect(lb.status).toBe(201);
      lbs.push(lb.body.loadbalancer.id);
    }
    for (const lb of lbs) await waitActive(lb, 60_000);
  }, 300_000);

  afterAll(async () => {
    if (up?.running) await up.stop('SIGINT', 60_000);
    await run('ip', ['link', 'del', bridge]).catch(() => undefined);
    for (const lb of lbs) await run('ip', ['netns', 'del', `qlbaas-${lb}`]).catch(() => undefined);
    if (!process.env.KEEP_E2E_LOGS) rmSync(home, { recursive: true, force: true });
  }, 120_000);

  it('one hour forward: no failover, no lapse, no restart; writes acknowledged and applied; the offset shows', async () => {
    await checkCalm(0);
    writeFileSync(clock, '+3600s\n');
    await sleep(8_000); // longer than agent_down_time (5 s) and the lease (3 s)
    await writeAll('forward');
    await checkCalm(3600);
  }, 120_000);

  it('two hours back: the same', async () => {
    writeFileSync(clock, '-3600s\n');
    await sleep(8_000);
    await writeAll('back');
    await checkCalm(-3600);
    // every acknowledged write is in the stream (its request id on a commit) and what the api shows
    const events = (await run(process.execPath, [LBAASCTL, 'events', '--json', '--quiet'], { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })).stdout;
    expect(acked.filter((a) => !events.includes(a.requestId)).map((a) => a.requestId)).toEqual([]);
    for (const lb of lbs) expect((await api.get(`/v2/lbaas/loadbalancers/${lb}`)).body.loadbalancer.description).toBe(`back-${lb.slice(0, 8)}`);
    console.log(`clock jump: +1 h then -2 h on every app (libfaketime), ${acked.length} acknowledged writes kept and applied; no failover, lapse or restart`);
  }, 120_000);
});
