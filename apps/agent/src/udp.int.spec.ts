import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredLb, DesiredPool, DesiredState } from '@lbaas/projections';
import {
  canUseNetns, createBridge, createNetnsOnBridge, desiredLb, listener, member, monitor, netnsRunId, pool, removeLinks, removeNetns, sh, WEB1, WEB2,
  type NetnsProcess,
} from '@lbaas/testing';
import { send, startEcho, until } from './udp.fixtures';
import { memberHealth, parseShowStat } from './health-reports';
import { LinuxHost } from './host/linux-host';
import { checkerPid } from './host/udp';
import { udpFiles } from './host/udp-checker';
import { hostVethName, lbPaths, netnsName } from './layout';
import { reconcileOnce, type Outcome } from './reconciler';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: udp.int.spec.ts needs root (real netns, nftables, the UDP checker)');

suite('UDP listeners on a real host (nftables DNAT in the LB namespace, the UDP health checker)', () => {
  const run = netnsRunId();
  const net = `10.232.${(parseInt(run, 16) % 200) + 20}`;
  const bridge = `bru${run}`;
  const [w1, w2, client] = [`u${run}w1`, `u${run}w2`, `u${run}cl`];
  const lbId = `cc${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const UDP_LISTENER = 'd1d1d1d1-1111-4111-8111-111111111111';
  const UDP_POOL = 'd2d2d2d2-2222-4222-8222-222222222222';
  const root = mkdtempSync(join(tmpdir(), 'lbaas-udp-'));
  const runDir = join(root, 'run');
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy' });
  const echoes = new Map<string, NetnsProcess>();
  const vip = `${net}.10`;
  const sources = Array.from({ length: 12 }, (_, i) => `${net}.${100 + i}`);

  const udpPool = (o: Partial<DesiredPool> = {}): DesiredPool => pool({
    poolId: UDP_POOL, protocol: 'UDP',
    monitor: monitor({ type: 'UDP-CONNECT', delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: null, urlPath: null, expectedCodes: null }),
    members: [member({ memberId: WEB1, address: `${net}.11`, protocolPort: 5353, weight: 1 }), member({ memberId: WEB2, address: `${net}.12`, protocolPort: 5353, weight: 3 })],
    ...o,
  });
  const lb = (p: DesiredPool | null = udpPool()): DesiredLb => desiredLb({
    lbId,
    vip: { address: vip, prefixLen: 24, gatewayIp: null, networkId: 'n', subnetId: 's', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    listeners: p ? [listener({ listenerId: UDP_LISTENER, protocol: 'UDP', protocolPort: 53, defaultPoolId: UDP_POOL })] : [],
    pools: p ? [p] : [],
  });
  const state = (d: DesiredLb): DesiredState => ({ agentId: 'a1', loadBalancers: [d] });
  const once = (d: DesiredLb) => reconcileOnce(state(d), host, { runDir, maxconnCap: 4000 });
  const kinds = (outs: Outcome[]) => outs.map((o) => (o.kind === 'converged' ? `converged:${o.actions}` : o.kind === 'retry' ? `retry:${o.error.message}` : `rejected:${o.reason}`));
  const rows = async () => parseShowStat(await host.statsCsv(lbId));
  const health = async (d: DesiredLb) => Object.fromEntries(memberHealth(d, await rows()).map((h) => [h.memberId === WEB1 ? 'w1' : 'w2', h.status]));

  beforeAll(async () => {
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: w1, bridge, hostIf: `${w1}h`, cidr: `${net}.11/24` });
    await createNetnsOnBridge({ netns: w2, bridge, hostIf: `${w2}h`, cidr: `${net}.12/24` });
    await createNetnsOnBridge({ netns: client, bridge, hostIf: `${client}h`, cidr: `${net}.2/24` });
    await sh('ip', ['-n', client, '-batch', '-'], sources.map((s) => `addr add ${s}/24 dev eth0`).join('\n') + '\n');
    echoes.set('w1', await startEcho(w1, 'w1', 5353));
    echoes.set('w2', await startEcho(w2, 'w2', 5353));
  }, 30_000);

  afterAll(async () => {
    await host.destroy(lbId).catch(() => undefined);
    for (const e of echoes.values()) await e.stop();
    await removeNetns(w1, w2, client);
    await removeLinks(`${w1}h`, `${w2}h`, `${client}h`, hostVethName(lbId), bridge);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('converges a UDP listener: the table and the checker are in place, replies come from the VIP, weights are honoured', async () => {
    const t0 = Date.now();
    expect(kinds(await once(lb()))).toEqual(['converged:5']); // CreateNetns, PlugVip, WriteNft, WriteConfig, StartHaproxy
    const dir = lbPaths(runDir, lbId).dir;
    expect(checkerPid(dir)).not.toBeNull();
    expect(await sh('ip', ['netns', 'exec', netnsName(lbId), 'nft', 'list', 'tables'])).toContain('table inet lbaas_udp');
    const r = await send(client, vip, 53, 800, [`${net}.2`]);
    console.log(`UDP converged in ${Date.now() - t0} ms; 800 flows, weights 1:3 -> ${JSON.stringify(r.replies)}, unanswered ${r.none}`);
    expect(r.none).toBe(0);
    expect(Object.keys(r.from)).toEqual([`${vip}:53`]); // un-NATed on the way back: the client talks to the VIP only
    const ratio = r.replies.w2 / r.replies.w1;
    expect(ratio).toBeGreaterThan(2);
    expect(ratio).toBeLessThan(4.5);
  });

  it('does nothing on a second run, and rebuilds a table deleted by hand', async () => {
    expect(kinds(await once(lb()))).toEqual(['converged:0']);
    await sh('ip', ['netns', 'exec', netnsName(lbId), 'nft', 'delete', 'table', 'inet', 'lbaas_udp']);
    expect(kinds(await once(lb()))).toEqual(['converged:1']);
    expect((await send(client, vip, 53, 20, [`${net}.2`])).none).toBe(0);
  });

  it('restores the UDP part, with a new checker in the new namespace, after `ip netns del` by hand', async () => {
    const dir = lbPaths(runDir, lbId).dir;
    const old = checkerPid(dir);
    await sh('ip', ['netns', 'del', netnsName(lbId)]);
    const outs = kinds(await once(lb()));
    expect(outs).toEqual(['converged:5']); // CreateNetns, StopHaproxy (stray), PlugVip, WriteNft, StartHaproxy
    const now = checkerPid(dir);
    expect(now).not.toBeNull();
    expect(now).not.toBe(old);
    expect(old !== null && existsSync(`/proc/${old}`)).toBe(false);
    expect((await send(client, vip, 53, 20, [`${net}.2`])).none).toBe(0);
    expect(kinds(await once(lb()))).toEqual(['converged:0']);
  });

  it('reports members ONLINE once checked, and counts bytes and flows per listener', async () => {
    const d = lb();
    await until('both members checked', () => health(d), (h) => h.w1 === 'ONLINE' && h.w2 === 'ONLINE', 10_000);
    // Flows whose 5-tuple conntrack still knows are no new flows: start from none, and send 40 at once (40 distinct ports).
    await sh('ip', ['netns', 'exec', netnsName(lbId), 'conntrack', '-F']).catch(() => undefined);
    const before = (await rows()).find((x) => x.pxname === UDP_LISTENER && x.svname === 'FRONTEND');
    await send(client, vip, 53, 40, [`${net}.2`]);
    const after = (await rows()).find((x) => x.pxname === UDP_LISTENER && x.svname === 'FRONTEND');
    const pick = (x?: Record<string, string>) => JSON.stringify({ stot: x?.stot, bin: x?.bin, bout: x?.bout });
    console.log(`listener counters before ${pick(before)} after 40 flows ${pick(after)}`);
    expect(Number(after?.stot) - Number(before?.stot)).toBe(40);
    // 40 datagrams in ("ping", 32 bytes with IP and UDP headers), 40 out ("w1 <client>" or "w2 <client>").
    expect(Number(after?.bin) - Number(before?.bin)).toBe(40 * 32);
    expect(Number(after?.bout) - Number(before?.bout)).toBeGreaterThanOrEqual(40 * 36);
  });

  it('takes a killed member out of rotation and reports it down (ERROR, as haproxy-backed members), then back', async () => {
    const d = lb();
    await echoes.get('w1')?.stop();
    const down = await until('w1 down', () => health(d), (h) => h.w1 === 'ERROR');
    console.log(`member killed -> reported down in ${down.ms} ms (delay 1 s, fall 2)`);
    const r = await send(client, vip, 53, 100, [`${net}.2`]);
    expect(r).toMatchObject({ none: 0, replies: { w2: 100 } });
    echoes.set('w1', await startEcho(w1, 'w1', 5353));
    const up = await until('w1 up', () => health(d), (h) => h.w1 === 'ONLINE');
    console.log(`member restarted -> ONLINE in ${up.ms} ms`);
    const back = await until('w1 in rotation', () => send(client, vip, 53, 100, [`${net}.2`]), (x) => (x.replies.w1 ?? 0) > 0, 5000);
    expect(back.value.none).toBe(0);
  });

  it('keeps each source address on one member with SOURCE_IP, across sources on both members', async () => {
    const d = lb(udpPool({
      lbAlgorithm: 'SOURCE_IP',
      members: [member({ memberId: WEB1, address: `${net}.11`, protocolPort: 5353 }), member({ memberId: WEB2, address: `${net}.12`, protocolPort: 5353 })],
    }));
    expect(kinds(await once(d))).toEqual(['converged:1']); // WriteNft only: haproxy has nothing of UDP
    const r = await send(client, vip, 53, 240, sources);
    console.log(`SOURCE_IP: 12 sources x 20 flows -> ${JSON.stringify(r.replies)}; members per source ${JSON.stringify(Object.values(r.bySource).map((m) => Object.keys(m).join('+')))}`);
    expect(r.none).toBe(0);
    for (const src of sources) expect(Object.keys(r.bySource[src] ?? {})).toHaveLength(1);
    expect(Object.keys(r.replies).sort()).toEqual(['w1', 'w2']);
  });

  it('spreads one source address over the members by its ports with SOURCE_IP_PORT', async () => {
    const d = lb(udpPool({
      lbAlgorithm: 'SOURCE_IP_PORT',
      members: [member({ memberId: WEB1, address: `${net}.11`, protocolPort: 5353 }), member({ memberId: WEB2, address: `${net}.12`, protocolPort: 5353 })],
    }));
    expect(kinds(await once(d))).toEqual(['converged:1']);
    const r = await send(client, vip, 53, 80, [`${net}.2`]);
    console.log(`SOURCE_IP_PORT: one source, 80 flows (80 ports) -> ${JSON.stringify(r.replies)}`);
    expect(r.none).toBe(0);
    expect(Object.keys(r.replies).sort()).toEqual(['w1', 'w2']);
  });

  it('removes the table and the checker when the LB has no UDP any more', async () => {
    const dir = lbPaths(runDir, lbId).dir;
    const pid = checkerPid(dir);
    expect(kinds(await once(lb(null)))).toEqual(['converged:1']); // RemoveNft (haproxy's config had nothing of UDP)
    expect(await sh('ip', ['netns', 'exec', netnsName(lbId), 'nft', 'list', 'tables'])).not.toContain('lbaas_udp');
    await until('checker gone', async () => (pid !== null && existsSync(`/proc/${pid}`) ? 'running' : 'gone'), (x) => x === 'gone', 5000);
    expect(existsSync(udpFiles(dir).model)).toBe(false);
    expect(kinds(await once(lb(null)))).toEqual(['converged:0']);
  });

  it('rejects an SCTP listener naming the kernel, and serves on', async () => {
    const bad = desiredLb({ ...lb(), listeners: [listener({ listenerId: UDP_LISTENER, protocol: 'SCTP', protocolPort: 53, defaultPoolId: null })], pools: [] });
    expect(kinds(await once(bad))).toEqual([expect.stringMatching(/^rejected:listener .*CONFIG_IP_SCTP is not set/)]);
  });
});
