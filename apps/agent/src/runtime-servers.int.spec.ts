import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DesiredLb, DesiredMember, DesiredState } from '@lbaas/projections';
import {
  canUseNetns, desiredLb, listener, member, monitor, netnsRunId, pool, startHttpServer, startRequestLoop, waitForHttp, WEB2, type NetnsProcess,
} from '@lbaas/testing';
import { parseShowProc, socketCommand } from './host/haproxy';
import { startBackends, type Backends } from './backends.fixtures';
import { LinuxHost } from './host/linux-host';
import { hostVethName, lbPaths } from './layout';
import { planLb } from './plan';
import { applyPlan, reconcileOnce, type Outcome } from './reconciler';
import { parseShowStat } from './health-reports';

const exec = promisify(execFile);
const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED LOUDLY: runtime-servers.int.spec.ts needs root (real netns + haproxy)');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Polls a URL from a namespace every ~2 ms and prints the epoch ms of the first answer whose body matches.
const FIRST = `
const http = require('node:http');
const [url, want] = process.argv.slice(1);
const re = new RegExp(want);
console.log('ready');
(function once() {
  const req = http.get(url, { timeout: 500, agent: false }, (res) => {
    let b = ''; res.on('data', (d) => (b += d));
    res.on('end', () => { if (re.test(b)) { console.log(Date.now()); process.exit(0); } setTimeout(once, 2); });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', () => setTimeout(once, 2));
})();`;
async function firstAnswer(netns: string, url: string, want: string): Promise<{ first: Promise<number> }> {
  const child = require('node:child_process').spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', FIRST, url, want], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((r) => child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('ready')) r(); }));
  const first = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => { child.kill(); reject(new Error(`no ${want} from ${url}`)); }, 10_000);
    child.stdout.on('data', () => { const m = /^(\d{13})$/m.exec(out); if (m) { clearTimeout(t); resolve(Number(m[1])); } });
  });
  return { first };
}

/**
 * Member changes through haproxy's runtime API (issue 14), on a real host: each change reaches the running haproxy
 * over its admin socket without a reload (the master's reload counter and its worker stay the same), the file is
 * rewritten so that a later reload keeps it, and traffic through the VIP proves each one. Then the server state
 * (health, weights) carried across a structural reload, and the fall-back to a reload when haproxy refuses a step.
 */
suite('runtime member changes on a real haproxy (netns)', () => {
  const run = netnsRunId();
  const net = `10.232.${(parseInt(run, 16) % 200) + 20}`;
  const bridge = `brr${run}`;
  const [web3, client] = [`r${run}w3`, `r${run}cl`];
  const lbId = `bb${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const WEB3 = '33333333-3333-4333-8333-333333333333';
  const root = mkdtempSync(join(tmpdir(), 'lbaas-runtime-'));
  const runDir = join(root, 'run');
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy', garpCount: 0 });
  const paths = lbPaths(runDir, lbId);
  const servers: NetnsProcess[] = [];
  let backends: Backends | undefined;
  const vip = `http://${net}.10/`;
  const m1 = (o: Partial<DesiredMember> = {}) => member({ address: `${net}.11`, ...o });
  const m2 = (o: Partial<DesiredMember> = {}) => member({ memberId: WEB2, address: `${net}.12`, ...o });
  const m3 = (o: Partial<DesiredMember> = {}) => member({ memberId: WEB3, address: `${net}.13`, ...o });
  const lb = (members: DesiredMember[], o: Partial<DesiredLb> = {}, p: Parameters<typeof pool>[0] = {}): DesiredLb => desiredLb({
    lbId,
    vip: { address: `${net}.10`, prefixLen: 24, gatewayIp: `${net}.1`, networkId: 'n', subnetId: 's', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    listeners: [listener({ protocolPort: 80 })],
    pools: [pool({ members, monitor: monitor({ delay: 1, maxRetries: 1, maxRetriesDown: 1 }), ...p })],
    ...o,
  });
  const twoListeners = [listener({ protocolPort: 80 }), listener({ listenerId: 'aaaaaaaa-0000-4000-8000-000000000081', protocolPort: 81 })];
  const state = (d: DesiredLb): DesiredState => ({ agentId: 'a1', loadBalancers: [d] });
  const once = (d: DesiredLb) => reconcileOnce(state(d), host, { runDir, maxconnCap: 4000 });
  const kinds = (outs: Outcome[]) => outs.map((o) => (o.kind === 'converged' ? `converged:${o.actions}` : o.kind === 'retry' ? `retry:${o.error.message}` : `rejected:${o.reason}`));
  const proc = async () => parseShowProc(await socketCommand(paths.masterSock, 'show proc'));
  const stat = async () => parseShowStat(await socketCommand(paths.statsSock, 'show stat'));
  const serverRow = async (memberId: string) => (await stat()).find((r) => r.svname === memberId);
  /** Answers by backend over `ms` of requests, one at a time. */
  const spread = async (ms = 800) => {
    const loop = startRequestLoop(client, vip, 2);
    await sleep(ms);
    return loop.stop();
  };
  /** The reconcile of `d` changed nothing but haproxy's servers at runtime: no reload, same worker, file == desired. */
  const expectRuntimeOnly = async (d: DesiredLb, before: Awaited<ReturnType<typeof proc>>) => {
    const after = await proc();
    expect(after?.reloads).toBe(before?.reloads);
    expect(after?.workers).toEqual(before?.workers);
    expect(host.lastFallback).toBeNull();
    const file = readFileSync(paths.cfg, 'utf8');
    await exec(process.env.HAPROXY_BIN ?? 'haproxy', ['-c', '-f', paths.cfg]);
    expect(kinds(await once(d))).toEqual(['converged:0']);
    return file;
  };

  beforeAll(async () => {
    backends = await startBackends(`r${run}`, bridge, net);
    servers.push(...backends.servers);
    expect(kinds(await once(lb([m1(), m2()])))).toEqual(['converged:4']);
    await waitForHttp(client, vip, (x) => x.status === 200);
    // every member checked once before the changes begin
    for (let i = 0; i < 50 && !(await stat()).every((r) => r.svname === 'BACKEND' || r.svname === 'FRONTEND' || r.check_status !== 'INI'); i++) await sleep(100);
  }, 60_000);

  afterAll(async () => {
    await host.destroy(lbId).catch(() => undefined);
    for (const s of servers) await s.stop();
    await backends?.stop(hostVethName(lbId));
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  beforeEach(() => { host.lastFallback = null; });

  it('adds a member at runtime: it answers through the VIP within milliseconds, with no reload', async () => {
    const before = await proc();
    const probe = startRequestLoop(client, vip, 1);
    const { first } = await firstAnswer(client, vip, '^web3');
    await sleep(300);
    const t0 = Date.now();
    expect(kinds(await once(lb([m1(), m2(), m3()])))).toEqual(['converged:2']); // SetServers, WriteConfig
    const reconciled = Date.now() - t0;
    const answered = (await first) - t0;
    await sleep(300);
    const s = await probe.stop();
    console.log(`runtime add: web3 answered through the VIP ${answered} ms after the reconcile began; the reconcile (add server, then the file written and checked) took ${reconciled} ms; loop ${JSON.stringify({ ok: s.ok, failed: s.failed, bodies: s.bodies })}`);
    expect(answered).toBeLessThan(reconciled + 50);
    expect(s.failed).toBe(0);
    expect(s.bodies.web3).toBeGreaterThan(0);
    const file = await expectRuntimeOnly(lb([m1(), m2(), m3()]), before);
    expect(file).toContain(`server ${WEB3} ${net}.13:8080`);
  });

  it('changes a weight at runtime: the traffic follows it', async () => {
    const before = await proc();
    expect(kinds(await once(lb([m1({ weight: 8 }), m2(), m3()])))).toEqual(['converged:2']);
    const s = await spread();
    console.log(`weights 8/1/1: ${JSON.stringify(s.bodies)}`);
    expect(s.failed).toBe(0);
    expect(s.bodies.web1).toBeGreaterThan(3 * (s.bodies.web2 ?? 0));
    expect((await serverRow(m1().memberId))?.weight).toBe('8');
    await expectRuntimeOnly(lb([m1({ weight: 8 }), m2(), m3()]), before);
  });

  it('drains a member (weight 0) and takes one down (admin state) at runtime: neither gets new requests', async () => {
    const before = await proc();
    expect(kinds(await once(lb([m1({ weight: 0 }), m2({ adminStateUp: false }), m3()])))).toEqual(['converged:2']);
    const s = await spread();
    console.log(`web1 drained, web2 disabled: ${JSON.stringify(s.bodies)}`);
    expect(s.failed).toBe(0);
    expect(Object.keys(s.bodies)).toEqual(['web3']);
    expect((await serverRow(WEB2))?.status).toMatch(/^MAINT/);
    await expectRuntimeOnly(lb([m1({ weight: 0 }), m2({ adminStateUp: false }), m3()]), before);
    // and back
    expect(kinds(await once(lb([m1(), m2(), m3()])))).toEqual(['converged:2']);
    const back = await spread();
    expect(Object.keys(back.bodies).sort()).toEqual(['web1', 'web2', 'web3']);
  });

  it('makes a member a backup (del + add: haproxy cannot change it in place): it only serves when the others are down', async () => {
    const before = await proc();
    expect(kinds(await once(lb([m1(), m2(), m3({ backup: true })])))).toEqual(['converged:2']);
    await expectRuntimeOnly(lb([m1(), m2(), m3({ backup: true })]), before);
    expect(Object.keys((await spread()).bodies).sort()).toEqual(['web1', 'web2']);
    expect((await serverRow(WEB3))?.bck).toBe('1');
    // both primaries disabled: the backup takes the traffic
    expect(kinds(await once(lb([m1({ adminStateUp: false }), m2({ adminStateUp: false }), m3({ backup: true })])))).toEqual(['converged:2']);
    expect(Object.keys((await spread()).bodies)).toEqual(['web3']);
  });

  it('moves a member\'s health check to its monitor port at runtime: a closed port takes it down', async () => {
    const before = await proc();
    expect(kinds(await once(lb([m1(), m2({ monitorPort: 9 }), m3()])))).toEqual(['converged:2']);
    for (let i = 0; i < 50 && !(await serverRow(WEB2))?.status?.startsWith('DOWN'); i++) await sleep(100);
    expect((await serverRow(WEB2))?.status).toMatch(/^DOWN/);
    await expectRuntimeOnly(lb([m1(), m2({ monitorPort: 9 }), m3()]), before);
    expect(Object.keys((await spread()).bodies).sort()).toEqual(['web1', 'web3']);
  });

  it('removes a member at runtime: it gets no request any more', async () => {
    const before = await proc();
    const loop = startRequestLoop(client, vip, 1);
    await sleep(300);
    const outs = await once(lb([m1(), m3()]));
    await sleep(500);
    const s = await loop.stop();
    expect(kinds(outs)).toEqual(['converged:2']);
    expect(s.failed).toBe(0);
    expect(Object.keys((await spread()).bodies).sort()).toEqual(['web1', 'web3']);
    expect((await serverRow(WEB2))).toBeUndefined();
    const after = await proc();
    // haproxy deletes only a server with no connection left: an idle keep-alive one to web2 means the reload path
    if (host.lastFallback) console.log(`del server fell back to a reload: ${host.lastFallback}`);
    else expect(after?.reloads).toBe(before?.reloads);
    expect(kinds(await once(lb([m1(), m3()])))).toEqual(['converged:0']);
  });

  it('carries server state across a structural reload: a member that is down stays down (no request to it), weights stay', async () => {
    // web3 stops answering: its check takes it down
    await servers[2].stop();
    for (let i = 0; i < 50 && !(await serverRow(WEB3))?.status?.startsWith('DOWN'); i++) await sleep(100);
    expect((await serverRow(WEB3))?.status).toMatch(/^DOWN/);
    const before = await proc();
    const loop = startRequestLoop(client, vip, 1);
    await sleep(200);
    // a second listener: a structural change, so a reload
    const reloaded = lb([m1({ weight: 5 }), m3()], { listeners: twoListeners });
    expect(kinds(await once(reloaded))).toEqual(['converged:2']); // WriteConfig, Reload
    const after = await proc();
    expect(after!.reloads).toBe(before!.reloads + 1);
    // at once, before any new check could run: still DOWN (without the state file it would start UP and take requests)
    const row = await serverRow(WEB3);
    expect(row?.status).toMatch(/^DOWN/);
    expect((await serverRow(m1().memberId))?.weight).toBe('5');
    await sleep(500);
    const s = await loop.stop();
    console.log(`across the reload: web3 ${row?.status} (${row?.check_status}); loop ${JSON.stringify({ ok: s.ok, failed: s.failed, bodies: s.bodies })}`);
    expect(s.failed).toBe(0);
    expect(Object.keys(s.bodies)).toEqual(['web1']);
    servers[2] = await startHttpServer(web3, 'web3', 8080);
  });

  it('falls back to a reload when haproxy refuses a runtime step, and the file and haproxy agree afterwards', async () => {
    const reloadedBefore = (await proc())!.reloads;
    // Make haproxy refuse: the record of what runs lies (web1 under web2's name), and a light look trusts it, so the
    // admin socket is asked to delete a server haproxy does not have.
    const rec = JSON.parse(readFileSync(paths.running, 'utf8')) as { servers: { name: string }[] };
    rec.servers = rec.servers.map((x) => (x.name === m1().memberId ? { ...x, name: WEB2 } : x));
    writeFileSync(paths.running, JSON.stringify(rec));
    const d = lb([m1({ weight: 3 }), m3()], { listeners: twoListeners });
    const observed = await host.observe([lbId], { full: false });
    const out = await applyPlan(planLb(d, observed.get(lbId), { runDir, maxconnCap: 4000 }), host);
    console.log(`fallback: ${host.lastFallback}`);
    expect(kinds([out])).toEqual(['converged:2']);
    expect(host.lastFallback).toMatch(/haproxy refused|No such server/i);
    expect((await proc())!.reloads).toBe(reloadedBefore + 1);
    expect((await serverRow(m1().memberId))?.weight).toBe('3');
    expect((await serverRow(WEB2))).toBeUndefined();
    expect(kinds(await once(d))).toEqual(['converged:0']);
  });
});
