import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { subjects, type Aggregate } from '@lbaas/contracts';
import { jetStreamEventStore, putSnapshotBytes } from '@lbaas/event-store';
import { CATALOG_SNAPSHOT } from '@lbaas/projections';
import {
  canUseNetns, createBridge, createNetnsOnBridge, httpGetFromNetns, netnsRunId, removeLinks, removeNetns, startHttpServer,
  type NetnsProcess,
} from '@lbaas/testing';
import type { NatsConnection } from 'nats';
import { apiClient, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * Nothing on the bus is trusted (issue 10). Every app with its own NATS identity; hostile input is published by an
 * identity that may publish there (the operator on the stream and agent RPC, the agent on its own heartbeat subject).
 * 1. Hostile events straight into the stream: a gateway with a newline and `netns exec ... touch`, a VIP with shell
 *    metacharacters, a huge prefix, physical networks that look up no bridge (`;`, `constructor`), ids with NATS
 *    wildcards, an unknown event version, a huge payload. No marker file is ever created, no namespace is built for
 *    them, the agent keeps running and serving the other load balancer, and each hostile LB it can name turns ERROR
 *    with the reason.
 * 2. Poison commits cost one commit: every app restarted with them in the stream comes up and answers the same.
 * 3. Bad input on every subject an app subscribes to (heartbeats, agent RPC, the stream, snapshots, others' inboxes):
 *    each is refused or ignored with a log line, no app crashes, nothing changes.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/hostile-events.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;

maybe('hostile input on the bus', () => {
  const id = netnsRunId();
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  const prefix = `10.243.${octet}`;
  const bridge = `brh${id}`;
  const ns = { web: `hx-${id}-web`, client: `hx-${id}-cli` };
  const hostIfs = [`h1${id}`, `hc${id}`];
  const macKey = `/tmp/lbaas-hostile-${id}.key`;
  const markers = ['gw', 'vip', 'physnet', 'bridge', 'rpc'].map((m) => `/tmp/lbaas-hostile-${id}-${m}`);
  let stack: Stack;
  let api: ApiClient;
  let op: NatsConnection;
  let agentId: string;
  let server: NetnsProcess | undefined;
  const good: { lbId: string; vip: string; networkId: string; subnetId: string } = { lbId: '', vip: '', networkId: '', subnetId: '' };
  const at = () => new Date().toISOString();
  const actor = { kind: 'service', service: 'hostile-test' };
  /** A raw publish as the operator: what any identity with publish rights on a subject can do (no handle(), no OCC). */
  const publish = async (subject: string, body: string | Uint8Array) => (await op.jetstream().publish(subject, body)).seq;
  const commit = (aggregate: Aggregate, aggId: string, events: unknown[]) =>
    publish(subjects.stream(aggregate, aggId), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events }));
  const lbCreated = (lbId: string, o: Record<string, unknown> = {}) => ({
    type: 'LoadBalancerCreated', v: 1, data: {
      lbId, projectId: 'e2e-project', name: 'hostile', description: '', adminStateUp: true, tags: [], vipAddress: `${prefix}.77`,
      vipSubnetId: good.subnetId, vipNetworkId: good.networkId, vipPortId: randomUUID(), provider: 'lbaas', at: at(), ...o,
    },
  });
  const placed = (lbId: string) => ({ type: 'LoadBalancerPlaced', v: 1, data: { lbId, agentId, epoch: 1, reason: 'initial', at: at() } });
  const rejectedReason = async (lbId: string) => {
    const { commits } = await jetStreamEventStore(op).read<{ type: string; data: { reason?: string } }>({ aggregate: 'lb', id: lbId });
    return commits.flatMap((c) => c.events).filter((e) => e.type === 'DesiredStateRejected').map((e) => e.data.reason ?? '').at(-1);
  };
  const lbStatus = async (lbId: string) => (await api.get(`/v2/lbaas/loadbalancers/${lbId}`)).body?.loadbalancer?.provisioning_status;
  const goodServes = async () => (await httpGetFromNetns(ns.client, `http://${good.vip}/`, 2000)).status === 200;
  const netnsList = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  const appLog = (name: string) => stack.log(name);
  const logLines = (name: string): Record<string, unknown>[] => appLog(name).split('\n').flatMap((l) => { try { return [JSON.parse(l)]; } catch { return []; } });
  const running = () => [...stack.procs].filter(([, p]) => !p.running).map(([n]) => n);
  /** What the API answers for everything (the views of the api), agents' heartbeat times left out. */
  const apiAnswers = async () => {
    const out: Record<string, unknown> = {};
    for (const p of ['/v2/lbaas/loadbalancers', '/v2/lbaas/listeners', '/v2/lbaas/pools', '/v2.0/networks', '/v2.0/subnets']) out[p] = (await api.get(p)).body;
    const agents = (await api.get('/v2.0/agents')).body?.agents ?? [];
    out.agents = agents.map((a: Record<string, unknown>) => ({ id: a.id, alive: a.alive, admin_state_up: a.admin_state_up }));
    return out;
  };
  const until = async (what: string, f: () => Promise<boolean>, ms = 30_000) => {
    const t0 = Date.now();
    while (!(await f())) {
      if (Date.now() - t0 > ms) throw new Error(`timed out: ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  beforeAll(async () => {
    for (const m of markers) rmSync(m, { force: true });
    await createBridge(bridge);
    await createNetnsOnBridge({ netns: ns.web, bridge, hostIf: hostIfs[0], cidr: `${prefix}.11/24` });
    await createNetnsOnBridge({ netns: ns.client, bridge, hostIf: hostIfs[1], cidr: `${prefix}.2/24` });
    server = await startHttpServer(ns.web, 'web1', 8080);
    // The apps verify Catalog snapshots with the operator's MAC key.
    writeFileSync(macKey, randomBytes(32).toString('hex'), { mode: 0o600 });
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 1, identities: { tls: false }, env: { LBAAS_MAC_KEY_FILE: macKey } });
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });
    op = await stack.secure!.connect('operator');
    agentId = stack.agentIds[0];
    // One load balancer that serves, before any hostile input.
    const net = await api.post('/v2.0/networks', { network: { name: `hx-${id}`, 'provider:physical_network': `physnet-${id}`, 'provider:network_type': 'flat' } });
    const sub = await api.post('/v2.0/subnets', { subnet: { network_id: net.body.network.id, ip_version: 4, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1`, allocation_pools: [{ start: `${prefix}.50`, end: `${prefix}.90` }] } });
    good.networkId = net.body.network.id;
    good.subnetId = sub.body.subnet.id;
    const lb = (await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'good', vip_subnet_id: good.subnetId } })).body.loadbalancer;
    good.lbId = lb.id;
    good.vip = lb.vip_address;
    const active = () => api.waitFor(`/v2/lbaas/loadbalancers/${lb.id}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 30_000);
    await active();
    const lis = (await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'HTTP', protocol_port: 80 } })).body.listener;
    await active();
    const pool = (await api.post('/v2/lbaas/pools', { pool: { listener_id: lis.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).body.pool;
    await active();
    await api.post(`/v2/lbaas/pools/${pool.id}/members`, { member: { address: `${prefix}.11`, protocol_port: 8080 } });
    await active();
    await until('the good load balancer serves', goodServes);
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await stack?.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...hostIfs, bridge);
    for (const m of [...markers, macKey]) rmSync(m, { force: true });
  }, 120_000);

  it('1. hostile events reach no command: no marker, no namespace, the agent serves on, each LB it can name turns ERROR with the reason', async () => {
    const goodNetns = `qlbaas-${good.lbId}`;
    // a. A subnet whose gateway carries a newline and a command: the old `ip -batch` ran `netns exec ... touch` as root.
    const evilSubnet = randomUUID();
    await commit('subnet', evilSubnet, [{
      type: 'SubnetCreated', v: 1, data: {
        subnetId: evilSubnet, networkId: good.networkId, projectId: 'e2e-project', name: 'evil', ipVersion: 4, cidr: `${prefix}.0/24`,
        gatewayIp: `${prefix}.1 dev vip0\nnetns exec ${goodNetns} touch ${markers[0]}`, allocationPools: [{ start: `${prefix}.100`, end: `${prefix}.110` }], at: at(),
      },
    }]);
    // ...and a load balancer on it through the API, as a tenant would (the API takes the subnet from its view).
    const viaApi = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'on-evil-subnet', vip_subnet_id: evilSubnet } });
    const lbs: Record<string, string> = {};
    if (viaApi.status === 201) lbs.gateway = viaApi.body.loadbalancer.id;
    else {
      lbs.gateway = randomUUID();
      await commit('lb', lbs.gateway, [lbCreated(lbs.gateway, { vipSubnetId: evilSubnet, vipAddress: `${prefix}.100` }), placed(lbs.gateway)]);
    }
    // b. A VIP with shell metacharacters.
    lbs.vip = randomUUID();
    await commit('lb', lbs.vip, [lbCreated(lbs.vip, { vipAddress: `${prefix}.78$(touch ${markers[1]})` }), placed(lbs.vip)]);
    // c. A huge prefix.
    const bigPrefix = randomUUID();
    await commit('subnet', bigPrefix, [{ type: 'SubnetCreated', v: 1, data: { subnetId: bigPrefix, networkId: good.networkId, projectId: 'e2e-project', name: 'big', ipVersion: 4, cidr: `${prefix}.0/99999`, gatewayIp: `${prefix}.1`, allocationPools: [], at: at() } }]);
    lbs.prefix = randomUUID();
    await commit('lb', lbs.prefix, [lbCreated(lbs.prefix, { vipSubnetId: bigPrefix, vipAddress: `${prefix}.79` }), placed(lbs.prefix)]);
    // d. Physical networks that name no bridge of the agent's mapping: with `;` and a command, and `constructor`
    //    (an object property, not a bridge name: the lookup must not hand a function to `ip`).
    for (const [key, physnet] of [['physnet', `physnet; touch ${markers[2]}`], ['bridge', 'constructor']]) {
      const netId = randomUUID();
      await commit('network', netId, [{ type: 'NetworkCreated', v: 1, data: { networkId: netId, projectId: 'e2e-project', name: key, physicalNetwork: physnet, networkType: 'flat', shared: true, at: at() } }]);
      lbs[key] = randomUUID();
      await commit('lb', lbs[key], [lbCreated(lbs[key], { vipNetworkId: netId, vipAddress: `${prefix}.8${key.length}` }), placed(lbs[key])]);
    }
    // e. A huge payload: one commit of 1,500 listeners (800 kB).
    lbs.huge = randomUUID();
    const listeners = Array.from({ length: 1500 }, (_, i) => ({
      type: 'ListenerCreated', v: 1, data: {
        lbId: lbs.huge, listenerId: randomUUID(), protocol: 'TCP', protocolPort: 1000 + i, name: '', description: '', adminStateUp: true, connectionLimit: -1,
        defaultPoolId: null, insertHeaders: {}, timeoutClientData: 50000, timeoutMemberConnect: 5000, timeoutMemberData: 50000, timeoutTcpInspect: 0, allowedCidrs: null, tags: [], at: at(),
      },
    }));
    await commit('lb', lbs.huge, [lbCreated(lbs.huge, { vipAddress: `${prefix}.88` }), placed(lbs.huge), ...listeners]);
    // f. Ids with NATS wildcards, and an unknown event version: not readable at all (skipped, logged).
    const wild = randomUUID();
    const wildSeq = await publish(subjects.stream('lb', wild), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events: [lbCreated('lb.*.>'), placed('lb.*.>')] }));
    const future = randomUUID();
    const futureSeq = await publish(subjects.stream('lb', future), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events: [{ ...lbCreated(future), v: 9 }, placed(future)] }));

    const expected: Record<string, RegExp> = {
      gateway: /refused by the agent: subnet's gateway .* is not an IPv4 or IPv6 address/,
      vip: /refused by the agent: VIP address .* is not an IPv4 or IPv6 address/,
      prefix: /refused by the agent: VIP subnet's prefix length 99999 is not a prefix length 0..32/,
      physnet: /no bridge mapping on this agent for physical network physnet; touch/,
      bridge: /refused by the agent: bridge .* is not an interface name/,
      huge: /refused by the agent: load balancer tree .* is too large/,
    };
    for (const [key, lbId] of Object.entries(lbs)) {
      await until(`${key}: ERROR`, async () => (await lbStatus(lbId)) === 'ERROR');
      expect([key, await rejectedReason(lbId)]).toEqual([key, expect.stringMatching(expected[key])]);
    }
    // Nothing ran: no marker, no namespace for any of them; the agent is up and the good LB still serves.
    await new Promise((r) => setTimeout(r, 1500)); // a resync or two later
    for (const m of markers) expect([m, existsSync(m)]).toEqual([m, false]);
    const namespaces = netnsList();
    for (const lbId of Object.values(lbs)) expect(namespaces).not.toContain(`qlbaas-${lbId}`);
    expect(running()).toEqual([]);
    expect(await goodServes()).toBe(true);
    expect(await lbStatus(good.lbId)).toBe('ACTIVE');
    // The unreadable ones were skipped and said so, by the agent and the api alike.
    for (const app of [agentId, 'api']) {
      const log = appLog(app);
      for (const seq of [wildSeq, futureSeq]) expect([app, seq, log]).toEqual([app, seq, expect.stringMatching(new RegExp(`"op":"commit.unreadable".*"seq":${seq}`))]);
    }
    const reasons = logLines(agentId).filter((l) => l.op === 'commit.unreadable').map((l) => String(l.reason));
    expect(reasons).toEqual(expect.arrayContaining([expect.stringMatching(/lbId: "lb\.\*\.>" is not an id/), expect.stringMatching(/unknown event version: LoadBalancerCreated v9/)]));
    expect((await api.get(`/v2/lbaas/loadbalancers/${future}`)).status).toBe(404);
  }, 180_000);

  it('2. with poison commits in the stream, every app restarts, comes up and answers as before', async () => {
    await publish(subjects.stream('lb', good.lbId), '{"commitId": "half a commit", ');
    await publish(subjects.stream('lb', good.lbId), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events: [{ type: 'ListenerCreated', v: 7, data: { lbId: good.lbId } }] }));
    await publish(subjects.stream('agent', agentId), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events: [{ type: 'AgentDeclaredDown', v: 1, data: { agentId: 42 } }] }));
    await publish(subjects.stream('subnet', good.subnetId), new Uint8Array([0xff, 0x00, 0xfe]));
    const before = await apiAnswers();
    for (const name of ['api', 'scheduler', 'failover-watcher', agentId]) {
      const p = await stack.restart(name);
      expect([name, p.running]).toEqual([name, true]);
      expect([name, p.output()]).toEqual([name, expect.stringMatching(/"op":"commit.unreadable"/)]);
    }
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });
    await until('the good load balancer serves after the restarts', goodServes);
    await new Promise((r) => setTimeout(r, 2000)); // heartbeats and a resync after the restarts
    expect(await apiAnswers()).toEqual(before);
    expect(running()).toEqual([]);
    // The aggregate with poison in it still takes commands: a change through the API lands after them.
    const upd = await api.put(`/v2/lbaas/loadbalancers/${good.lbId}`, { loadbalancer: { description: 'after the poison' } });
    expect(upd.status).toBe(200);
    await until('ACTIVE after the update', async () => (await lbStatus(good.lbId)) === 'ACTIVE');
  }, 240_000);

  it('3. bad input on every subject an app subscribes to is refused or ignored with a log line; nothing changes', async () => {
    const agent = await stack.secure!.connect(`agent-${agentId}`);
    const before = await apiAnswers();
    const digestBefore = JSON.parse((await op.request(subjects.agentQuery(agentId, 'digest'), JSON.stringify({ pattern: subjects.agentQuery(agentId, 'digest'), data: {}, id: 'x' }), { timeout: 3000 })).string()).response;
    const huge = 'x'.repeat(900 * 1024);
    type Case = { what: string; send: () => Promise<unknown>; log?: { app: string; re: RegExp } };
    const rpc = (query: string, body: string) => () => op.request(`lbaas.rpc.agent.${agentId}.${query}`, body, { timeout: 2000 }).then((m) => m.string(), (e: Error) => e.message);
    const cases: Case[] = [
      // heartbeats (the failover-watcher), as the agent's own identity: the only one that may publish there
      { what: 'heartbeat: not JSON', send: async () => agent.publish(subjects.heartbeat(agentId), 'not json'), log: { app: 'failover-watcher', re: /heartbeat.rejected/ } },
      { what: 'heartbeat: agentId of the wrong type', send: async () => agent.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId: 7, at: at() })), log: { app: 'failover-watcher', re: /heartbeat.rejected/ } },
      { what: 'heartbeat: for another agent', send: async () => agent.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId: 'other-agent', at: at() })), log: { app: 'failover-watcher', re: /heartbeat.rejected/ } },
      { what: 'heartbeat: wildcard id', send: async () => agent.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId: 'a.*', at: at() })), log: { app: 'failover-watcher', re: /heartbeat.rejected/ } },
      { what: 'heartbeat: huge', send: async () => agent.publish(subjects.heartbeat(agentId), JSON.stringify({ agentId, pad: huge })) },
      // agent RPC, as the operator (it may query agents)
      { what: 'rpc: not JSON', send: rpc('digest', 'not json') },
      { what: 'rpc: data of the wrong type', send: rpc('stats', JSON.stringify({ pattern: subjects.agentQuery(agentId, 'stats'), data: 'x', id: '1' })), log: { app: agentId, re: /query.refused/ } },
      { what: 'rpc: lbId that is a path', send: rpc('digest', JSON.stringify({ pattern: subjects.agentQuery(agentId, 'digest'), data: { lbId: `../../../tmp/x; touch ${markers[4]}` }, id: '2' })), log: { app: agentId, re: /query.refused/ } },
      { what: 'rpc: lbId with wildcards', send: rpc('stats', JSON.stringify({ pattern: subjects.agentQuery(agentId, 'stats'), data: { lbId: 'lb.>' }, id: '3' })), log: { app: agentId, re: /query.refused/ } },
      { what: 'rpc: huge', send: rpc('digest', JSON.stringify({ pattern: subjects.agentQuery(agentId, 'digest'), data: { lbId: huge }, id: '4' })) },
      { what: 'rpc: a query nobody answers', send: rpc('nope', JSON.stringify({ pattern: `lbaas.rpc.agent.${agentId}.nope`, data: {}, id: '5' })) },
      // the stream (every projection: api, scheduler, watcher, agent), as the operator
      { what: 'stream: wrong types', send: () => commit('lb', good.lbId, [{ type: 'ListenerCreated', v: 1, data: { lbId: good.lbId, listenerId: 5, protocolPort: '80' } }]), log: { app: 'api', re: /"op":"commit.unreadable".*ListenerCreated\.v1\.data\./ } },
      { what: 'stream: unknown version', send: () => commit('agent', agentId, [{ type: 'AgentDeclaredDown', v: 3, data: { agentId, at: at() } }]), log: { app: 'failover-watcher', re: /unknown event version: AgentDeclaredDown v3/ } },
      { what: 'stream: another aggregate\'s event', send: () => commit('lb', good.lbId, [{ type: 'LoadBalancerDeleted', v: 1, data: { lbId: randomUUID(), cascade: true, at: at() } }]), log: { app: 'scheduler', re: /names lbId/ } },
      { what: 'stream: wildcard ids', send: () => commit('agent', agentId, [{ type: 'AgentDeclaredDown', v: 1, data: { agentId: '*', at: at() } }]), log: { app: agentId, re: /commit.unreadable/ } },
      { what: 'stream: huge', send: () => publish(subjects.stream('lb', good.lbId), JSON.stringify({ commitId: randomUUID(), at: at(), actor, events: [{ type: 'LoadBalancerSettingsChanged', v: 1, data: { lbId: good.lbId, pad: huge } }] })) },
      // a reply to somebody else's request: the server refuses to deliver it (every identity replies under its own inbox)
      { what: "reply into the api's inbox", send: async () => { op.publish(`${subjects.inboxPrefix('api')}.forged`, '{"response":{}}'); await op.flush().catch(() => undefined); } },
      // snapshots: a forged one, unsigned, and junk (read at the next start of api and agent)
      // (a well-formed body with a right sha256, as anybody can compute: only the HMAC is missing)
      { what: 'snapshot: unsigned', send: () => putSnapshotBytes(op, CATALOG_SNAPSHOT, new TextEncoder().encode(JSON.stringify({
        format: 'lbaas-snapshot', name: CATALOG_SNAPSHOT, schema: 1, seq: 1, commitId: '', sha256: createHash('sha256').update('{}').digest('hex'), state: '{}' }))) },
    ];
    for (const c of cases) await c.send();
    await op.flush();
    await new Promise((r) => setTimeout(r, 2000));
    for (const c of cases) if (c.log) expect([c.what, appLog(c.log.app)]).toEqual([c.what, expect.stringMatching(c.log.re)]);
    expect(stack.nats.logs()).toMatch(/Publish Violation .*Subject "_INBOX_api\.forged"/);
    // The snapshot: the next starts do not use it (logged), and come up with the same state.
    for (const name of ['api', agentId]) {
      const p = await stack.restart(name);
      expect([name, p.output()]).toEqual([name, expect.stringMatching(/"op":"snapshot.miss".*"miss":"unverified".*carries no HMAC/)]);
    }
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });
    await until('the good load balancer serves', goodServes);
    await new Promise((r) => setTimeout(r, 2000));
    // Everybody up, nothing changed, nothing ran.
    expect(running()).toEqual([]);
    expect(await apiAnswers()).toEqual(before);
    const digestAfter = JSON.parse((await op.request(subjects.agentQuery(agentId, 'digest'), JSON.stringify({ pattern: subjects.agentQuery(agentId, 'digest'), data: {}, id: 'y' }), { timeout: 3000 })).string()).response;
    expect(digestAfter.loadBalancers[good.lbId]).toMatchObject({ config: digestBefore.loadBalancers[good.lbId].config, running: true });
    expect(digestAfter.stream).toMatchObject({ trusted: true });
    for (const m of markers) expect(existsSync(m)).toBe(false);
    expect(await goodServes()).toBe(true);
  }, 240_000);
});
