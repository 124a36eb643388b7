import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import {
  canUseNetns, createBridge, createNetnsOnBridge, desiredLb, listener, member, netnsRunId, pool, removeLinks, removeNetns, sh, waitForHttp, WEB1,
  type NetnsProcess,
} from '@lbaas/testing';
import { hostVethName, netnsName, VIP_IF } from '../layout';
import { reconcileOnce, type Outcome } from '../reconciler';
import { startHttp6 } from '../udp.fixtures';
import { LinuxHost } from './linux-host';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: ipv6-off.int.spec.ts needs root (real netns, haproxy)');

/**
 * IPv6 is off on the VIP interface of an LB without an IPv6 address, and the bridge port of every LB has no link-local
 * address (issue 11): each new interface with IPv6 sends ~6 messages (duplicate address detection, MLD reports, router
 * solicitations) that the bridge floods to every LB namespace on it, a cost that grows with the square of the LBs per
 * host. The kernel's own per-interface counters (/proc/net/dev_snmp6) say what each end sent.
 */
suite('IPv6 only where an LB has an IPv6 address (a real host)', () => {
  const run = netnsRunId();
  const x = (parseInt(run, 16) % 200) + 20;
  const [a, v6] = [`10.236.${x}`, `fd00:236:${x.toString(16)}:1:`];
  const bridge = `bri${run}`;
  const [w1, client] = [`i${run}w1`, `i${run}cl`];
  const v4Id = `c4${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const v6Id = `d6${run}00-aaaa-4bbb-8ccc-${run}${run}`;
  const root = mkdtempSync(join(tmpdir(), 'lbaas-ipv6-off-'));
  const runDir = join(root, 'run');
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy', garpCount: 1 });
  const servers: NetnsProcess[] = [];
  const mapped = { kind: 'mapped' as const, name: bridge, physicalNetwork: 'physnet1' };
  const lb = (lbId: string, vip: string, prefixLen: number, memberAddress: string): DesiredLb => desiredLb({
    lbId, vip: { address: vip, prefixLen, gatewayIp: null, networkId: 'n', subnetId: 's', bridge: mapped },
    listeners: [listener({ protocolPort: 80 })],
    pools: [pool({ monitor: null, members: [member({ memberId: WEB1, address: memberAddress, protocolPort: 8080 })] })],
  });
  const lbs = () => [lb(v4Id, `${a}.10`, 24, `${a}.11`), lb(v6Id, `${v6}:20`, 64, `${v6}:11`)];
  const once = (): Promise<Outcome[]> => reconcileOnce({ agentId: 'a1', loadBalancers: lbs() } satisfies DesiredState, host, { runDir, maxconnCap: 4000 });
  /** What an interface sent over IPv6 (the kernel's counters) and its IPv6 addresses; `netns` null: the root namespace. */
  const ipv6Of = async (netns: string | null, dev: string) => {
    const inNs = (cmd: string, args: string[]) => (netns ? sh('ip', ['netns', 'exec', netns, cmd, ...args]) : sh(cmd, args));
    const snmp = await inNs('cat', [`/proc/net/dev_snmp6/${dev}`]);
    const count = (name: string) => Number(new RegExp(`^${name}\\s+(\\d+)$`, 'm').exec(snmp)?.[1] ?? NaN);
    const addrs = (JSON.parse(await inNs('ip', ['-j', '-6', 'addr', 'show', 'dev', dev])) as { addr_info: { local: string }[] }[])
      .flatMap((l) => l.addr_info.map((i) => i.local));
    return { out: count('Ip6OutRequests'), icmp6: count('Icmp6OutMsgs'), addrs };
  };

  beforeAll(async () => {
    await createBridge(bridge);
    for (const [ns, n] of [[w1, 11], [client, 2]] as const) {
      await createNetnsOnBridge({ netns: ns, bridge, hostIf: `${ns}h`, cidr: `${a}.${n}/24` });
      await sh('ip', ['-n', ns, 'addr', 'add', `${v6}:${n}/64`, 'dev', 'eth0', 'nodad']);
    }
    servers.push(await startHttp6(w1, 'w1', 8080));
  }, 30_000);

  afterAll(async () => {
    for (const id of [v4Id, v6Id]) await host.destroy(id).catch(() => undefined);
    for (const s of servers) await s.stop();
    await removeNetns(w1, client);
    await removeLinks(`${w1}h`, `${client}h`, hostVethName(v4Id), hostVethName(v6Id), bridge);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('builds both and serves each VIP', async () => {
    const outs = await once();
    expect(outs.map((o) => o.kind)).toEqual(['converged', 'converged']);
    expect((await waitForHttp(client, `http://${a}.10/`, (r) => r.status === 200, 10_000)).body).toMatch(/^w1 /);
    expect((await waitForHttp(client, `http://[${v6}:20]/`, (r) => r.status === 200, 10_000)).body).toMatch(/^w1 /);
  });

  it('sends nothing over IPv6 from an IPv4-only LB, at either end of its veth', async () => {
    // Duplicate address detection (1 s), the router solicitations and MLD reports would all have gone by now.
    await new Promise((r) => setTimeout(r, 2500));
    const inside = await ipv6Of(netnsName(v4Id), VIP_IF);
    const port = await ipv6Of(null, hostVethName(v4Id));
    console.log(`IPv4-only LB: vip0 sent ${inside.out} IPv6 packets (${inside.icmp6} ICMPv6), its bridge port ${port.out} (${port.icmp6})`);
    expect(inside).toEqual({ out: 0, icmp6: 0, addrs: [] });
    expect(port).toEqual({ out: 0, icmp6: 0, addrs: [] });
    expect((await sh('ip', ['netns', 'exec', netnsName(v4Id), 'cat', `/proc/sys/net/ipv6/conf/${VIP_IF}/disable_ipv6`])).trim()).toBe('1');
  });

  it('keeps IPv6 on an IPv6 LB\'s interface (its VIP and link-local address), while its bridge port has none', async () => {
    const inside = await ipv6Of(netnsName(v6Id), VIP_IF);
    const port = await ipv6Of(null, hostVethName(v6Id));
    expect(inside.addrs).toEqual(expect.arrayContaining([`${v6}:20`, expect.stringMatching(/^fe80:/)]));
    expect(inside.out).toBeGreaterThan(0); // its neighbour discovery: it serves over IPv6 (above)
    expect(port).toEqual({ out: 0, icmp6: 0, addrs: [] });
  });

  it('does nothing on a second run', async () => {
    expect((await once()).map((o) => (o.kind === 'converged' ? o.actions : o.kind))).toEqual([0, 0]);
  });
});
