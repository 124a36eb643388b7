import { apiHarness } from './api-harness.fixtures';

/**
 * Issue 3's API surface in-process against a real nats-server: graph create and batch member update (one commit each),
 * quotas (403 from config defaults and per project), project scoping (404 for other projects), lists (tags, sort,
 * pagination, fields), Octavia's codes. The test plays the agent (placement + DesiredStateApplied) to reach ACTIVE.
 */
const { api, converge, lastSeq } = apiHarness({ agentId: 'agent-f', env: { DEFAULT_PROJECT_ID: 'dflt', QUOTA_POOL: '2' } });

let subnetId = '';
beforeAll(async () => {
  const n = await api('POST', '/v2.0/networks', { network: { name: 'n', 'provider:physical_network': 'physnet1' } });
  subnetId = (await api('POST', '/v2.0/subnets', { subnet: { network_id: n.body.network.id, cidr: '203.0.113.0/24', ip_version: 4 } })).body.subnet.id;
});

const graphBody = (name: string, extra: Record<string, unknown> = {}) => ({
  loadbalancer: {
    name, vip_subnet_id: subnetId, tags: ['graph', name], ...extra,
    listeners: [{
      name: 'l80', protocol: 'HTTP', protocol_port: 80,
      default_pool: {
        name: 'p80', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
        members: [{ address: '192.0.2.1', protocol_port: 80 }, { address: '192.0.2.2', protocol_port: 80, weight: 5 }],
        healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 },
      },
    }],
  },
});

describe('graph create', () => {
  it('creates LB, listener, default pool, members and monitor in one commit (plus the VIP allocation)', async () => {
    const before = await lastSeq();
    const r = await api('POST', '/v2/lbaas/loadbalancers', graphBody('g1'));
    expect(r.status).toBe(201);
    expect(await lastSeq()).toBe(before + 2);
    const lb = r.body.loadbalancer;
    expect(lb.listeners[0]).toMatchObject({ name: 'l80', protocol_port: 80, default_pool_id: lb.listeners[0].default_pool.id });
    expect(lb.listeners[0].default_pool.members.map((m: { weight: number }) => m.weight)).toEqual([1, 5]);
    expect(lb.listeners[0].default_pool.healthmonitor).toMatchObject({ type: 'HTTP', url_path: '/', provisioning_status: 'PENDING_CREATE' });
    expect(lb.pools.map((p: { name: string }) => p.name)).toEqual(['p80']);
    await converge(lb.id);
    const tree = (await api('GET', `/v2/lbaas/loadbalancers/${lb.id}/statuses`)).body.statuses.loadbalancer;
    expect(tree.listeners[0].pools[0].members).toHaveLength(2);
    expect(tree.provisioning_status).toBe('ACTIVE');
  });

  it('refuses a bad nested object with 400 naming the field, and stores nothing', async () => {
    const before = await lastSeq();
    const bad = graphBody('g-bad');
    (bad.loadbalancer.listeners[0].default_pool as Record<string, unknown>).members = [{ address: '192.0.2.999', protocol_port: 80 }];
    const r = await api('POST', '/v2/lbaas/loadbalancers', bad);
    expect(r.status).toBe(400);
    expect(r.body.faultstring).toBe("Invalid input for field/attribute address. Value: '192.0.2.999'. Value should be IPv4 or IPv6 format");
    const unnamed = graphBody('g-bad2');
    delete (unnamed.loadbalancer.listeners[0].default_pool as Record<string, unknown>).name;
    expect((await api('POST', '/v2/lbaas/loadbalancers', unnamed)).body.faultstring).toBe('Validation failure: default_pool in a graph create must have a name.');
    expect(await lastSeq()).toBe(before);
  });
});

describe('batch member update', () => {
  let lbId = '', poolId = '';
  beforeAll(async () => {
    const lb = (await api('GET', '/v2/lbaas/loadbalancers?name=g1')).body.loadbalancers[0];
    lbId = lb.id;
    poolId = lb.pools[0].id;
  });

  it('with additive_only adds and updates (matched by address and port), 202 with an empty body, one commit', async () => {
    const before = await lastSeq();
    const r = await api('PUT', `/v2/lbaas/pools/${poolId}/members?additive_only=true`, { members: [{ address: '192.0.2.2', protocol_port: 80, weight: 9 }, { address: '192.0.2.3', protocol_port: 80 }] });
    expect([r.status, r.raw]).toEqual([202, '']);
    expect(await lastSeq()).toBe(before + 1);
    const members = (await api('GET', `/v2/lbaas/pools/${poolId}/members?sort=address:asc`)).body.members;
    expect(members.map((m: { address: string; weight: number }) => `${m.address}=${m.weight}`)).toEqual(['192.0.2.1=1', '192.0.2.2=9', '192.0.2.3=1']);
  });

  it('is immutable while PENDING (409), and a full update then deletes the members not named', async () => {
    const r = await api('PUT', `/v2/lbaas/pools/${poolId}/members`, { members: [{ address: '192.0.2.3', protocol_port: 80 }] });
    expect(r.status).toBe(409);
    await converge(lbId);
    expect((await api('PUT', `/v2/lbaas/pools/${poolId}/members`, { members: [{ address: '192.0.2.3', protocol_port: 80 }] })).status).toBe(202);
    expect((await api('GET', `/v2/lbaas/pools/${poolId}/members`)).body.members.map((m: { address: string }) => m.address)).toEqual(['192.0.2.3']);
    await converge(lbId);
  });

  it('refuses bad input with 400 and stores nothing', async () => {
    const before = await lastSeq();
    expect((await api('PUT', `/v2/lbaas/pools/${poolId}/members`, { members: [{ address: '192.0.2.3' }] })).body.faultstring)
      .toBe("Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing.");
    expect((await api('PUT', `/v2/lbaas/pools/${poolId}/members`, { member: [] })).status).toBe(400);
    expect((await api('PUT', `/v2/lbaas/pools/${poolId}/members`, { members: [{ address: '192.0.2.3', protocol_port: 80 }, { address: '192.0.2.3', protocol_port: 80 }] })).status).toBe(400);
    expect(await lastSeq()).toBe(before);
  });
});

describe('quotas', () => {
  it('shows defaults from config, enforces them with 403, and per-project limits override them', async () => {
    expect((await api('GET', '/v2/lbaas/quotas/defaults')).body.quota).toMatchObject({ pool: 2, load_balancer: -1 });
    // project dflt holds g1 with one pool; a graph with two more pools goes over pool=2
    const two = graphBody('g2');
    two.loadbalancer.listeners.push({ ...two.loadbalancer.listeners[0], name: 'l81', protocol_port: 81, default_pool: { ...two.loadbalancer.listeners[0].default_pool, name: 'p81' } });
    const r = await api('POST', '/v2/lbaas/loadbalancers', two);
    expect([r.status, r.body.faultstring]).toEqual([403, 'Quota has been met for resources: Pool']);
    expect((await api('PUT', '/v2/lbaas/quotas/dflt', { quota: { pool: 5, load_balancer: 10 } })).status).toBe(202);
    // What is not set reads null ("use the default"), as Octavia shows it; -1 is unlimited.
    expect((await api('GET', '/v2/lbaas/quotas/dflt')).body.quota).toMatchObject({ pool: 5, loadbalancer: 10, listener: null, member: null, project_id: 'dflt' });
    expect((await api('POST', '/v2/lbaas/loadbalancers', two)).status).toBe(201);
    expect((await api('PUT', '/v2/lbaas/quotas/dflt', { quota: { pool: 'x' } })).body.faultstring).toBe("Invalid input for field/attribute pool. Value: 'x'. Value should be an integer");
    expect((await api('DELETE', '/v2/lbaas/quotas/dflt')).status).toBe(202);
    // After a reset the row stays with every limit null (Octavia 11), and the defaults apply again.
    expect((await api('GET', '/v2/lbaas/quotas')).body.quotas[0]).toMatchObject({ project_id: 'dflt', pool: null, load_balancer: null });
    expect((await api('GET', '/v2/lbaas/quotas/dflt/default')).body.quota).toMatchObject({ pool: 2, load_balancer: -1 });
  });
});

describe('semantics', () => {
  it('noauth: every caller is admin (Octavia\'s noauth), X-Project-Id only names the project of new objects', async () => {
    const lb = (await api('GET', '/v2/lbaas/loadbalancers?name=g1')).body.loadbalancers[0];
    const other = { 'x-project-id': 'other', 'x-roles': 'reader' };
    expect((await api('GET', `/v2/lbaas/loadbalancers/${lb.id}`, undefined, other)).status).toBe(200);
    expect((await api('GET', `/v2/lbaas/listeners/${lb.listeners[0].id}`, undefined, { 'x-tenant-id': 'other' })).status).toBe(200);
    expect((await api('GET', '/v2/lbaas/loadbalancers', undefined, other)).body.loadbalancers.map((x: { id: string }) => x.id)).toContain(lb.id);
    expect((await api('PUT', '/v2/lbaas/quotas/dflt', { quota: { pool: 2 } }, other)).status).toBe(202);
    // Tenants are told apart only by a validated token (keystone, jwt): see cross-project.int.spec.ts.
  });

  it('answers a pool with an unknown listener with 404 (not Octavia\'s 500) and PATCH with 405', async () => {
    const r = await api('POST', '/v2/lbaas/pools', { pool: { listener_id: '00000000-0000-4000-8000-00000000000a', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    expect([r.status, r.body.faultstring]).toEqual([404, 'Listener 00000000-0000-4000-8000-00000000000a not found.']);
    expect((await api('PATCH', '/v2/lbaas/loadbalancers', {})).status).toBe(405);
  });

  it('lists with tag filters, sorting, fields and pagination links', async () => {
    const tags = async (q: string) => (await api('GET', `/v2/lbaas/loadbalancers?${q}`)).body.loadbalancers.map((x: { name: string }) => x.name).sort();
    expect(await tags('tags=graph,g1')).toEqual(['g1']);
    expect(await tags('tags-any=g1,g2')).toEqual(['g1', 'g2']);
    expect(await tags('not-tags=graph,g1')).toEqual(['g2']);
    expect(await tags('not-tags-any=g1&not-tags-any=g2')).toEqual([]);
    const sorted = (await api('GET', '/v2/lbaas/loadbalancers?sort_key=name&sort_dir=desc&fields=name&fields=id')).body.loadbalancers;
    expect(sorted.map((x: { name: string }) => x.name)).toEqual(['g2', 'g1']);
    expect(Object.keys(sorted[0]).sort()).toEqual(['id', 'name']);
    const page = (await api('GET', '/v2/lbaas/loadbalancers?limit=1&sort=name:asc')).body;
    expect(page.loadbalancers_links).toEqual([{ rel: 'next', href: `http://127.0.0.1:9876/v2/lbaas/loadbalancers?limit=1&sort=name%3Aasc&marker=${page.loadbalancers[0].id}` }]);
    const next = (await api('GET', `/v2/lbaas/loadbalancers?limit=1&sort=name:asc&marker=${page.loadbalancers[0].id}`)).body;
    expect(next.loadbalancers.map((x: { name: string }) => x.name)).toEqual(['g2']);
    expect(next.loadbalancers_links.map((l: { rel: string }) => l.rel)).toEqual(['previous', 'next']);
    expect((await api('GET', '/v2/lbaas/loadbalancers?bogus=1')).status).toBe(400);
    expect((await api('GET', '/v2/lbaas/members')).status).toBe(404);
  });

  it('answers the Keystone project lookups the CLI makes', async () => {
    expect((await api('GET', '/projects/dflt')).body.project).toMatchObject({ id: 'dflt', name: 'dflt', enabled: true });
    expect((await api('GET', '/v3/projects?name=dflt')).body.projects.map((p: { id: string }) => p.id)).toEqual(['dflt']);
    expect((await api('GET', '/v3/projects/a%20b')).status).toBe(404);
  });
});
