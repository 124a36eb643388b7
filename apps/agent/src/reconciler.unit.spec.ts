import { createLogger } from '@lbaas/app-shell';
import type { DesiredLb } from '@lbaas/projections';
import { desiredLb, listener } from '@lbaas/testing';
import type { Host, ObserveOptions } from './host/linux-host';
import type { Action, Observed, ObservedLb } from './plan';
import { Reconciler, type Reporter } from './reconciler';

/**
 * The reconciler's scheduling (issue 11): LBs run on their own, at most `concurrency` at once; a slow LB holds one slot
 * and never the others; a kick during a run queues one more run that reads the latest desired state; an LB that keeps
 * failing is reported rejected with the error. The host here is a small in-memory one (the Host boundary: what exists
 * per LB), not a stand-in for haproxy: the real host is tested in reconciler.int.spec.ts and runtime-servers.int.spec.ts.
 */
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (n: number) => Array.from({ length: n }, (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`);
const lb = (lbId: string, o: Partial<DesiredLb> = {}) => desiredLb({ lbId, listeners: [listener({ defaultPoolId: null })], pools: [], ...o });

/** Builds each LB "for real" in memory: a namespace, a plumbed VIP, a config and a running haproxy per LB. */
class MemoryHost implements Host {
  readonly built = new Map<string, ObservedLb>();
  active = 0;
  maxActive = 0;
  /** lbId -> how long its StartHaproxy takes (ms). */
  readonly slow = new Map<string, number>();
  /** lbId -> the error its PlugVip throws. */
  readonly failing = new Map<string, string>();

  async observe(lbIds: readonly string[], _opts?: ObserveOptions): Promise<Observed> {
    return new Map(lbIds.flatMap((id) => { const o = this.built.get(id); return o ? [[id, o] as const] : []; }));
  }

  owned(): string[] {
    return [...this.built.keys()];
  }

  async apply(a: Action): Promise<void> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const o: ObservedLb = this.built.get(a.lbId) ?? { lbId: a.lbId, owned: true, netns: false, plumbing: null, configDigest: null, haproxy: null, handover: { quiet: false, steering: false } };
      switch (a.kind) {
        case 'CreateNetns': this.built.set(a.lbId, { ...o, netns: true }); break;
        case 'PlugVip': {
          const err = this.failing.get(a.lbId);
          if (err) throw new Error(err);
          this.built.set(a.lbId, { ...o, plumbing: { hostIfMaster: a.bridge, hostIfUp: true, vipIfUp: true, loUp: true, addresses: [`${a.address}/${a.prefixLen}`], defaultVia: a.gatewayIp, nonlocalBind: true } });
          break;
        }
        case 'WriteConfig': this.built.set(a.lbId, { ...o, configDigest: a.digest }); break;
        case 'StartHaproxy': {
          const ms = this.slow.get(a.lbId) ?? 5;
          await sleep(ms);
          this.built.set(a.lbId, { ...(this.built.get(a.lbId) as ObservedLb), haproxy: { pid: 1, inNetns: true, running: a.running } });
          break;
        }
        case 'Destroy': this.built.delete(a.lbId); break;
        default: break;
      }
    } finally {
      this.active -= 1;
    }
  }
}

const reporter = () => {
  const sent: string[] = [];
  const r: Reporter = {
    applied: async (d) => { sent.push(`applied ${d.lbId} v${d.version}`); },
    rejected: async (d, reason) => { sent.push(`rejected ${d.lbId} v${d.version}: ${reason}`); },
    prepared: async (d) => { sent.push(`prepared ${d.lbId}`); },
    released: async (d) => { sent.push(`released ${d.lbId}`); },
    drained: async (d) => { sent.push(`drained ${d.lbId}`); },
  };
  return { r, sent };
};
const logger = createLogger('agent-test', {}, 'silent');

describe('Reconciler (work queue)', () => {
  let rec: Reconciler | null = null;
  afterEach(async () => { await rec?.stop(); rec = null; });

  it('builds every LB with at most `concurrency` host steps at once, and reports each as it finishes', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const lbs = ids(20).map((id) => lb(id));
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: lbs }), reporter: r, logger, resyncIntervalMs: 60_000, concurrency: 3 });
    rec.start();
    await rec.idle();
    expect(host.maxActive).toBeLessThanOrEqual(3);
    expect(host.maxActive).toBeGreaterThan(1);
    expect(sent.filter((s) => s.startsWith('applied'))).toHaveLength(20);
    expect([...host.built.values()].every((o) => o.haproxy !== null)).toBe(true);
  });

  it('a slow LB holds one slot, never the others: they are all built and reported while it still starts', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [stuck, ...rest] = ids(10);
    host.slow.set(stuck, 600); // a haproxy that takes its time (host steps have their own timeouts)
    const lbs = [stuck, ...rest].map((id) => lb(id));
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: lbs }), reporter: r, logger, resyncIntervalMs: 60_000, concurrency: 2 });
    rec.start();
    const t0 = Date.now();
    while (sent.length < rest.length && Date.now() - t0 < 5000) await sleep(10);
    expect(Date.now() - t0).toBeLessThan(400);
    expect(sent.sort()).toEqual(rest.map((id) => `applied ${id} v7`).sort());
    expect(host.built.get(stuck)?.haproxy ?? null).toBeNull();
    await rec.idle();
    expect(sent).toContain(`applied ${stuck} v7`);
  });

  it('a change to a serving LB runs before queued new builds (one tenant\'s burst does not hold another\'s change)', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [served, ...burst] = ids(21);
    let servedLb = lb(served, { version: 7 });
    const lbs = () => [servedLb, ...burst.map((id) => lb(id))];
    for (const id of burst) host.slow.set(id, 30);
    let wanted = [servedLb];
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: wanted }), reporter: r, logger, resyncIntervalMs: 60_000, concurrency: 2 });
    rec.start();
    await rec.idle();
    wanted = lbs();
    rec.kick('commit', burst); // 20 new LBs queued: 10 rounds of 2 builds
    await sleep(5);
    servedLb = lb(served, { version: 8, listeners: [listener({ defaultPoolId: null, protocolPort: 81 })] });
    wanted = lbs();
    rec.kick('commit', [served]);
    await rec.idle();
    const at = sent.indexOf(`applied ${served} v8`);
    expect(at).toBeGreaterThan(0);
    expect(sent.slice(1, at).length).toBeLessThanOrEqual(4); // only the builds already running (and one slot) went before it
  });

  it("a new LB of project B is built after one more of A's, not after A's queued burst of 40 builds", async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [bLb, ...aLbs] = ids(41);
    for (const id of aLbs) host.slow.set(id, 5);
    let wanted: DesiredLb[] = [];
    rec = new Reconciler({
      host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: wanted }), reporter: r, logger, resyncIntervalMs: 60_000,
      concurrency: 1, projectOf: (id) => (id === bLb ? 'project-b' : 'project-a'),
    });
    rec.start();
    await rec.idle();
    wanted = [...aLbs, bLb].map((id) => lb(id));
    rec.kick('commit', aLbs); // A's 40 builds queued (one starts at once)
    rec.kick('commit', [bLb]); // then B's one
    await rec.idle();
    const order = sent.map((s) => s.split(' ')[1]);
    expect(order).toHaveLength(41);
    // First come, first served would build B's 41st; in turns it is the third at most (A's running one, one turn of A's).
    expect(order.indexOf(bLb)).toBeLessThanOrEqual(2);
  });

  it("the resync timer's drift checks of serving LBs wait for queued builds, and take at most a quarter of the slots", async () => {
    const host = new MemoryHost();
    const { r } = reporter();
    const served = ids(8);
    const builds = ids(20).slice(8);
    let wanted = served.map((id) => lb(id));
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: wanted }), reporter: r, logger, resyncIntervalMs: 60_000, concurrency: 4 });
    rec.start();
    await rec.idle();
    const looks: string[] = [];
    let inFlight = 0;
    let most = 0;
    const observe = host.observe.bind(host);
    host.observe = async (lbIds, opts) => {
      looks.push(...lbIds);
      const resync = lbIds.every((id) => served.includes(id));
      if (resync) most = Math.max(most, ++inFlight);
      try { await sleep(5); return await observe(lbIds, opts); } finally { if (resync) inFlight--; }
    };
    wanted = [...served, ...builds].map((id) => lb(id));
    rec.kick('resync'); // every LB, full looks (one of them starts at once: nothing else is queued yet)
    rec.kick('commit', builds);
    await rec.idle();
    expect(most).toBe(1); // a quarter of 4 slots
    const lastBuild = Math.max(...builds.map((id) => looks.indexOf(id)));
    const checksBefore = served.filter((id) => looks.indexOf(id) < lastBuild).length;
    expect(checksBefore).toBeLessThanOrEqual(2); // the one started before the builds were queued (and one racing it)
    expect(new Set(looks)).toEqual(new Set([...served, ...builds]));
  });

  it('a kick during a run queues one more run, which reads the latest desired state', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [id] = ids(1);
    host.slow.set(id, 50);
    let current = lb(id, { version: 7 });
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: [current] }), reporter: r, logger, resyncIntervalMs: 60_000, concurrency: 4 });
    rec.start();
    await sleep(10);
    current = lb(id, { version: 8, listeners: [listener({ defaultPoolId: null, protocolPort: 81 })] });
    rec.kick('commit', [id]);
    rec.kick('commit', [id]);
    await rec.idle();
    expect(sent).toEqual([`applied ${id} v7`, `applied ${id} v8`]);
  });

  it('an LB that keeps failing is reported rejected with the error after three runs, and still retried', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [bad, good] = ids(2);
    host.failing.set(bad, 'Device "brnope" does not exist');
    const lbs = [lb(bad), lb(good)];
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: lbs }), reporter: r, logger, resyncIntervalMs: 60_000, retryDelayMs: 10, concurrency: 2 });
    rec.start();
    const t0 = Date.now();
    while (!sent.some((s) => s.startsWith(`rejected ${bad}`)) && Date.now() - t0 < 5000) await sleep(10);
    expect(sent).toContain(`applied ${good} v7`);
    expect(sent).toContain(`rejected ${bad} v7: Device "brnope" does not exist`);
    // it heals: the next retry builds it, and the same version is reported applied
    host.failing.delete(bad);
    while (!sent.includes(`applied ${bad} v7`) && Date.now() - t0 < 5000) await sleep(10);
    expect(sent).toContain(`applied ${bad} v7`);
  });

  it('a pair\'s old master whose release ended reports drained, once, and not again once the report is in its desired state', async () => {
    const host = new MemoryHost();
    const { r, sent } = reporter();
    const [id] = ids(1);
    const at = new Date().toISOString();
    let d = lb(id, {
      epoch: 2, pair: { role: 'BACKUP', amphora: 0, vrrpAddress: '10.231.0.21', peerAddress: '10.231.0.22' },
      handover: { role: 'outgoing', toAgentId: 'a2', toEpoch: 2, placedAt: at, preparedAt: at, releasedAt: at, servedAt: at, drainedAt: null },
    });
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: [d] }), reporter: r, logger, resyncIntervalMs: 60_000 });
    rec.start();
    await rec.idle();
    rec.kick('test', [id]);
    await rec.idle();
    rec.kick('test', [id]);
    await rec.idle();
    expect(sent).toEqual([`drained ${id}`]); // never applied: the old master's reports are hand-over steps only
    await rec.stop();
    d = { ...d, handover: { ...(d.handover as Extract<DesiredLb['handover'], { role: 'outgoing' }>), drainedAt: at } };
    rec = new Reconciler({ host, runDir: '/run/lbaas/t', desired: () => ({ agentId: 'a', loadBalancers: [d] }), reporter: r, logger, resyncIntervalMs: 60_000 });
    rec.start();
    await rec.idle();
    expect(sent).toEqual([`drained ${id}`]);
  });
});
