import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canUseNetns, createBridge, createNetnsOnBridge, netnsRunId, removeLinks, removeNetns, sh } from '@lbaas/testing';
import { hostVethName, netnsName } from '../layout';
import { LinuxHost } from './linux-host';

/**
 * An IPv6 VIP as the agent plumbs it, in real namespaces: usable at once (no duplicate address detection on vip0: not
 * tentative, the source of traffic to its subnet right after PlugVip returns; with DAD it was tentative for 1-2 s, and
 * a new host's health checks went out from ::1) and announced at once (the kernel's unsolicited neighbour
 * advertisement, which waited for DAD): a neighbour that cached another MAC for it updates its entry without sending
 * anything, well within the 1 s DAD takes at the least (RetransTimer). The same for an IPv6 additional VIP, and for a
 * VIP plugged again into a namespace that lost it.
 */
const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: ipv6-vip.int.spec.ts needs root (real namespaces)');

type AddrInfo = { family: string; local: string; prefixlen: number; tentative?: boolean; dadfailed?: boolean };
type Neigh = { dst: string; lladdr?: string };

suite('IPv6 VIP plumbing: no DAD, announced at once (real namespaces)', () => {
  const run = netnsRunId();
  const v6 = `fd00:6d:${(parseInt(run, 16) & 0xffff).toString(16)}:1:`;
  const [vip, extra, neighbourAddr] = [`${v6}:50`, `${v6}:51`, `${v6}:2`];
  const bridge = `br6${run}`;
  const nb = `v6n${run}`;
  const lbId = `c3${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const ns = netnsName(lbId);
  const root = mkdtempSync(join(tmpdir(), 'lbaas-v6vip-'));
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir: join(root, 'run'), haproxyBin: 'haproxy', garpCount: 3 });
  // DAD takes RetransTimer (1 s) at the least, plus a random delay up to 1 s: an entry that moved sooner was announced
  // without it.
  const SOON_MS = 600;
  const BOGUS = '02:00:00:00:00:99';
  let dump: ChildProcess | null = null;
  const advertised: { t: number; target: string }[] = [];

  const vipAddrs = async (): Promise<AddrInfo[]> =>
    ((JSON.parse(await sh('ip', ['-n', ns, '-6', '-j', 'addr', 'show', 'dev', 'vip0'])) as { addr_info?: AddrInfo[] }[])[0]?.addr_info ?? []);
  const vipMac = async () => (JSON.parse(await sh('ip', ['-n', ns, '-j', 'link', 'show', 'vip0'])) as { address: string }[])[0].address;
  const neighbour = async (dst: string): Promise<string | undefined> =>
    (JSON.parse((await sh('ip', ['-n', nb, '-j', 'neigh', 'show', 'dev', 'eth0'])) || '[]') as Neigh[]).find((n) => n.dst === dst)?.lladdr;
  /** The neighbour believes `dst` is at another host's MAC (a stale entry: its kernel sends nothing for it unasked). */
  const staleAt = (...dsts: string[]) => sh('ip', ['-n', nb, '-batch', '-'], dsts.map((d) => `neigh replace ${d} lladdr ${BOGUS} dev eth0 nud stale`).join('\n') + '\n');
  const movedTo = async (dst: string, mac: string, ms: number): Promise<number> => {
    const t = Date.now();
    for (; Date.now() - t < ms; await new Promise((r) => setTimeout(r, 20))) if ((await neighbour(dst)) === mac) return Date.now() - t;
    throw new Error(`the neighbour's entry for ${dst} is ${await neighbour(dst)}, not ${mac}, ${ms} ms on`);
  };
  /** Neighbour advertisements for `target` the neighbour received since `since` (tcpdump's lines may trail the kernel). */
  const advertisementsFor = async (target: string, since: number): Promise<number> => {
    const count = () => advertised.filter((a) => a.target === target && a.t >= since).length;
    for (const t = Date.now(); count() === 0 && Date.now() - t < 1000;) await new Promise((r) => setTimeout(r, 20));
    return count();
  };

  beforeAll(async () => {
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: nb, bridge, hostIf: `${nb}h`, cidr: '10.0.0.2/24' });
    await sh('ip', ['-n', nb, 'addr', 'add', `${neighbourAddr}/64`, 'dev', 'eth0', 'nodad']);
    // Every neighbour advertisement the neighbour receives (ICMPv6 type 136), with its target.
    dump = spawn('ip', ['netns', 'exec', nb, 'tcpdump', '-l', '-n', '-i', 'eth0', 'icmp6 and ip6[40] == 136'], { stdio: ['ignore', 'pipe', 'pipe'] });
    dump.stdout?.on('data', (d: Buffer) => {
      for (const m of d.toString().matchAll(/neighbor advertisement, tgt is (\S+?),/g)) advertised.push({ t: Date.now(), target: m[1] });
    });
    await new Promise<void>((resolve, reject) => {
      dump?.stderr?.on('data', (d: Buffer) => { if (/listening on/.test(d.toString())) resolve(); });
      dump?.once('exit', (c) => reject(new Error(`tcpdump exited ${c}`)));
    });
  }, 30_000);

  afterAll(async () => {
    dump?.kill('SIGTERM');
    await host.destroy(lbId).catch(() => undefined);
    await removeNetns(nb);
    await removeLinks(`${nb}h`, hostVethName(lbId), bridge);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('a new namespace\'s IPv6 VIP is usable at once and the neighbour\'s stale entry moves to it unasked', async () => {
    await staleAt(vip);
    const t0 = Date.now();
    await host.apply({ kind: 'CreateNetns', lbId, netns: ns, hostIf: hostVethName(lbId), bridge });
    await host.apply({ kind: 'PlugVip', lbId, netns: ns, hostIf: hostVethName(lbId), bridge, address: vip, prefixLen: 64, gatewayIp: null, quiet: false, fresh: true, ipv6: true });
    const plugged = Date.now();
    // Right after PlugVip: not tentative (DAD would keep it so for 1-2 s), and the source for its own subnet.
    const info = (await vipAddrs()).find((a) => a.local === vip);
    expect(info).toMatchObject({ prefixlen: 64 });
    expect(info?.tentative).toBeUndefined();
    expect(await sh('ip', ['-n', ns, '-6', 'route', 'get', neighbourAddr])).toContain(` src ${vip} `);
    const mac = await vipMac();
    const ms = await movedTo(vip, mac, SOON_MS);
    expect(await advertisementsFor(vip, t0)).toBeGreaterThanOrEqual(1);
    console.log(`IPv6 VIP plugged in ${plugged - t0} ms; the neighbour's entry moved to ${mac} ${ms} ms after PlugVip returned`);
  });

  it('an IPv6 additional VIP: usable at once and announced at once too', async () => {
    await staleAt(extra);
    const t0 = Date.now();
    await host.apply({ kind: 'PlugExtraVips', lbId, netns: ns, add: [{ address: extra, prefixLen: 64 }] });
    const info = (await vipAddrs()).find((a) => a.local === extra);
    expect(info).toMatchObject({ prefixlen: 64 });
    expect(info?.tentative).toBeUndefined();
    await movedTo(extra, await vipMac(), SOON_MS);
    expect(await advertisementsFor(extra, t0)).toBeGreaterThanOrEqual(1);
  });

  it('the VIP plugged again into a namespace that lost it (a withdrawal, then a repair): usable at once and announced', async () => {
    await host.withdrawVips();
    expect(await vipAddrs()).not.toContainEqual(expect.objectContaining({ local: vip }));
    await staleAt(vip);
    const t0 = Date.now();
    await host.apply({ kind: 'PlugVip', lbId, netns: ns, hostIf: hostVethName(lbId), bridge, address: vip, prefixLen: 64, gatewayIp: null, quiet: false, fresh: false, ipv6: true });
    expect((await vipAddrs()).find((a) => a.local === vip)?.tentative).toBeUndefined();
    await movedTo(vip, await vipMac(), SOON_MS);
    expect(await advertisementsFor(vip, t0)).toBeGreaterThanOrEqual(1);
  });
});
