import { randomUUID } from 'node:crypto';
import type { Actor } from '@lbaas/contracts';
import { agent as agentDecider, loadBalancer } from '@lbaas/domain';
import { catchUpBarrier, ensureEventStream, handle, jetStreamEventStore, runProjection, type Projection } from '@lbaas/event-store';
import { evolveCatalog, initialCatalog, type Catalog } from '@lbaas/projections';
import { natsServerPerFile } from '@lbaas/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { NatsConnection } from 'nats';
import pino from 'pino';
import { createApiApp } from './app';
import { loadConfig } from './config';

/**
 * Two api replicas on one event stream, each with its own NATS connection and its own view, as two api processes
 * behind a load balancer run. Every step goes to the other replica than the one before: a client that created
 * something on one must see it, change it and delete it on the other, and both must show the same thing at each
 * step, deleted children in PENDING_DELETE included (they come from the view, not from the replica that deleted).
 */
type Replica = { name: string; nc: NatsConnection; catalog: Catalog; projection: Projection; app: NestFastifyApplication };
type Reply = { status: number; body: any };

const AGENT = 'replica-agent';
const now = () => new Date().toISOString();
const agentActor: Actor = { kind: 'service', service: `agent:${AGENT}` };

describe('several api replicas behave as one', () => {
  const nats = natsServerPerFile();
  const replicas: Replica[] = [];
  let turn = 0;

  const start = async (name: string): Promise<Replica> => {
    const nc = await nats.connect({ name });
    const catalog = initialCatalog();
    const projection = await runProjection(nc, { onCommit: (c) => evolveCatalog(catalog, c) });
    const app = await createApiApp({
      config: loadConfig({ NATS_URL: nats.url, API_BASE_URI: 'http://lb.example:9876', DEFAULT_PROJECT_ID: 'p1' }),
      store: jetStreamEventStore(nc), clock: { now }, logger: pino({ level: 'silent' }),
      view: { catalog, waitFor: (seq, ms) => projection.waitFor(seq, ms), catchUp: catchUpBarrier(nc, projection).sync },
    });
    return { name, nc, catalog, projection, app };
  };
  /** One request to a replica; `next` alternates between them. */
  const call = async (r: Replica, method: string, url: string, body?: unknown): Promise<Reply> => {
    const res = await r.app.inject({
      method: method as 'GET', url, payload: body === undefined ? undefined : JSON.stringify(body),
      headers: { 'content-type': 'application/json', 'x-project-id': 'p1' },
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : null };
  };
  const next = () => replicas[turn++ % replicas.length];
  const onNext = (method: string, url: string, body?: unknown) => call(next(), method, url, body);
  /** Both replicas' answers to the same GET, which must be the same. */
  const onBoth = async (url: string) => {
    const [a, b] = await Promise.all(replicas.map((r) => call(r, 'GET', url)));
    expect(b).toEqual(a);
    return a;
  };
  /** The hosting agent applies the tree's latest version (as the agent process would report it). */
  const converge = async (lbId: string) => {
    const store = jetStreamEventStore(nats.connection);
    const stream = { aggregate: 'lb' as const, id: lbId };
    const { commits } = await store.read(stream);
    const placed = commits.some((c) => c.events.some((e) => e.type === 'LoadBalancerPlaced'));
    if (!placed) {
      await handle(store, stream, loadBalancer, {
        type: 'PlaceLoadBalancer', data: { lbId, agentId: AGENT, expectedEpoch: 0, reason: 'initial' }, metadata: { commandId: randomUUID(), now: now() },
      }, { kind: 'service', service: 'scheduler' });
    }
    for (;;) {
      // the view of any replica knows the version to report (it caught up before answering)
      await onBoth(`/v2/lbaas/loadbalancers/${lbId}`);
      const lb = replicas[0].catalog.loadBalancers.lbs.get(lbId);
      if (!lb?.placement) continue;
      await handle(store, stream, loadBalancer, {
        type: 'ReportApplied', data: { lbId, agentId: AGENT, epoch: lb.placement.epoch, version: lb.version }, metadata: { commandId: randomUUID(), now: now() },
      }, agentActor);
      return;
    }
  };

  beforeAll(async () => {
    await ensureEventStream(nats.connection);
    await handle(jetStreamEventStore(nats.connection), { aggregate: 'agent', id: AGENT }, agentDecider, {
      type: 'RegisterAgent', data: { agentId: AGENT, host: 'h1', bridgeMappings: { physnet1: 'br-lb' }, leaseMs: 10_000 },
      metadata: { commandId: randomUUID(), now: now() },
    }, agentActor);
    replicas.push(await start('api-1'), await start('api-2'));
  }, 60_000);
  afterAll(async () => {
    for (const r of replicas) { await r.app.close(); await r.projection.stop(); }
  });

  it('create on one, show, list, change and delete on the other, every step; both show the same, deleted children included', async () => {
    const net = await onNext('POST', '/v2.0/networks', { network: { name: 'n1', 'provider:physical_network': 'physnet1', 'provider:network_type': 'flat' } });
    expect(net.status).toBe(201);
    const shownNet = await onNext('GET', `/v2.0/networks/${net.body.network.id}`);
    expect(shownNet).toMatchObject({ status: 200, body: { network: { id: net.body.network.id, name: 'n1' } } });
    const sub = await onNext('POST', '/v2.0/subnets', { subnet: { network_id: net.body.network.id, cidr: '10.97.0.0/24', ip_version: 4, gateway_ip: '10.97.0.1' } });
    expect(sub.status).toBe(201);

    const lb = await onNext('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'lb1', vip_subnet_id: sub.body.subnet.id } });
    expect(lb.status).toBe(201);
    const lbId: string = lb.body.loadbalancer.id;
    expect((await onNext('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer).toMatchObject({ id: lbId, provisioning_status: 'PENDING_CREATE' });
    expect((await onNext('GET', '/v2/lbaas/loadbalancers?name=lb1')).body.loadbalancers.map((x: { id: string }) => x.id)).toEqual([lbId]);
    // Octavia: PENDING_* refuses changes (409), on whichever replica is asked
    expect((await onNext('PUT', `/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { name: 'renamed' } })).status).toBe(409);
    await converge(lbId);
    expect((await onNext('PUT', `/v2/lbaas/loadbalancers/${lbId}`, { loadbalancer: { name: 'renamed' } })).status).toBe(200);
    expect((await onNext('GET', `/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer).toMatchObject({ name: 'renamed', provisioning_status: 'PENDING_UPDATE' });
    await converge(lbId);

    const lis = await onNext('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    expect(lis.status).toBe(201);
    await converge(lbId);
    const pool = await onNext('POST', '/v2/lbaas/pools', { pool: { listener_id: lis.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    expect(pool.status).toBe(201);
    const poolId: string = pool.body.pool.id;
    await converge(lbId);
    const members: string[] = [];
    for (const address of ['10.97.0.11', '10.97.0.12']) {
      const m = await onNext('POST', `/v2/lbaas/pools/${poolId}/members`, { member: { address, protocol_port: 8080 } });
      expect(m.status).toBe(201);
      members.push(m.body.member.id);
      expect((await onNext('GET', `/v2/lbaas/pools/${poolId}/members/${m.body.member.id}`)).status).toBe(200);
      await converge(lbId);
    }
    expect((await onBoth(`/v2/lbaas/pools/${poolId}/members`)).body.members.map((m: { id: string }) => m.id)).toEqual(members);
    expect((await onNext('PUT', `/v2/lbaas/pools/${poolId}/members/${members[0]}`, { member: { weight: 7 } })).body.member).toMatchObject({ weight: 7 });
    await converge(lbId);

    // Delete on one replica: the other shows the member in PENDING_DELETE until the agent applied the deletion, as does
    // the first; both list the same; then both answer 404.
    expect((await onNext('DELETE', `/v2/lbaas/pools/${poolId}/members/${members[0]}`)).status).toBe(204);
    const pending = await onBoth(`/v2/lbaas/pools/${poolId}/members/${members[0]}`);
    expect(pending).toMatchObject({ status: 200, body: { member: { id: members[0], provisioning_status: 'PENDING_DELETE', weight: 7 } } });
    expect((await onBoth(`/v2/lbaas/pools/${poolId}/members`)).body.members.map((m: { id: string }) => m.id)).toEqual([members[1]]);
    // under another pool's path it is no member
    expect((await onNext('GET', `/v2/lbaas/pools/${randomUUID()}/members/${members[0]}`)).status).toBe(404);
    await converge(lbId);
    expect((await onBoth(`/v2/lbaas/pools/${poolId}/members/${members[0]}`)).status).toBe(404);

    // A replica started now (a restart, a new one behind the load balancer) shows the same, tombstones included.
    // Bottom-up (DELETE_POLICY strict): the pool's last member goes first; a pool with members is a 409 on either.
    expect((await onNext('DELETE', `/v2/lbaas/pools/${poolId}`)).status).toBe(409);
    expect((await onNext('DELETE', `/v2/lbaas/pools/${poolId}/members/${members[1]}`)).status).toBe(204);
    await converge(lbId);
    expect((await onNext('DELETE', `/v2/lbaas/pools/${poolId}`)).status).toBe(204);
    const late = await start('api-3');
    replicas.push(late);
    const poolPending = await onBoth(`/v2/lbaas/pools/${poolId}`);
    expect(poolPending).toMatchObject({ status: 200, body: { pool: { id: poolId, provisioning_status: 'PENDING_DELETE' } } });
    await converge(lbId);
    expect((await onBoth(`/v2/lbaas/pools/${poolId}`)).status).toBe(404);

    expect((await onNext('DELETE', `/v2/lbaas/listeners/${lis.body.listener.id}`)).status).toBe(204);
    expect((await onBoth(`/v2/lbaas/listeners/${lis.body.listener.id}`)).body.listener).toMatchObject({ provisioning_status: 'PENDING_DELETE' });
    await converge(lbId);
    expect((await onNext('DELETE', `/v2/lbaas/loadbalancers/${lbId}`)).status).toBe(204);
    expect((await onBoth(`/v2/lbaas/loadbalancers/${lbId}`)).body.loadbalancer).toMatchObject({ provisioning_status: 'PENDING_DELETE' });
    await converge(lbId);
    expect((await onBoth(`/v2/lbaas/loadbalancers/${lbId}`)).status).toBe(404);
  }, 60_000);

  it('a write through one replica is visible on the other at once, 200 times in a row (catch-up before answering)', async () => {
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      const [writer, reader] = i % 2 === 0 ? [replicas[0], replicas[1]] : [replicas[1], replicas[0]];
      expect((await call(writer, 'PUT', '/v2/lbaas/quotas/p1', { quota: { member: i } })).status).toBe(202);
      expect((await call(reader, 'GET', '/v2/lbaas/quotas/p1')).body.quota.member).toBe(i);
    }
    console.log(`replicas: 200 writes on one replica each read back on the other at once, ${Math.round((performance.now() - t0) / 200 * 10) / 10} ms per pair`);
  }, 60_000);

  it('a replica whose view cannot catch up answers reads from its view and writes with 503 Retry-After, never a false 404', async () => {
    const lagging = await start('api-lagging');
    replicas.push(lagging);
    await lagging.projection.stop(); // its view stands still (as behind a stalled consumer)
    const other = replicas[0];
    const net = await call(other, 'POST', '/v2.0/networks', { network: { name: 'after', 'provider:physical_network': 'phys-lag', 'provider:network_type': 'flat' } });
    expect(net.status).toBe(201);
    const res = await lagging.app.inject({
      method: 'PUT', url: `/v2.0/networks/${net.body.network.id}`, payload: JSON.stringify({ network: { name: 'renamed' } }),
      headers: { 'content-type': 'application/json', 'x-project-id': 'p1' },
    });
    expect([res.statusCode, res.headers['retry-after'], JSON.parse(res.body).faultcode]).toEqual([503, '2', 'Server']);
    expect((await call(lagging, 'GET', '/v2/lbaas/quotas/p1')).status).toBe(200); // reads: the view as it is
    expect((await call(lagging, 'GET', `/v2.0/networks/${net.body.network.id}`)).status).toBe(404); // (stale: not there yet)
    replicas.pop();
    await lagging.app.close();
    await lagging.nc.close();
  }, 30_000);
});
