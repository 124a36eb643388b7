import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import { canUseNetns, httpGetFromNetns, netnsRunId, processGone, sh, startRequestLoop, waitForHttp, type NetnsProcess } from '@lbaas/testing';
import { desiredLb, listener, member, pool, WEB1, WEB2 } from '@lbaas/testing';
import { startBackends, type Backends } from './backends.fixtures';
import { LinuxHost } from './host/linux-host';
import { hostVethName, lbPaths, netnsName } from './layout';
import { reconcileOnce, type Outcome } from './reconciler';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: reconciler.int.spec.ts needs root (real netns + haproxy)');

suite('reconcileOnce on a real host (netns + haproxy)', () => {
  const run = netnsRunId();
  const net = `10.231.${(parseInt(run, 16) % 200) + 20}`;
  const bridge = `brt${run}`;
  const client = `t${run}cl`;
  const lbId = `${run}00-aaaa-4bbb-8ccc-${run}${run}`.replace(/^/, 'aa');
  const WEB3 = '33333333-3333-4333-8333-333333333333';
  const root = mkdtempSync(join(tmpdir(), 'lbaas-agent-'));
  const runDir = join(root, 'run');
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy' });
  const servers: NetnsProcess[] = [];
  let backends: Backends | undefined;
  const loops: Array<{ stop(): Promise<unknown> }> = [];
  const vip = `http://${net}.10/`;

  const lb = (o: Partial<DesiredLb> = {}): DesiredLb => desiredLb({
    lbId,
    vip: { address: `${net}.10`, prefixLen: 24, gatewayIp: `${net}.1`, networkId: 'n', subnetId: 's', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    listeners: [listener({ protocolPort: 80 })],
    pools: [pool({ members: [member({ address: `${net}.11` }), member({ memberId: WEB2, address: `${net}.12` })] })],
    ...o,
  });
  const state = (...lbs: DesiredLb[]): DesiredState => ({ agentId: 'a1', loadBalancers: lbs });
  const once = (s: DesiredState) => reconcileOnce(s, host, { runDir, maxconnCap: 4000 });
  const kinds = (outs: Outcome[]) => outs.map((o) => (o.kind === 'converged' ? `converged:${o.actions}` : o.kind === 'retry' ? `retry:${o.error.message}` : `rejected:${o.reason}`));

  beforeAll(async () => {
    backends = await startBackends(`t${run}`, bridge, net);
    servers.push(...backends.servers);
  }, 30_000);

  afterAll(async () => {
    for (const l of loops) await l.stop().catch(() => undefined);
    await host.destroy(lbId).catch(() => undefined);
    for (const s of servers) await s.stop();
    await backends?.stop(hostVethName(lbId));
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('(1) converges a new LB and the VIP answers from a client on the bridge, with X-Forwarded-For', async () => {
    const t0 = Date.now();
    expect(kinds(await once(state(lb())))).toEqual(['converged:4']);
    const r = await waitForHttp(client, vip, (x) => x.status === 200);
    console.log(`converged and answering in ${Date.now() - t0} ms (VIP answered ${r.ms} ms after reconcile returned)`);
    expect(r.body).toMatch(new RegExp(`^web[12] xff=${net.replace(/\./g, '\\.')}\\.2 src=${net.replace(/\./g, '\\.')}\\.10`));
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await httpGetFromNetns(client, vip)).body.split(' ')[0]);
    expect([...seen].sort()).toEqual(['web1', 'web2']);
    // Workers run unprivileged; the master stays root.
    const pid = Number(readFileSync(lbPaths(runDir, lbId).pid, 'utf8'));
    const users = await sh('ps', ['-o', 'user=', '--ppid', String(pid)]);
    expect(users.trim().split('\n')).toEqual(['haproxy']);
  });

  it('(2) does nothing on a second run', async () => {
    expect(kinds(await once(state(lb())))).toEqual(['converged:0']);
  });

  it('(3) restores the LB after `ip netns del` by hand', async () => {
    await sh('ip', ['netns', 'del', netnsName(lbId)]);
    const t0 = Date.now();
    expect(kinds(await once(state(lb())))).toEqual(['converged:4']); // CreateNetns, StopHaproxy (stray), PlugVip, StartHaproxy
    await waitForHttp(client, vip, (x) => x.status === 200);
    console.log(`restored after ip netns del in ${Date.now() - t0} ms`);
    expect(kinds(await once(state(lb())))).toEqual(['converged:0']);
  });

  it('(4) rejects a config haproxy refuses and the old haproxy keeps serving', async () => {
    // Two members with one id pass the renderer (each token is safe) but haproxy refuses duplicate server names.
    const bogus = lb({ pools: [pool({ members: [member({ address: `${net}.11` }), member({ address: `${net}.12` })] })] });
    const out = await once(state(bogus));
    expect(out[0].kind).toBe('rejected');
    const reason = out[0].kind === 'rejected' ? out[0].reason : '';
    console.log(`rejected with: ${reason}`);
    expect(reason).toMatch(/ALERT|server|name/i);
    expect(existsSync(lbPaths(runDir, lbId).cfgFailed)).toBe(true);
    expect((await httpGetFromNetns(client, vip)).status).toBe(200);
    // haproxy.cfg was never replaced, so the good config is still current: nothing to do.
    expect(kinds(await once(state(lb())))).toEqual(['converged:0']);
  });

  it('(5) reloads on a member added without dropping a request', async () => {
    const loop = startRequestLoop(client, vip, 2);
    loops.push(loop);
    await new Promise((r) => setTimeout(r, 500));
    const three = lb({ pools: [pool({ members: [member({ address: `${net}.11` }), member({ memberId: WEB2, address: `${net}.12` }), member({ memberId: WEB3, address: `${net}.13` })] })] });
    const t0 = Date.now();
    expect(kinds(await once(state(three)))).toEqual(['converged:2']); // WriteConfig, Reload
    const reloadMs = Date.now() - t0;
    for (let i = 0; i < 5; i++) {
      const two = i % 2 === 0 ? lb() : three;
      expect(kinds(await once(state(two)))).toEqual(['converged:2']);
      await new Promise((r) => setTimeout(r, 150));
    }
    expect(kinds(await once(state(three)))).toEqual(['converged:2']);
    await new Promise((r) => setTimeout(r, 1500));
    const stats = await loop.stop();
    console.log(`request loop across 7 reloads: ${JSON.stringify(stats)}; first reload took ${reloadMs} ms`);
    expect(stats.failed).toBe(0);
    expect(stats.ok).toBeGreaterThan(100);
    expect(stats.bodies.web3).toBeGreaterThan(0);
  });

  it('keeps serving other LBs when one is rejected (outcomes are per LB)', async () => {
    const other = desiredLb({ lbId: '99999999-9999-4999-8999-999999999999', vip: { ...lb().vip, bridge: { kind: 'unmapped', physicalNetwork: 'nope' } } });
    const outs = await once(state(other, lb({ pools: [pool({ members: [member({ address: `${net}.11` }), member({ memberId: WEB2, address: `${net}.12` }), member({ memberId: WEB3, address: `${net}.13` })] })] })));
    expect(kinds(outs)).toEqual(['rejected:no bridge mapping on this agent for physical network nope', 'converged:0']);
  });

  it('(6) destroys everything it created when the LB is deleted: no netns, veth, process or dir left', async () => {
    const pid = Number(readFileSync(lbPaths(runDir, lbId).pid, 'utf8'));
    expect(kinds(await once(state(lb({ deleted: true }))))).toEqual(['converged:1']);
    expect(await sh('ip', ['netns', 'list'])).not.toContain(netnsName(lbId));
    expect(await sh('ip', ['link', 'show'])).not.toContain(hostVethName(lbId));
    expect(processGone(pid)).toBe(true);
    expect(existsSync(lbPaths(runDir, lbId).dir)).toBe(false);
    expect(host.owned()).toEqual([]);
    expect((await httpGetFromNetns(client, vip, 500)).status).toBe(0);
    expect(kinds(await once(state(lb({ deleted: true }))))).toEqual(['converged:0']);
  });
});
