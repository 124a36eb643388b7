import { connect } from 'nats';
import { jetStreamEventStore } from '@lbaas/event-store';
import { canUseNetns, createNetnsOnBridge, netnsRunId, removeLinks, removeNetns, sh } from '@lbaas/testing';
import { download, startSlowServer } from './support/download';
import { apiClient, type ApiClient } from './support/stack';
import { servedLoadBalancer, startHostsLab, startProber, stopProbers, type Host, type HostsLab, type Probe } from './support/hosts';

/**
 * Issue 14, the data plane at its limit, end to end on three controller hosts (test/support/hosts.ts):
 *  - make before break: an operator failover and a drain (agent admin_state_up=false) bring the new copy up and
 *    announce it before the old one goes: 0 failed requests, never two hosts answering ARP for the VIP, the gap between
 *    the old copy letting go and the new one announcing measured;
 *  - session continuity: long TCP downloads through the copy being moved finish, from a client on the segment and
 *    from one behind a router (whose packets of the old connection reach the new host and are steered back); a client
 *    that still has the old copy's MAC is served by it while it drains (its backends' answers, which follow the VIP's
 *    new MAC, are steered back too);
 *  - status is true: members stay ONLINE across a host's death and the new host reports them; a load balancer the new
 *    host (or the restarted host) cannot build is ERROR with the reason, and ACTIVE again once it can.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/planned-moves.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

maybe('planned moves, session continuity and true status (issue 14)', () => {
  const id = netnsRunId();
  let lab: HostsLab;
  let api: ApiClient;
  const ids: Record<string, string> = {};
  const SECS = 12;
  const routerNs = `e2e-${id}-rt`;
  const farNs = `e2e-${id}-far`;
  const farNet = `10.245.${100 + (parseInt(id.slice(0, 2), 16) % 150)}`;
  // A client that keeps the old copy's MAC for the VIP after the move (a neighbour entry not yet refreshed).
  const lateNs = `e2e-${id}-late`;
  const slow: Array<{ kill(): void }> = [];

  const lbPath = () => `/v2/lbaas/loadbalancers/${ids.lb}`;
  const waitActive = (ms = 30_000) => api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', ms);
  const hostingAgent = async () => (await api.get(`/v2.0/lbaas/loadbalancers/${ids.lb}/loadbalancer-hosting-agent`)).body.agent?.host?.replace(/^host-/, '') as string | undefined;
  const hostOf = (agentId: string): Host => lab.hosts.find((h) => h.agentId === agentId) as Host;
  const waitMoved = async (from: string, ms = 20_000) => {
    const t0 = Date.now();
    for (;;) {
      const a = await hostingAgent();
      if (a && a !== from) return a;
      if (Date.now() - t0 > ms) throw new Error(`LB still on ${from} after ${ms} ms`);
      await sleep(100);
    }
  };
  const lbEvents = async () => {
    const nc = await connect({ servers: lab.nats.url });
    try {
      const { commits } = await jetStreamEventStore(nc).read({ aggregate: 'lb', id: ids.lb });
      return commits.flatMap((c) => c.events as unknown as { type: string; data: Record<string, unknown> & { at: string } }[]);
    } finally {
      await nc.close();
    }
  };
  /** The member statuses agent `agentId` reported for the LB's members (its own report subjects, LBAAS_REPORTS). */
  const memberReports = async (agentId: string) => {
    const members = (await api.get(`/v2/lbaas/pools/${ids.pool}/members`)).body.members as { id: string }[];
    const nc = await connect({ servers: lab.nats.url });
    try {
      const store = jetStreamEventStore(nc);
      const out: { type: string; data: Record<string, unknown> }[] = [];
      for (const m of members) {
        const { commits } = await store.read({ report: { kind: 'member', agentId, lbId: ids.lb, memberId: m.id } });
        out.push(...commits.flatMap((c) => c.events as unknown as { type: string; data: Record<string, unknown> }[]));
      }
      return out;
    } finally {
      await nc.close();
    }
  };
  /** Samples, until stopped, the hosts that answer ARP for the VIP (VIP on an up vip0, not held back) and the MACs a client sees answering (broadcast ARP). */
  const sampleArp = (from: string) => {
    const holders: string[][] = [];
    const macs: string[][] = [];
    let on = true;
    const loops = [
      // the host the VIP leaves is looked at last in each sample, so a sample spanning the hand-over shows no false overlap
      (async () => { while (on) { holders.push(await lab.vipHolders(ids.lb, ids.vip, from)); await sleep(20); } })(),
      (async () => { while (on) macs.push(await lab.arpResponders(ids.vip)); })(),
    ];
    return { async stop() { on = false; await Promise.all(loops); return { holders, macs }; } };
  };
  const memberStatuses = async () => (await api.get(`/v2/lbaas/pools/${ids.pool}/members`)).body.members.map((m: { operating_status: string }) => m.operating_status) as string[];
  const copyGone = async (h: Host, ms = 40_000) => {
    const t0 = Date.now();
    while ((await lab.inHost(h, 'ip', ['netns', 'list'])).includes(`qlbaas-${ids.lb}`)) {
      if (Date.now() - t0 > ms) throw new Error(`the old copy on ${h.agentId} is still there after ${ms} ms`);
      await sleep(200);
    }
    return Date.now() - t0;
  };
  const gapOf = (h: Host) => {
    const lines = (h.agent?.output() ?? '').split('\n').filter((l) => l.includes('"op":"handover"') && l.includes(ids.lb));
    const last = lines[lines.length - 1];
    return last ? Number(/"gap_ms":(-?\d+)/.exec(last)?.[1]) : NaN;
  };

  /**
   * One planned move under traffic: a fresh GET every 50 ms from the client on the segment, two long downloads through
   * the moved copy (from that client and from the routed one), ARP sampled all along.
   */
  const moveUnderTraffic = async (what: string, move: (from: string) => Promise<void>) => {
    const from = (await hostingAgent()) as string;
    const probe = startProber(lab.clientNs, `http://${ids.vip}/`, 50, 1000);
    // the late client talks to the copy that serves now (so that copy knows its MAC when it lets go), and keeps that MAC
    const oldMac = (await lab.vipMac(hostOf(from), ids.lb)) as string;
    await sh('ip', ['netns', 'exec', lateNs, process.execPath, '-e', `require('node:http').get('http://${ids.vip}/', (r) => { r.resume(); r.on('end', () => process.exit(r.statusCode === 200 ? 0 : 1)); })`]);
    await sh('ip', ['-n', lateNs, 'neigh', 'replace', ids.vip, 'lladdr', oldMac, 'dev', 'eth0', 'nud', 'permanent']);
    const late = startProber(lateNs, `http://${ids.vip}/`, 100, 2000);
    const direct = download(lab.clientNs, ids.vip, 9000);
    const routed = download(farNs, ids.vip, 9000);
    await sleep(1500);
    const arp = sampleArp(from);
    const t0 = Date.now();
    await move(from);
    const to = await waitMoved(from);
    await waitActive();
    const movedMs = Date.now() - t0;
    // New requests that still reach the old copy while it drains are served: each opens a new connection to a backend,
    // whose answers go to the new copy's MAC (the new copy's announcement moved the backends' neighbour entry for the
    // VIP) and must be steered back, SYN-ACK included, or the old copy's connects time out.
    const newMac = await lab.vipMac(hostOf(to), ids.lb);
    const backendSees = JSON.parse(await sh('ip', ['-n', `e2e-${id}-web1`, '-j', 'neigh', 'show', ids.vip]) || '[]')[0]?.lladdr?.toLowerCase();
    // (stopped well before the downloads end: the old copy goes once it carries no connection)
    const activeAt = Date.now();
    await sleep(2000);
    const lateAll = await late.stop();
    const lateProbes = lateAll.filter((p) => p.start >= activeAt);
    await sh('ip', ['-n', lateNs, 'neigh', 'del', ids.vip, 'dev', 'eth0']).catch(() => undefined);
    const [d1, d2] = await Promise.all([direct.done, routed.done]);
    const goneMs = await copyGone(hostOf(from));
    const samples = await arp.stop();
    await sleep(300);
    const probes: Probe[] = await probe.stop();
    const failed = probes.filter((p) => !p.ok);
    if (failed.length) console.log(`${what}: failed requests ${JSON.stringify(failed.map((p) => ({ at: p.start - t0, ms: p.end - p.start, body: p.body })))}`);
    const gap = gapOf(hostOf(to));
    // the new host steered packets of the moved copy's connections back to it (the routed client's at least)
    const steerTable = await lab.inHost(hostOf(to), 'ip', ['netns', 'exec', `qlbaas-${ids.lb}`, 'nft', 'list', 'table', 'ip', 'lbaas_steer']).catch(() => '');
    const steered = [...steerTable.matchAll(/counter packets (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
    console.log(`${what} ${from} -> ${to}: ACTIVE after ${movedMs} ms; ${probes.length} requests, ${failed.length} failed; `
      + `downloads direct ${JSON.stringify(d1)} routed ${JSON.stringify(d2)}; old copy gone ${goneMs} ms after they ended; `
      + `hand-over gap (old copy released -> new one announced) ${gap} ms; ${steered} packets steered to the old copy; ARP answerers per sample max ${Math.max(...samples.macs.map((m) => m.length))}, holders max ${Math.max(...samples.holders.map((m) => m.length))}`);
    console.log(`${what}: the backends' neighbour entry for the VIP ${backendSees} (old copy ${oldMac}, new ${newMac}); `
      + `requests through the old copy after the move: ${lateProbes.length} (${lateAll.length} in all), failed ${JSON.stringify(lateAll.filter((p) => !p.ok).map((p) => p.body))}`);
    expect(failed).toEqual([]);
    expect(probes.length).toBeGreaterThan(20);
    expect(backendSees).toBe(newMac);
    expect(oldMac).not.toBe(newMac);
    expect(lateProbes.length).toBeGreaterThanOrEqual(8);
    expect(lateAll.filter((p) => !p.ok)).toEqual([]);
    expect(samples.holders.filter((h) => h.length > 1)).toEqual([]);
    expect(samples.macs.filter((m) => m.length > 1)).toEqual([]);
    // every byte, and the end on time: the old copy got the server's FIN and the client's, whichever host they reached
    for (const d of [d1, d2]) { expect(d).toMatchObject({ bytes: SECS * 10 * 1024, err: null }); expect(d.ms).toBeLessThan((SECS + 4) * 1000); }
    expect(await lab.vipHolders(ids.lb, ids.vip)).toEqual([to]);
    expect(gap).toBeGreaterThanOrEqual(0);
    expect(steered).toBeGreaterThan(0);
    return { from, to, gap };
  };

  beforeAll(async () => {
    lab = await startHostsLab({ id, hosts: 3, env: { PLACEMENT_TIMEOUT_MS: '4000' }, agentEnv: { HEALTH_POLL_MS: '500' } });
    api = apiClient(lab.apiUrl, { 'x-project-id': 'e2e-project' });
    // A router on the provider segment (the subnet's gateway) with a client behind it: its packets to the VIP follow the
    // router's neighbour entry, which the new copy's gratuitous ARP moves at once.
    const seg = `bs${id}`;
    await sh('ip', ['netns', 'add', routerNs]);
    await sh('ip', ['netns', 'add', farNs]);
    await createNetnsOnBridge({ netns: lateNs, bridge: seg, hostIf: `lt${id}`, cidr: `${lab.prefix}.3/24` });
    await sh('ip', ['link', 'add', `rs${id}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', routerNs]);
    await sh('ip', ['link', 'set', `rs${id}`, 'master', seg, 'up']);
    await sh('ip', ['-n', routerNs, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', farNs]);
    await sh('ip', ['-n', routerNs, '-batch', '-'], ['link set lo up', 'link set eth0 up', 'link set eth1 up', `addr add ${lab.prefix}.1/24 dev eth0`, `addr add ${farNet}.1/24 dev eth1`].join('\n') + '\n');
    await sh('ip', ['netns', 'exec', routerNs, 'sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await sh('ip', ['-n', farNs, '-batch', '-'], ['link set lo up', 'link set eth0 up', `addr add ${farNet}.2/24 dev eth0`, `route add default via ${farNet}.1`].join('\n') + '\n');
    // the segment's client and backends reach the far network through the router too
    for (const ns of [lab.clientNs, `e2e-${id}-web1`, `e2e-${id}-web2`]) await sh('ip', ['-n', ns, 'route', 'add', `${farNet}.0/24`, 'via', `${lab.prefix}.1`]);
    // A slow TCP backend on web1 (the long downloads go through a TCP listener to it).
    slow.push(await startSlowServer(`e2e-${id}-web1`, 9001, SECS));

    Object.assign(ids, await servedLoadBalancer(api, lab, 'pm', (lbId) => api.waitFor<any>(`/v2/lbaas/loadbalancers/${lbId}`, (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 20_000)));
    await api.post('/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: ids.pool, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 2, url_path: '/' } });
    await waitActive();
    const tcp = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 9000 } });
    await waitActive();
    const tcpPool = await api.post('/v2/lbaas/pools', { pool: { listener_id: tcp.body.listener.id, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' } });
    await waitActive();
    await api.post(`/v2/lbaas/pools/${tcpPool.body.pool.id}/members`, { member: { address: `${lab.prefix}.11`, protocol_port: 9001 } });
    await waitActive();
    await api.waitFor(`/v2/lbaas/pools/${ids.pool}/members`, (b) => b?.members?.every((m: { operating_status: string }) => m.operating_status === 'ONLINE'), 20_000);
  }, 300_000);

  afterAll(async () => {
    await stopProbers();
    for (const s of slow) s.kill();
    await removeNetns(farNs, routerNs, lateNs);
    await removeLinks(`rs${id}`, `lt${id}`);
    await lab?.stop();
  }, 180_000);

  it('operator failover (PUT /loadbalancers/{id}/failover) under traffic: the new copy announces before the old one goes; 0 failed requests, long downloads finish, one ARP answerer', async () => {
    const r = await moveUnderTraffic('operator failover', async () => {
      expect((await api.put(`${lbPath()}/failover`, {})).status).toBe(202);
    });
    const events = await lbEvents();
    const prepared = events.filter((e) => e.type === 'LoadBalancerHandoverPrepared').pop();
    const released = events.filter((e) => e.type === 'LoadBalancerHandoverReleased').pop();
    expect(prepared?.data).toMatchObject({ agentId: r.to });
    expect(released?.data).toMatchObject({ agentId: r.from });
    expect(Date.parse(released!.data.at)).toBeGreaterThanOrEqual(Date.parse(prepared!.data.at));
  });

  it('drain (PUT /v2.0/agents/{id} admin_state_up=false) under traffic: the same make-before-break hand-over', async () => {
    const drained: string[] = [];
    try {
      await moveUnderTraffic('drain', async (from) => {
        drained.push(from);
        expect((await api.put(`/v2.0/agents/${from}`, { agent: { admin_state_up: false } })).status).toBe(200);
      });
    } finally {
      // enabled again even when the move failed: the tests after this one need every agent schedulable
      for (const a of drained) await api.put(`/v2.0/agents/${a}`, { agent: { admin_state_up: true } });
    }
  });

  it('a host dies: its members stay ONLINE in the API all along, and the new host reports them at its epoch', async () => {
    const from = (await hostingAgent()) as string;
    const seen = new Set<string>();
    let on = true;
    const watch = (async () => { while (on) { for (const s of await memberStatuses()) seen.add(s); await sleep(50); } })();
    await lab.killHost(hostOf(from));
    const to = await waitMoved(from);
    await waitActive();
    const t0 = Date.now();
    const epoch = (await lbEvents()).filter((e) => e.type === 'LoadBalancerPlaced').pop()?.data.epoch;
    let reported: unknown[] = [];
    while (Date.now() - t0 < 10_000) {
      // Member statuses are the agents' reports on their own subjects (issue 11), not LB history.
      reported = (await memberReports(to)).filter((e) => e.type === 'MemberOperatingStatusChanged' && e.data.epoch === epoch);
      if (reported.length >= 2) break;
      await sleep(100);
    }
    await sleep(500);
    on = false;
    await watch;
    console.log(`host death ${from} -> ${to}: member statuses seen in the API ${JSON.stringify([...seen])}; the new host reported ${reported.length} members at epoch ${epoch} within ${Date.now() - t0} ms of ACTIVE`);
    expect([...seen]).toEqual(['ONLINE']);
    expect(reported.length).toBeGreaterThanOrEqual(2);
    await lab.reviveHost(hostOf(from));
    await lab.startAgent(hostOf(from));
  });

  it('a host that cannot build it (its bridge is missing) makes it ERROR with the reason, even though that tree ran before; ACTIVE again once it can', async () => {
    const on = (await hostingAgent()) as string;
    const broken = lab.hosts.find((h) => h.agentId !== on) as Host;
    const third = lab.hosts.find((h) => h.agentId !== on && h.agentId !== broken.agentId) as Host;
    // the broken host's agent maps the physical network to a bridge that does not exist
    await lab.killAgent(broken);
    await lab.startAgent(broken, { BRIDGE_MAPPINGS: `${lab.physnet}:brnope${id.slice(0, 3)}` });
    await api.put(`/v2.0/agents/${third.agentId}`, { agent: { admin_state_up: false } });
    await waitActive(); // the host death before may still be settling: a failover of a PENDING load balancer is a 409
    expect((await api.put(`${lbPath()}/failover`, {})).status).toBe(202);
    await waitMoved(on);
    const lb = await api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ERROR', 30_000);
    const rejected = (await lbEvents()).filter((e) => e.type === 'DesiredStateRejected').pop();
    console.log(`new host cannot build it: ${lb.loadbalancer.provisioning_status}/${lb.loadbalancer.operating_status}, reason: ${rejected?.data.reason}`);
    expect(lb.loadbalancer.operating_status).toBe('ERROR');
    expect(rejected?.data).toMatchObject({ agentId: broken.agentId });
    expect(String(rejected?.data.reason)).toMatch(/brnope/);
    // its agent restarts with the right mapping: the same version is built and ACTIVE again
    await lab.killAgent(broken);
    await lab.startAgent(broken);
    await waitActive();
    const probe = startProber(lab.clientNs, `http://${ids.vip}/`, 50, 1000);
    await sleep(1500);
    expect((await probe.stop()).filter((p) => !p.ok)).toEqual([]);
    await api.put(`/v2.0/agents/${third.agentId}`, { agent: { admin_state_up: true } });
  });

  it('an agent restart that cannot rebuild its namespaces is ERROR with the reason (the version was applied before the restart), ACTIVE once it can', async () => {
    const on = hostOf((await hostingAgent()) as string);
    // The other agents are disabled meanwhile: on a loaded machine the restart can outlast agent_down_time, and the LB
    // must not move away (that is the host-death case above); with nowhere to go it stays placed on the restarted agent.
    const others = lab.hosts.filter((h) => h !== on).map((h) => h.agentId);
    try {
      for (const a of others) expect((await api.put(`/v2.0/agents/${a}`, { agent: { admin_state_up: false } })).status).toBe(200);
      // the agent dies, its namespaces go (a reboot's worth of loss), it comes back with its bridge mapping broken
      await lab.killAgent(on);
      await lab.inHost(on, 'ip', ['netns', 'del', `qlbaas-${ids.lb}`]);
      await lab.startAgent(on, { BRIDGE_MAPPINGS: `${lab.physnet}:brnope${id.slice(0, 3)}` });
      const lb = await api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ERROR', 30_000);
      const rejected = (await lbEvents()).filter((e) => e.type === 'DesiredStateRejected').pop();
      console.log(`restarted agent cannot rebuild it: ${lb.loadbalancer.provisioning_status}/${lb.loadbalancer.operating_status}, reason: ${rejected?.data.reason}`);
      expect(await hostingAgent()).toBe(on.agentId);
      expect(String(rejected?.data.reason)).toMatch(/brnope/);
      await lab.killAgent(on);
      await lab.startAgent(on);
      await waitActive();
      expect(await hostingAgent()).toBe(on.agentId);
      const probe = startProber(lab.clientNs, `http://${ids.vip}/`, 50, 1000);
      await sleep(1500);
      expect((await probe.stop()).filter((p) => !p.ok)).toEqual([]);
    } finally {
      for (const a of others) await api.put(`/v2.0/agents/${a}`, { agent: { admin_state_up: true } });
    }
  });
});
