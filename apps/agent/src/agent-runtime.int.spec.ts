import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@lbaas/app-shell';
import { subjects, type Aggregate } from '@lbaas/contracts';
import { ensureEventStream, ensureReportStream, jetStreamEventStore, type EventStore } from '@lbaas/event-store';
import type { DomainEvent } from '@lbaas/events';
import {
  canUseNetns, createBridge, createNetnsOnBridge, httpGetFromNetns, natsServerPerFile, netnsRunId, removeLinks, removeNetns,
  startHttpServer, waitForHttp, type NetnsProcess,
} from '@lbaas/testing';
import { AgentRuntime } from './agent-runtime';
import { loadConfig } from './config';
import { HM_ID, LISTENER_ID, POOL_ID, WEB1, WEB2 } from '@lbaas/testing';
import { readLease } from './fencing';
import { LinuxHost } from './host/linux-host';
import { hostVethName, netnsName } from './layout';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: agent-runtime.int.spec.ts needs root (real netns + haproxy)');

suite('AgentRuntime over a real nats-server, netns and haproxy', () => {
  const nats = natsServerPerFile();
  const run = netnsRunId();
  const net = `10.231.${(parseInt(run, 16) % 200) + 20}`;
  const bridge = `bra${run}`;
  const [web1, web2, client] = ['w1', 'w2', 'cl'].map((n) => `a${run}${n}`);
  const lbId = `5eed${run}-0000-4000-8000-0000${run}00`;
  const root = mkdtempSync(join(tmpdir(), 'lbaas-agentrt-'));
  const servers: NetnsProcess[] = [];
  const runtimes: AgentRuntime[] = [];
  const at = new Date().toISOString();
  let store: EventStore;
  const append = async (aggregate: Aggregate, id: string, ...events: DomainEvent[]) => {
    const { seq } = await store.read({ aggregate, id }); // the agent appends reports to the same aggregate
    return store.append({ aggregate, id }, { commitId: `${run}-${aggregate}.${id}-${seq}`, at, actor: { kind: 'service', service: 'test' }, events }, seq);
  };
  const lbEvents = async () => (await store.read<DomainEvent>({ aggregate: 'lb', id: lbId })).commits.flatMap((c) => c.events);
  /** What the agent reported on its own subjects (it never writes the LB's history; the scheduler relays, not here). */
  const lbReports = async () => (await store.read<DomainEvent>({ report: { kind: 'lb', agentId: config.agentId, lbId } })).commits.flatMap((c) => c.events);
  const memberReports = async (memberId: string) =>
    (await store.read<DomainEvent>({ report: { kind: 'member', agentId: config.agentId, lbId, memberId } })).commits.flatMap((c) => c.events);
  const until = async <T>(what: string, f: () => Promise<T | undefined>, ms = 15_000): Promise<T> => {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v !== undefined) return v;
      if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  // NATS_URL: the lease keeper thread (lease-worker.ts) opens its own connection; the runtime gets the test's.
  const env = {
    AGENT_ID: `t${run}`, BRIDGE_MAPPINGS: `physnet1:${bridge}`, STATE_DIR: join(root, 'state'), RUN_DIR: join(root, 'run'),
    RESYNC_INTERVAL_MS: '1000', HEALTH_POLL_MS: '300', REPORT_INTERVAL_MS: '300', LEASE_MS: '1500',
  };
  let config = loadConfig({ ...env, NATS_URL: 'nats://127.0.0.1:1' });
  const host = new LinuxHost({ stateDir: config.stateDir, runDir: config.runDir, haproxyBin: 'haproxy' });
  const startRuntime = async () => {
    const rt = new AgentRuntime(config, nats.connection, store, host, createLogger('agent', { agent_id: config.agentId }, 'warn'), 4000);
    runtimes.push(rt);
    await rt.start();
    return rt;
  };

  beforeAll(async () => {
    config = loadConfig({ ...env, NATS_URL: nats.url });
    await ensureEventStream(nats.connection);
    await ensureReportStream(nats.connection);
    store = jetStreamEventStore(nats.connection);
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: web1, bridge, hostIf: `${web1}h`, cidr: `${net}.11/24` });
    await createNetnsOnBridge({ netns: web2, bridge, hostIf: `${web2}h`, cidr: `${net}.12/24` });
    await createNetnsOnBridge({ netns: client, bridge, hostIf: `${client}h`, cidr: `${net}.2/24` });
    servers.push(await startHttpServer(web1, 'web1', 8080), await startHttpServer(web2, 'web2', 8080));
  }, 30_000);

  afterAll(async () => {
    for (const rt of runtimes) await rt.stop().catch(() => undefined);
    await host.destroy(lbId).catch(() => undefined);
    for (const s of servers) await s.stop();
    await removeNetns(web1, web2, client);
    await removeLinks(`${web1}h`, `${web2}h`, `${client}h`, hostVethName(lbId), bridge);
    rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('builds a placed LB from the event history, reports it applied and its members ONLINE, and survives a restart', async () => {
    await append('network', 'net1', { type: 'NetworkCreated', v: 1, data: { networkId: 'net1', projectId: 'p', name: 'n', physicalNetwork: 'physnet1', networkType: 'flat', shared: true, at } });
    await append('subnet', 'sub1', { type: 'SubnetCreated', v: 1, data: { subnetId: 'sub1', networkId: 'net1', projectId: 'p', name: 's', ipVersion: 4, cidr: `${net}.0/24`, gatewayIp: `${net}.1`, allocationPools: [], at } });
    await append('lb', lbId,
      { type: 'LoadBalancerCreated', v: 1, data: { lbId, projectId: 'p', name: 'lb', description: '', adminStateUp: true, tags: [], vipAddress: `${net}.10`, vipSubnetId: 'sub1', vipNetworkId: 'net1', vipPortId: 'port1', provider: 'lbaas', at } },
      { type: 'ListenerCreated', v: 1, data: { lbId, listenerId: LISTENER_ID, protocol: 'HTTP', protocolPort: 80, name: '', description: '', adminStateUp: true, connectionLimit: -1, defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at } },
      { type: 'PoolCreated', v: 1, data: { lbId, poolId: POOL_ID, listenerId: LISTENER_ID, protocol: 'HTTP', name: '', description: '', adminStateUp: true, lbAlgorithm: 'ROUND_ROBIN', sessionPersistence: null, tags: [], at } },
      ...[[WEB1, 11], [WEB2, 12]].map(([memberId, host]): DomainEvent => ({ type: 'MemberCreated', v: 1, data: { lbId, poolId: POOL_ID, memberId: String(memberId), address: `${net}.${host}`, protocolPort: 8080, subnetId: null, name: '', adminStateUp: true, weight: 1, backup: false, monitorAddress: null, monitorPort: null, tags: [], at } })),
      { type: 'HealthMonitorCreated', v: 1, data: { lbId, poolId: POOL_ID, healthMonitorId: HM_ID, type: 'HTTP', name: '', adminStateUp: true, delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 2, httpMethod: 'GET', urlPath: '/', expectedCodes: '200', httpVersion: null, domainName: null, tags: [], at } });
    await startRuntime();
    const t0 = Date.now();
    await append('lb', lbId, { type: 'LoadBalancerPlaced', v: 1, data: { lbId, agentId: config.agentId, epoch: 1, reason: 'initial', at } });
    await waitForHttp(client, `http://${net}.10/`, (r) => r.status === 200);
    const answered = Date.now() - t0;
    const applied = await until('DesiredStateApplied', async () => (await lbReports()).find((e) => e.type === 'DesiredStateApplied'));
    expect(applied.data).toMatchObject({ agentId: config.agentId, epoch: 1, version: 7 });
    const online = await until('both members ONLINE', async () => {
      const s = [...await memberReports(String(WEB1)), ...await memberReports(String(WEB2))].filter((e) => e.type === 'MemberOperatingStatusChanged' && e.data.status === 'ONLINE');
      return s.length === 2 ? s : undefined;
    });
    expect((await lbEvents()).filter((e) => e.type === 'DesiredStateApplied' || e.type === 'MemberOperatingStatusChanged')).toEqual([]);
    console.log(`placement → VIP answers in ${answered} ms; applied reported and ${online.length} members ONLINE after ${Date.now() - t0} ms`);

    // Restart: stop (no teardown) — traffic continues — start again: the running haproxy is adopted, not restarted.
    await runtimes[0].stop();
    expect((await httpGetFromNetns(client, `http://${net}.10/`)).status).toBe(200);
    const pidBefore = host.digests(lbId);
    const rt2 = await startRuntime();
    await new Promise((r) => setTimeout(r, 1500));
    expect(host.digests(lbId)).toEqual(pidBefore);
    expect(rt2.digests(lbId).loadBalancers[lbId]).toMatchObject({ version: 7, applied: 7, running: true });
    // Its reports were read back at start: the same applied version and the same statuses are not reported again.
    expect((await lbReports()).filter((e) => e.type === 'DesiredStateApplied')).toHaveLength(1);
    expect((await memberReports(String(WEB1))).filter((e) => e.type === 'MemberOperatingStatusChanged')).toHaveLength(1);

    // Busy is not dead: the event loop blocked for twice the lease (a long synchronous stretch of work). The keeper
    // thread heartbeats and renews on its own connection meanwhile: the VIP stays, nothing is withdrawn.
    const beats: number[] = [];
    const hb = await nats.connect({ name: 'hb' });
    const sub = hb.subscribe(subjects.heartbeat(config.agentId), { callback: (_e, m) => beats.push(Date.parse(JSON.parse(m.string()).at)) });
    await hb.flush();
    const blockedAt = Date.now();
    while (Date.now() - blockedAt < 2 * config.leaseMs) { /* busy */ }
    const freedAt = Date.now();
    const leaseAfter = readLease(config.stateDir);
    expect(leaseAfter?.until).toBeGreaterThan(freedAt); // renewed during the block, by the keeper
    await new Promise((r) => setTimeout(r, 300)); // the lease check runs: nothing lapsed
    expect(rt2.leaseWithdrawn).toBe(false);
    expect((await httpGetFromNetns(client, `http://${net}.10/`)).status).toBe(200);
    sub.unsubscribe();
    await hb.close();
    const during = beats.filter((t) => t > blockedAt && t < freedAt);
    expect(during.length).toBeGreaterThanOrEqual(Math.floor((freedAt - blockedAt) / config.reportIntervalMs) - 2);

    // Delete: the agent tears everything down and reports the deletion version.
    await append('lb', lbId, { type: 'LoadBalancerDeleted', v: 1, data: { lbId, cascade: true, at } });
    const gone = await until('teardown reported', async () => (await lbReports()).find((e) => e.type === 'DesiredStateApplied' && e.data.version === 8));
    expect(gone.data).toMatchObject({ version: 8 });
    expect(host.owned()).toEqual([]);
    expect((await httpGetFromNetns(client, `http://${net}.10/`, 500)).status).toBe(0);
    await until('netns gone', async () => ((await import('node:fs')).existsSync(`/run/netns/${netnsName(lbId)}`) ? undefined : true));
  });
});
