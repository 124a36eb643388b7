import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fenceTable, FENCE_FAMILY } from '@lbaas/nft-config';
import { canUseNetns, createBridge, desiredLb, listener, member, netnsRunId, pool, removeLinks, sh } from '@lbaas/testing';
import { hostVethName, lbPaths, netnsName, VIP_IF } from '../layout';
import { reconcileOnce } from '../reconciler';
import { BUILD_NICE, LEASE_BOOST, run, SERVING_NICE, setThreadNice } from './exec';
import { KernelFence } from './kernel-fence';
import { LinuxHost } from './linux-host';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: priority.int.spec.ts needs root (real netns + haproxy)');

/** The nice value of a process or thread (field 19 of its stat; the name in field 2 may hold spaces). */
const niceOf = (path: string): number => Number(readFileSync(`${path}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[16]);
const tasksOf = (pid: number): string[] => readdirSync(`/proc/${pid}/task`).map((t) => `/proc/${pid}/task/${t}`);

suite('the priorities of the agent\'s helpers, and a new LB\'s plumbing in one process (issue 11)', () => {
  const id = netnsRunId();
  const bridge = `brp${id}`;
  const agentId = `prio-${id}`;
  const lbId = `aa${id}00-aaaa-4bbb-8ccc-${id}${id}`;
  const net = `10.233.${(parseInt(id, 16) % 200) + 20}`;
  const root = mkdtempSync(join(tmpdir(), 'lbaas-prio-'));
  const runDir = join(root, 'run');
  const fence = new KernelFence(agentId);
  const host = new LinuxHost({ stateDir: join(root, 'state'), runDir, haproxyBin: process.env.HAPROXY_BIN ?? 'haproxy', fence, garpCount: 1 });
  const lb = desiredLb({
    lbId,
    vip: { address: `${net}.10`, prefixLen: 24, gatewayIp: `${net}.1`, networkId: 'n', subnetId: 's', bridge: { kind: 'mapped', name: bridge, physicalNetwork: 'physnet1' } },
    listeners: [listener({ protocolPort: 80 })],
    pools: [pool({ members: [member({ address: `${net}.11` })] })],
  });

  beforeAll(async () => {
    await createBridge(bridge);
    await fence.ensure([]);
  });
  afterAll(async () => {
    await host.destroy(lbId).catch(() => undefined);
    await fence.remove().catch(() => undefined);
    await removeLinks(bridge);
    rmSync(root, { recursive: true, force: true });
  });

  it('runs a build step BUILD_NICE below the agent, everything else at its priority', async () => {
    const nice = async (build: boolean) => Number((await run('sh', ['-c', 'cut -d" " -f19 /proc/self/stat'], { build })).trim());
    expect(await nice(true)).toBe(Math.min(19, SERVING_NICE + BUILD_NICE));
    expect(await nice(false)).toBe(SERVING_NICE);
  });

  it('raises one thread (the lease keeper\'s) above the agent, and what it starts inherits that', async () => {
    const self = () => niceOf(`/proc/${readlinkSync('/proc/thread-self')}`);
    const before = self();
    try {
      expect(setThreadNice(before - LEASE_BOOST)).toBe(before - LEASE_BOOST);
      expect(self()).toBe(before - LEASE_BOOST);
      expect(Number((await run('sh', ['-c', 'cut -d" " -f19 /proc/self/stat'])).trim())).toBe(before - LEASE_BOOST);
    } finally {
      setThreadNice(before);
    }
    expect(self()).toBe(before);
  });

  it('builds a new LB (namespace, fenced veth on the bridge, VIP, route, sysctls) and serves it at the agent\'s priority', async () => {
    const outs = await reconcileOnce({ agentId, loadBalancers: [lb] }, host, { runDir, maxconnCap: 4000 });
    expect(outs.map((o) => o.kind)).toEqual(['converged']);
    const ns = netnsName(lbId);
    const hostIf = hostVethName(lbId);
    // The one helper process did all of it: the port is in the kernel fence, the veth on the bridge, the VIP inside.
    expect(await sh('nft', ['list', 'set', FENCE_FAMILY, fenceTable(agentId), 'ports'])).toContain(hostIf);
    expect(JSON.parse(await sh('ip', ['-j', 'link', 'show', hostIf]))[0]).toMatchObject({ master: bridge, operstate: expect.any(String) });
    expect(await sh('ip', ['-n', ns, '-o', 'addr', 'show', 'dev', VIP_IF])).toContain(`${net}.10/24`);
    expect(await sh('ip', ['-n', ns, 'route', 'show', 'default'])).toContain(`via ${net}.1`);
    expect((await sh('nsenter', [`--net=/run/netns/${ns}`, 'cat', '/proc/sys/net/ipv4/ip_nonlocal_bind'])).trim()).toBe('1');
    // haproxy started niced, and every thread of its master and workers is back at the agent's priority.
    const master = Number(readFileSync(lbPaths(runDir, lbId).pid, 'utf8'));
    const workers = (await sh('ps', ['-o', 'pid=', '--ppid', String(master)])).trim().split(/\s+/).map(Number);
    expect(workers.length).toBeGreaterThan(0);
    const nices = [master, ...workers].flatMap(tasksOf).map(niceOf);
    expect(nices.length).toBeGreaterThan(workers.length);
    expect(new Set(nices)).toEqual(new Set([SERVING_NICE]));
    // A second run finds nothing to do (the plumbing the one process made is what a full look sees).
    const again = await reconcileOnce({ agentId, loadBalancers: [lb] }, host, { runDir, maxconnCap: 4000 });
    expect(again.map((o) => (o.kind === 'converged' ? o.actions : o.kind))).toEqual([0]);
  });
});
