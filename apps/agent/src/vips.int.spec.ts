import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredLb, DesiredMonitor, DesiredState } from '@lbaas/projections';
import {
  canUseNetns, createBridge, createNetnsOnBridge, desiredLb, httpGetFromNetns, listener, member, monitor, netnsRunId, pool, removeLinks, removeNetns, sh,
  waitForHttp, WEB1, WEB2, type NetnsProcess,
} from '@lbaas/testing';
import { memberHealth, parseShowStat } from './health-reports';
import { LinuxHost } from './host/linux-host';
import { hostVethName, netnsName } from './layout';
import { reconcileOnce, type Outcome } from './reconciler';
import { send, startEcho, startHttp6, until } from './udp.fixtures';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: vips.int.spec.ts needs root (real netns, haproxy, nftables)');

type Neigh = { dst: string; lladdr?: string; state?: string[] };

suite('additional VIPs and IPv6 VIPs and members on a real host', () => {
  const run = netnsRunId();
  const x = (parseInt(run, 16) % 200) + 20;
  const [a, b, v6] = [`10.233.${x}`, `10.234.${x}`, `fd00:233:${x.toString(16)}:1:`];
  const bridge = `brv${run}`;
  const [w1, w2, client] = [`v${run}w1`, `v${run}w2`, `v${run}cl`];
  // Two LBs: the first with an IPv4 VIP and two additional VIPs (IPv4 on another subnet, IPv6), the second IPv6 only.
  const lb1Id = `a1${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const lb2Id = `b2${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const HTTP_POOL = 'e1e1e1e1-1111-4111-8111-111111111111';
  const UDP_POOL = 'e2e2e2e2-2222-4222-8222-222222222222';
  const root = mkdtempSync(join(tmpdir(), 'lbaas-vips-'));
  const runDir = join(root, 'run');
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy', garpCount: 2 });
  const servers: NetnsProcess[] = [];
  const BOGUS = '02:00:00:00:00:99';

  const tree = (members: { http: [string, string][]; udp: [string, string][] }, udpMonitor: DesiredMonitor | null = null) => ({
    listeners: [
      listener({ protocolPort: 80, defaultPoolId: HTTP_POOL }),
      listener({ listenerId: 'e3e3e3e3-3333-4333-8333-333333333333', protocol: 'UDP', protocolPort: 53, defaultPoolId: UDP_POOL }),
    ],
    pools: [
      pool({ poolId: HTTP_POOL, monitor: null, members: members.http.map(([id, addr]) => member({ memberId: id, address: addr, protocolPort: 8080 })) }),
      pool({ poolId: UDP_POOL, protocol: 'UDP', monitor: udpMonitor, members: members.udp.map(([id, addr]) => member({ memberId: id, address: addr, protocolPort: 5353 })) }),
    ],
  });
  const lb1 = (): DesiredLb => desiredLb({
    lbId: lb1Id,
    vip: { address: `${a}.10`, prefixLen: 24, gatewayIp: null, networkId: 'n', subnetId: 'sa', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    additionalVips: [{ address: `${b}.10`, subnetId: 'sb', prefixLen: 24 }, { address: `${v6}:10`, subnetId: 's6', prefixLen: 64 }],
    // haproxy proxies across families (an IPv4 member behind the IPv6 VIP, and back); the kernel's NAT does not.
    ...tree({ http: [[WEB1, `${a}.11`], [WEB2, `${v6}:12`]], udp: [[WEB1, `${a}.11`], [WEB2, `${v6}:12`]] }),
  });
  const lb2 = (): DesiredLb => desiredLb({
    lbId: lb2Id,
    vip: { address: `${v6}:20`, prefixLen: 64, gatewayIp: null, networkId: 'n', subnetId: 's6', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    // Its UDP members are checked over IPv6 (UDP-CONNECT).
    ...tree({ http: [[WEB2, `${v6}:12`]], udp: [[WEB1, `${v6}:11`], [WEB2, `${v6}:12`]] },
      monitor({ type: 'UDP-CONNECT', delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: null, urlPath: null, expectedCodes: null })),
  });
  const state = (...lbs: DesiredLb[]): DesiredState => ({ agentId: 'a1', loadBalancers: lbs });
  const once = (...lbs: DesiredLb[]) => reconcileOnce(state(...lbs), host, { runDir, maxconnCap: 4000 });
  const kinds = (outs: Outcome[]) => outs.map((o) => (o.kind === 'converged' ? `converged:${o.actions}` : o.kind === 'retry' ? `retry:${o.error.message}` : `rejected:${o.reason}`));
  const neigh = async (dst: string): Promise<Neigh | undefined> =>
    (JSON.parse((await sh('ip', ['-n', client, '-j', 'neigh', 'show', 'dev', 'eth0'])) || '[]') as Neigh[]).find((n) => n.dst === dst);
  const vipMac = async (lbId: string) => (JSON.parse(await sh('ip', ['-n', netnsName(lbId), '-j', 'link', 'show', 'vip0'])) as { address: string }[])[0].address;

  beforeAll(async () => {
    await createBridge(bridge);
    for (const [ns, n] of [[w1, 11], [w2, 12], [client, 2]] as const) {
      await createNetnsOnBridge({ netns: ns, bridge, hostIf: `${ns}h`, cidr: `${a}.${n}/24` });
      await sh('ip', ['-n', ns, '-batch', '-'], `addr add ${b}.${n}/24 dev eth0\naddr add ${v6}:${n}/64 dev eth0 nodad\n`);
    }
    servers.push(await startHttp6(w1, 'w1', 8080), await startHttp6(w2, 'w2', 8080));
    servers.push(await startEcho(w1, 'w1', 5353, 'udp6'), await startEcho(w2, 'w2', 5353, 'udp6'));
    // The client still has the VIPs' neighbour entries of "the old host" (another MAC): the move must correct them.
    await sh('ip', ['-n', client, '-batch', '-'], [`${b}.10`, `${v6}:10`, `${v6}:20`].map((d) => `neigh replace ${d} lladdr ${BOGUS} dev eth0 nud stale`).join('\n') + '\n');
  }, 30_000);

  afterAll(async () => {
    for (const id of [lb1Id, lb2Id]) await host.destroy(id).catch(() => undefined);
    for (const s of servers) await s.stop();
    await removeNetns(w1, w2, client);
    await removeLinks(`${w1}h`, `${w2}h`, `${client}h`, hostVethName(lb1Id), hostVethName(lb2Id), bridge);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('plugs every VIP and announces each: gratuitous ARP (IPv4) and the kernel\'s unsolicited neighbour advertisement (IPv6)', async () => {
    const t0 = Date.now();
    // LB1: CreateNetns, PlugVip, PlugExtraVips, WriteNft, WriteConfig, StartHaproxy; LB2 the same without PlugExtraVips.
    expect(kinds(await once(lb1(), lb2()))).toEqual(['converged:6', 'converged:5']);
    const [mac1, mac2] = [await vipMac(lb1Id), await vipMac(lb2Id)];
    // Nothing is sent from the client meanwhile: only the announcements can move its entries.
    const moved = await until('neighbour entries moved', async () => ({ b: (await neigh(`${b}.10`))?.lladdr, v6: (await neigh(`${v6}:10`))?.lladdr, v6b: (await neigh(`${v6}:20`))?.lladdr }),
      (n) => n.b === mac1 && n.v6 === mac1 && n.v6b === mac2, 10_000);
    console.log(`client's stale neighbour entries for ${b}.10, ${v6}:10, ${v6}:20 moved to the new MACs ${Date.now() - t0} ms after the reconcile began (${moved.ms} ms after it returned)`);
  });

  it('serves HTTP on the VIP and on each additional VIP, IPv4 and IPv6, with members of both families', async () => {
    for (const url of [`http://${a}.10/`, `http://${b}.10/`, `http://[${v6}:10]/`, `http://[${v6}:20]/`]) {
      const r = await waitForHttp(client, url, (res) => res.status === 200, 10_000);
      expect(r.body).toMatch(/^w[12] src=/);
    }
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await httpGetFromNetns(client, `http://[${v6}:10]/`)).body.split(' ')[0]);
    expect([...seen].sort()).toEqual(['w1', 'w2']); // an IPv6 VIP in front of an IPv4 and an IPv6 member
    expect((await httpGetFromNetns(client, `http://[${v6}:20]/`)).body).toMatch(new RegExp(`^w2 src=${v6}:20`)); // IPv6 end to end
  });

  it('carries UDP on every VIP, each family to the members of its family', async () => {
    const v4main = await send(client, `${a}.10`, 53, 40, [`${a}.2`]);
    const v4extra = await send(client, `${b}.10`, 53, 40, [`${b}.2`]);
    const v6extra = await send(client, `${v6}:10`, 53, 40, [`${v6}:2`], 'udp6');
    const v6main = await send(client, `${v6}:20`, 53, 80, [`${v6}:2`], 'udp6');
    console.log(`UDP per VIP: ${JSON.stringify({ v4main: v4main.replies, v4extra: v4extra.replies, v6extra: v6extra.replies, v6main: v6main.replies })}`);
    expect(v4main).toMatchObject({ none: 0, replies: { w1: 40 } });
    expect(v4extra).toMatchObject({ none: 0, replies: { w1: 40 } });
    expect(v6extra).toMatchObject({ none: 0, replies: { w2: 40 } });
    expect(v6main.none).toBe(0);
    expect(Object.keys(v6main.replies).sort()).toEqual(['w1', 'w2']);
    expect(Object.keys(v6main.from)).toEqual([`${v6}:20:53`]); // replies from the VIP itself
  });

  it('checks IPv6 UDP members and reports them ONLINE', async () => {
    const d = lb2();
    const seen = await until('IPv6 UDP members checked', async () => memberHealth(d, parseShowStat(await host.statsCsv(lb2Id))).filter((h) => h.poolId === UDP_POOL),
      (hs) => hs.length === 2 && hs.every((h) => h.status === 'ONLINE'), 10_000);
    console.log(`IPv6 UDP members ONLINE ${seen.ms} ms after the check began`);
  });

  it('does nothing on a second run', async () => {
    expect(kinds(await once(lb1(), lb2()))).toEqual(['converged:0', 'converged:0']);
  });

  it('rejects an additional VIP whose subnet is unknown, naming it', async () => {
    const bad = { ...lb1(), additionalVips: [{ address: `${b}.10`, subnetId: 'nowhere', prefixLen: null }] };
    expect(kinds(await once(bad, lb2()))).toEqual([`rejected:subnet nowhere of additional VIP ${b}.10 is unknown`, 'converged:0']);
  });
});
