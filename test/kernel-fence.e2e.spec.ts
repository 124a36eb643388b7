import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canUseNetns, netnsRunId } from '@lbaas/testing';
import { apiClient, type ApiClient } from './support/stack';
import { servedLoadBalancer, startHostsLab, startProber, stopProbers, type Host, type HostsLab } from './support/hosts';
import { watchArp } from './support/vrrp-pair';

/**
 * The fence holds when the whole agent service dies (issue 14): the agent, its lease watchdog and haproxy are SIGKILLed
 * together (an OOM or cgroup kill, `systemctl stop` with the default kill mode) while the host, its namespaces, veths
 * and addresses live on. Nothing of the agent is left to withdraw the VIP; the kernel fence's lease element expires
 * and the kernel alone stops the old copy answering: no ARP reply and no TCP answer (not even a reset) for the VIP from
 * the old host once the load balancer has moved, while traffic flows through the new host. An agent restart on the old
 * host then tears the stale copy down without it answering again; with nobody to declare the agent down (no watcher)
 * the VIP still goes dark, and the agent's restart brings its service back.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/kernel-fence.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

maybe('kernel fence: the whole agent service of the hosting host dies, its kernel state stays', () => {
  const id = netnsRunId();
  let lab: HostsLab;
  let api: ApiClient;
  const ids: Record<string, string> = {};
  const ns = () => `qlbaas-${ids.lb}`;
  const waitActive = (ms = 20_000) => api.waitFor(`/v2/lbaas/loadbalancers/${ids.lb}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
  const hostingAgent = async (): Promise<string | undefined> => (await api.get(`/v2.0/lbaas/loadbalancers/${ids.lb}/loadbalancer-hosting-agent`)).body.agent?.host?.replace(/^host-/, '');
  const hostOf = (agentId: string): Host => lab.hosts.find((h) => h.agentId === agentId) as Host;
  const until = async <T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v) return v;
      if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what}`);
      await sleep(100);
    }
  };
  /** The VIP addresses on vip0 of the LB's namespace in host `h` (null: no namespace). */
  const vipAddresses = async (h: Host): Promise<string[] | null> => {
    const out = await lab.inHost(h, 'ip', ['-n', ns(), '-j', 'addr', 'show', 'dev', 'vip0']).catch(() => null);
    if (out === null) return null;
    return (JSON.parse(out || '[]') as { addr_info?: { local: string }[] }[])[0]?.addr_info?.map((a) => a.local) ?? [];
  };
  const leaseElement = async (h: Host) => (await lab.inHost(h, 'nft', ['list', 'set', 'bridge', `lbaas_fence_${h.agentId}`, 'lease'])).includes('ether timeout');
  /** TCP to the VIP through `mac` (the client's neighbour entry pinned to it): 'answered' (connected or reset) or 'silent'. */
  const tcpThrough = async (mac: string): Promise<'answered' | 'silent'> => {
    await new Promise<void>((res, rej) => execFile('ip', ['-n', lab.clientNs, 'neigh', 'replace', ids.vip, 'lladdr', mac, 'dev', 'eth0', 'nud', 'permanent'], (e) => (e ? rej(e) : res())));
    const script = `const s = require('net').connect(80, '${ids.vip}'); s.setTimeout(1500);`
      + `s.on('connect', () => { console.log('answered'); process.exit(0); }); s.on('error', () => { console.log('answered'); process.exit(0); });`
      + `s.on('timeout', () => { console.log('silent'); process.exit(0); });`;
    const out = await new Promise<string>((res) => execFile('ip', ['netns', 'exec', lab.clientNs, process.execPath, '-e', script], (_e, stdout) => res(String(stdout).trim())));
    await new Promise<void>((res) => execFile('ip', ['-n', lab.clientNs, 'neigh', 'del', ids.vip, 'dev', 'eth0'], () => res()));
    return out === 'answered' ? 'answered' : 'silent';
  };
  /** SIGKILL, all at once: the agent, its watchdog and every process in the LB's namespace (haproxy). Links stay up. */
  const killService = async (h: Host): Promise<number> => {
    const watchdog = Number(readFileSync(join(h.stateDir, 'watchdog.pid'), 'utf8').trim());
    const inNs = (await lab.inHost(h, 'ip', ['netns', 'pids', ns()])).split(/\s+/).filter(Boolean).map(Number);
    const pids = [h.agent?.pid as number, watchdog, ...inNs];
    expect(pids.length).toBeGreaterThanOrEqual(4); // agent, watchdog, haproxy master and worker
    const t0 = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await h.agent?.stop('SIGKILL'); // reaps it
    for (const pid of pids) await until(`pid ${pid} gone`, async () => { try { process.kill(pid, 0); return false; } catch { return true; } }, 5000);
    return t0;
  };
  const served = async (ms = 15_000) => {
    const t0 = Date.now();
    for (;;) {
      const probe = startProber(lab.clientNs, `http://${ids.vip}/`, 100, 500);
      await sleep(600);
      const probes = await probe.stop();
      if (probes.length > 0 && probes.every((p) => p.ok)) return;
      if (Date.now() - t0 > ms) throw new Error('no traffic through the VIP');
    }
  };

  beforeAll(async () => {
    lab = await startHostsLab({ id, hosts: 2 });
    api = apiClient(lab.apiUrl, { 'x-project-id': 'e2e-project' });
    Object.assign(ids, await servedLoadBalancer(api, lab, 'k', (lbId) => api.waitFor<any>(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 20_000)));
    await served();
  }, 240_000);

  afterAll(async () => {
    await stopProbers();
    await lab?.stop();
  }, 120_000);

  it('the old host never answers ARP or TCP for the VIP after the lease element expired; the new host serves; a restart tears the stale copy down without it answering', async () => {
    const from = hostOf((await hostingAgent()) as string);
    const oldMac = (await lab.vipMac(from, ids.lb)) as string;
    expect(await leaseElement(from)).toBe(true);
    const t0 = await killService(from);
    // The kernel alone: the element expires within the lease (1.5 s) of the last renewal. Watch ARP from then on.
    await until('the lease element expired', async () => !(await leaseElement(from)), 5000);
    const expiredMs = Date.now() - t0;
    const afterExpiry = await watchArp(lab.clientNs, ids.vip, `${lab.prefix}.2`);
    const to = await until('the LB moved', async () => { const a = await hostingAgent(); return a && a !== from.agentId ? a : null; });
    const movedMs = Date.now() - t0;
    await waitActive();
    const newMac = (await lab.vipMac(hostOf(to), ids.lb)) as string;
    await served();
    // The old host's kernel state is all there: namespace, veth, the VIP on vip0 (nobody withdrew it).
    expect(await vipAddresses(from)).toContain(ids.vip);
    expect(await tcpThrough(oldMac)).toBe('silent'); // without the fence its kernel would answer with a reset
    expect(await tcpThrough(newMac)).toBe('answered');
    const seen = await afterExpiry.stop();
    console.log(`whole service killed: lease element gone after ${expiredMs} ms, LB moved after ${movedMs} ms; ARP after expiry: ${seen.replies}/${seen.requests} answered by ${seen.macs.join(', ')}`);
    expect(seen.requests).toBeGreaterThan(20);
    expect(seen.macs).not.toContain(oldMac);
    expect(seen.macs).toContain(newMac);
    expect(seen.dual).toBe(0);

    // The agent starts again on the old host: its lease element is gone, so it starts fenced, withdraws, catches up and
    // destroys the copy of the LB that moved; the stale copy never answers in between.
    const duringRestart = await watchArp(lab.clientNs, ids.vip, `${lab.prefix}.2`);
    await lab.startAgent(from);
    await until('the stale copy destroyed', async () => (await vipAddresses(from)) === null, 20_000);
    expect(await leaseElement(from)).toBe(true); // granted again after the catch-up
    await sleep(500);
    const restart = await duringRestart.stop();
    expect(restart.macs).toEqual([newMac]);
    expect(from.agent?.output()).toMatch(/no lease in the kernel fence at start/);
    await served();
  });

  it('nobody declares the agent down (no watcher): the VIP still goes dark by the kernel alone, and an agent restart brings the service back', async () => {
    const on = hostOf((await hostingAgent()) as string);
    // The failover-watcher stops first: the LB stays placed on this host, only the kernel's lease can take the VIP away.
    await lab.procs.get('failover-watcher')?.stop();
    const mac = (await lab.vipMac(on, ids.lb)) as string;
    await killService(on);
    await until('the lease element expired', async () => !(await leaseElement(on)), 5000);
    const dark = await watchArp(lab.clientNs, ids.vip, `${lab.prefix}.2`);
    await sleep(2000);
    expect(await vipAddresses(on)).toContain(ids.vip);
    expect(await tcpThrough(mac)).toBe('silent');
    const seen = await dark.stop();
    expect(seen.replies).toBe(0); // (the same probe sees answers once the agent is back, below)
    // Back: the agent starts fenced, catches up, is granted its lease again and plugs its VIP: traffic flows.
    await lab.startAgent(on);
    await until('the lease element granted again', () => leaseElement(on), 20_000);
    await served(20_000);
    expect(await hostingAgent()).toBe(on.agentId);
    const back = await watchArp(lab.clientNs, ids.vip, `${lab.prefix}.2`);
    await sleep(1000);
    const answered = await back.stop();
    expect(answered.replies).toBeGreaterThan(20);
    expect(answered.macs).toEqual([mac]);
    await lab.startApp('failover-watcher', 'failover-watcher');
  });
});
