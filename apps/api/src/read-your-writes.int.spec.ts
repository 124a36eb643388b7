import { evolveCatalog, initialCatalog } from '@lbaas/projections';
import { runProjection, type Projection } from '@lbaas/event-store';
import { apiHarness } from './api-harness.fixtures';

/**
 * Read-your-writes under overload (issue 11): the reply to a write is rendered from this api's view, so a write whose
 * commit does not reach the view in time must not be answered from a view that lacks it (a create then answered 404
 * for the object the client had just created). It is a 503 with Retry-After in Octavia's error format: the commit is
 * stored, and the client is told to look before it retries. The view here is held back for real: its projection
 * follows only the subnets' subject (it sees the VIP allocation, never the load balancer's commit), or it stopped.
 */
const P = { 'x-project-id': 'ryw-project' };

describe('a write whose commit does not reach the view in time', () => {
  const h = apiHarness({ agentId: 'ryw-agent' });
  let subnetId = '';
  const held: Projection[] = [];

  beforeAll(async () => {
    const net = await h.api('POST', '/v2.0/networks', { network: { name: 'ryw', 'provider:physical_network': 'physnet1', 'provider:network_type': 'flat' } }, P);
    const sub = await h.api('POST', '/v2.0/subnets', { subnet: { network_id: net.body.network.id, cidr: '10.98.0.0/24', ip_version: 4, gateway_ip: '10.98.0.1' } }, P);
    expect(sub.status).toBe(201);
    subnetId = sub.body.subnet.id;
  });
  afterAll(async () => {
    for (const p of held) await p.stop();
  });

  /** An api whose view has everything up to now, then follows only `filter` (or nothing, once stopped). */
  const heldBackApi = async (o: { filter?: string; stop?: boolean }) => {
    const catalog = initialCatalog();
    const full = await runProjection(h.nats.connection, { onCommit: (c) => evolveCatalog(catalog, c) });
    await full.stop();
    const projection = await runProjection(h.nats.connection, {
      filter: o.filter ?? 'lbaas.evt.>', startAfter: full.seq, onCommit: (c) => evolveCatalog(catalog, c),
    });
    held.push(projection);
    if (o.stop) await projection.stop();
    return (await h.startApp({}, { view: { catalog, waitFor: (seq, ms) => projection.waitFor(seq, ms) } })).api;
  };
  /** The harness's own (current) view has applied everything stored. */
  const caughtUp = async () => h.projection.waitFor(await h.lastSeq());
  const expectRetryLater = (r: { status: number; headers: Record<string, unknown>; body: any }) => {
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('2');
    expect(r.body).toEqual({ faultcode: 'Server', faultstring: expect.stringContaining('was stored'), debuginfo: null });
  };

  it('a create is a 503 with Retry-After after the wait, never a 404; the load balancer it stored is there', async () => {
    const api = await heldBackApi({ filter: 'lbaas.evt.subnet.*' });
    const t0 = Date.now();
    const r = await api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'ryw-held', vip_subnet_id: subnetId } }, P);
    expectRetryLater(r);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(9_000); // it waited (10 s) before saying so
    // The api whose view is current shows it: the client that looks before retrying finds its load balancer.
    await caughtUp();
    const seen = await h.api('GET', '/v2/lbaas/loadbalancers?name=ryw-held', undefined, P);
    expect(seen.body.loadbalancers).toHaveLength(1);
  }, 30_000);

  it('a graph create on a view that stopped is a 503 at once, never a 404', async () => {
    const api = await heldBackApi({ stop: true });
    const r = await api('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'ryw-stopped', vip_subnet_id: subnetId, listeners: [{ protocol: 'HTTP', protocol_port: 80, default_pool: { name: 'p', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }] },
    }, P);
    expectRetryLater(r);
    await caughtUp();
    expect((await h.api('GET', '/v2/lbaas/loadbalancers?name=ryw-stopped', undefined, P)).body.loadbalancers).toHaveLength(1);
  });

  it('a change to an existing load balancer is a 503 as well, and the change is stored', async () => {
    const created = await h.api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'ryw-change', vip_subnet_id: subnetId } }, P);
    expect(created.status).toBe(201);
    const id = created.body.loadbalancer.id as string;
    await h.converge(id);
    const api = await heldBackApi({ stop: true });
    expectRetryLater(await api('PUT', `/v2/lbaas/loadbalancers/${id}`, { loadbalancer: { description: 'changed' } }, P));
    await caughtUp();
    expect((await h.api('GET', `/v2/lbaas/loadbalancers/${id}`, undefined, P)).body.loadbalancer.description).toBe('changed');
  });
});
