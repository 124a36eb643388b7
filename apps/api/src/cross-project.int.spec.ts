import { apiHarness, type Reply } from './api-harness.fixtures';

/**
 * Another project's object is a 404 (http/lookup.ts): project A creates one of every resource type, and project B gets
 * 404 on GET, PUT and DELETE of each, does not see them in lists, and cannot build on them (children, VIPs and members
 * on A's subnets, certificates, container secrets), while A still can and nothing B tried was stored.
 *
 * Callers are request headers: today noauth's X-Project-Id; issue 9 gives the same rows tokens of two Keystone projects.
 */
type Caller = Readonly<Record<string, string>>;
const A: Caller = { 'x-project-id': 'proj-a' };
const B: Caller = { 'x-project-id': 'proj-b' };
const ADMIN: Caller = {};

const h = apiHarness({ agentId: 'agent-x', secrets: true });
const { converge, lastSeq } = h;
const api = (caller: Caller, method: string, url: string, body?: unknown): Promise<Reply> => h.api(method, url, body, caller);

/** What project A made, by name. */
const a: Record<string, string> = {};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

beforeAll(async () => {
  const ok = async (caller: Caller, method: string, url: string, body: unknown, status = 201): Promise<any> => {
    const r = await api(caller, method, url, body);
    if (r.status !== status) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  // An operator's shared network every project may put VIPs on.
  const shared = (await ok(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'shared', 'provider:physical_network': 'physnet1', shared: true, project_id: 'ops' } })).network;
  a.sharedSubnet = (await ok(ADMIN, 'POST', '/v2.0/subnets', { subnet: { network_id: shared.id, cidr: '192.0.2.0/24' } })).subnet.id;
  // Project A's own.
  a.network = (await ok(A, 'POST', '/v2.0/networks', { network: { name: 'a-net', 'provider:physical_network': 'physnet1' } })).network.id;
  a.subnet = (await ok(A, 'POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '198.51.100.0/24' } })).subnet.id;
  a.spareSubnet = (await ok(A, 'POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '203.0.113.0/24' } })).subnet.id;
  a.emptyNetwork = (await ok(A, 'POST', '/v2.0/networks', { network: { name: 'a-empty', 'provider:physical_network': 'physnet1' } })).network.id;
  a.secret = (await ok(A, 'POST', '/v1/secrets', { name: 'cert', payload: PEM + KEY })).secret_ref.split('/').at(-1);
  const cert = (await ok(A, 'POST', '/v1/secrets', { name: 'c', payload: PEM })).secret_ref;
  const key = (await ok(A, 'POST', '/v1/secrets', { name: 'k', payload: KEY })).secret_ref;
  a.containerRef = (await ok(A, 'POST', '/v1/containers', { type: 'certificate', secret_refs: [{ name: 'certificate', secret_ref: cert }, { name: 'private_key', secret_ref: key }] })).container_ref;
  a.container = a.containerRef.split('/').at(-1)!;
  a.secretRef = cert;
  const lb = (await ok(A, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'a-lb', vip_subnet_id: a.subnet } })).loadbalancer;
  a.lb = lb.id;
  a.port = lb.vip_port_id;
  await converge(a.lb);
  a.listener = (await ok(A, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: a.lb, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: a.containerRef } })).listener.id;
  await converge(a.lb);
  a.pool = (await ok(A, 'POST', '/v2/lbaas/pools', { pool: { listener_id: a.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool.id;
  await converge(a.lb);
  a.member = (await ok(A, 'POST', `/v2/lbaas/pools/${a.pool}/members`, { member: { address: '198.51.100.20', protocol_port: 80, subnet_id: a.subnet } })).member.id;
  await converge(a.lb);
  a.gone = (await ok(A, 'POST', `/v2/lbaas/pools/${a.pool}/members`, { member: { address: '198.51.100.21', protocol_port: 80 } })).member.id;
  await converge(a.lb);
  a.hm = (await ok(A, 'POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: a.pool, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } })).healthmonitor.id;
  await converge(a.lb);
  a.policy = (await ok(A, 'POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: a.listener, action: 'REJECT' } })).l7policy.id;
  await converge(a.lb);
  a.rule = (await ok(A, 'POST', `/v2/lbaas/l7policies/${a.policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } })).rule.id;
  await converge(a.lb);
  await ok(A, 'PUT', '/v2/lbaas/quotas/proj-a', { quota: { pool: 50 } }, 202);
  // The deleted-child tombstone: A's deleted member reads PENDING_DELETE until the agent applied the deletion.
  await ok(A, 'DELETE', `/v2/lbaas/pools/${a.pool}/members/${a.gone}`, undefined, 204);
  // B's own load balancer, on the shared network (a tenant may use a shared network).
  a.bLb = (await ok(B, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'b-lb', vip_subnet_id: a.sharedSubnet } })).loadbalancer.id;
  await converge(a.bLb);
}, 60_000);

/**
 * One row per resource type: how to read, change and delete A's object (null: the API has no such route for it), and
 * the list it must not appear in for B (path and the key of its items).
 */
type Row = {
  resource: string;
  get: () => string;
  put: (() => [string, unknown]) | null;
  del: (() => string) | null;
  /** A's object in a list: the list's path, the key of its items, and the object's id (project_id for quotas). */
  list?: () => [string, string, string];
};
const rows: Row[] = [
  { resource: 'load balancer', get: () => `/v2/lbaas/loadbalancers/${a.lb}`, put: () => [`/v2/lbaas/loadbalancers/${a.lb}`, { loadbalancer: { name: 'x' } }], del: () => `/v2/lbaas/loadbalancers/${a.lb}?cascade=true`, list: () => ['/v2/lbaas/loadbalancers', 'loadbalancers', a.lb] },
  { resource: 'listener', get: () => `/v2/lbaas/listeners/${a.listener}`, put: () => [`/v2/lbaas/listeners/${a.listener}`, { listener: { name: 'x' } }], del: () => `/v2/lbaas/listeners/${a.listener}`, list: () => ['/v2/lbaas/listeners', 'listeners', a.listener] },
  { resource: 'pool', get: () => `/v2/lbaas/pools/${a.pool}`, put: () => [`/v2/lbaas/pools/${a.pool}`, { pool: { name: 'x' } }], del: () => `/v2/lbaas/pools/${a.pool}`, list: () => ['/v2/lbaas/pools', 'pools', a.pool] },
  { resource: 'member', get: () => `/v2/lbaas/pools/${a.pool}/members/${a.member}`, put: () => [`/v2/lbaas/pools/${a.pool}/members/${a.member}`, { member: { weight: 2 } }], del: () => `/v2/lbaas/pools/${a.pool}/members/${a.member}` },
  { resource: 'member batch', get: () => `/v2/lbaas/pools/${a.pool}/members`, put: () => [`/v2/lbaas/pools/${a.pool}/members?additive_only=true`, { members: [{ address: '198.51.100.30', protocol_port: 80 }] }], del: null },
  { resource: 'health monitor', get: () => `/v2/lbaas/healthmonitors/${a.hm}`, put: () => [`/v2/lbaas/healthmonitors/${a.hm}`, { healthmonitor: { delay: 9 } }], del: () => `/v2/lbaas/healthmonitors/${a.hm}`, list: () => ['/v2/lbaas/healthmonitors', 'healthmonitors', a.hm] },
  { resource: 'L7 policy', get: () => `/v2/lbaas/l7policies/${a.policy}`, put: () => [`/v2/lbaas/l7policies/${a.policy}`, { l7policy: { name: 'x' } }], del: () => `/v2/lbaas/l7policies/${a.policy}`, list: () => ['/v2/lbaas/l7policies', 'l7policies', a.policy] },
  { resource: 'L7 rule', get: () => `/v2/lbaas/l7policies/${a.policy}/rules/${a.rule}`, put: () => [`/v2/lbaas/l7policies/${a.policy}/rules/${a.rule}`, { rule: { value: '/y' } }], del: () => `/v2/lbaas/l7policies/${a.policy}/rules/${a.rule}` },
  { resource: 'L7 rules list', get: () => `/v2/lbaas/l7policies/${a.policy}/rules`, put: null, del: null },
  { resource: 'secret', get: () => `/v1/secrets/${a.secret}`, put: null, del: () => `/v1/secrets/${a.secret}` },
  { resource: 'secret payload', get: () => `/v1/secrets/${a.secret}/payload`, put: null, del: null },
  { resource: 'container', get: () => `/v1/containers/${a.container}`, put: null, del: () => `/v1/containers/${a.container}` },
  { resource: 'network', get: () => `/v2.0/networks/${a.network}`, put: null, del: () => `/v2.0/networks/${a.emptyNetwork}`, list: () => ['/v2.0/networks', 'networks', a.network] },
  { resource: 'subnet', get: () => `/v2.0/subnets/${a.subnet}`, put: null, del: () => `/v2.0/subnets/${a.spareSubnet}`, list: () => ['/v2.0/subnets', 'subnets', a.subnet] },
  { resource: 'port', get: () => `/v2.0/ports/${a.port}`, put: null, del: null, list: () => ['/v2.0/ports', 'ports', a.port] },
  { resource: 'quota', get: () => '/v2/lbaas/quotas/proj-a', put: () => ['/v2/lbaas/quotas/proj-a', { quota: { pool: 1 } }], del: () => '/v2/lbaas/quotas/proj-a', list: () => ['/v2/lbaas/quotas', 'quotas', 'proj-a'] },
  { resource: 'history', get: () => `/v2/lbaas/loadbalancers/${a.lb}/history`, put: null, del: null },
  { resource: 'load balancer stats', get: () => `/v2/lbaas/loadbalancers/${a.lb}/stats`, put: null, del: null },
  { resource: 'listener stats', get: () => `/v2/lbaas/listeners/${a.listener}/stats`, put: null, del: null },
  { resource: 'status', get: () => `/v2/lbaas/loadbalancers/${a.lb}/status`, put: null, del: null },
  { resource: 'statuses', get: () => `/v2.0/lbaas/loadbalancers/${a.lb}/statuses`, put: null, del: null },
  { resource: 'hosting agent', get: () => `/v2.0/lbaas/loadbalancers/${a.lb}/loadbalancer-hosting-agent`, put: null, del: null },
  { resource: 'failover', get: () => `/v2/lbaas/loadbalancers/${a.lb}`, put: () => [`/v2/lbaas/loadbalancers/${a.lb}/failover`, undefined], del: null },
  { resource: 'deleted member (tombstone)', get: () => `/v2/lbaas/pools/${a.pool}/members/${a.gone}`, put: null, del: null },
];

describe('another project\'s objects are 404s', () => {
  it.each(rows.map((r) => [r.resource, r] as const))('%s: B reads 404, A reads 200', async (_name, row) => {
    expect((await api(B, 'GET', row.get())).status).toBe(404);
    expect((await api(A, 'GET', row.get())).status).toBe(200);
  });

  it('shows A\'s deleted child as PENDING_DELETE to A only', async () => {
    expect((await api(A, 'GET', `/v2/lbaas/pools/${a.pool}/members/${a.gone}`)).body.member.provisioning_status).toBe('PENDING_DELETE');
  });

  it.each(rows.filter((r) => r.put).map((r) => [r.resource, r] as const))('%s: B changes nothing (404)', async (_name, row) => {
    const before = await lastSeq();
    const [path, body] = row.put!();
    expect((await api(B, 'PUT', path, body)).status).toBe(404);
    expect(await lastSeq()).toBe(before);
  });

  it.each(rows.filter((r) => r.del).map((r) => [r.resource, r] as const))('%s: B deletes nothing (404)', async (_name, row) => {
    const before = await lastSeq();
    expect((await api(B, 'DELETE', row.del!())).status).toBe(404);
    expect(await lastSeq()).toBe(before);
    expect((await api(A, 'GET', row.get())).status).toBe(200);
  });

  it.each(rows.filter((r) => r.list).map((r) => [r.resource, r] as const))('%s: absent from B\'s list, present in A\'s', async (_name, row) => {
    const [path, key, id] = row.list!();
    const ids = async (caller: Caller) => ((await api(caller, 'GET', path)).body[key] as { id?: string; project_id?: string }[]).map((x) => x.id ?? x.project_id);
    expect(await ids(A)).toContain(id);
    expect(await ids(B)).not.toContain(id);
  });

  it('keeps B from building on A\'s objects', async () => {
    const before = await lastSeq();
    const refused: [string, string, unknown, number, string | RegExp][] = [
      ['POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: a.lb, protocol: 'HTTP', protocol_port: 81 } }, 404, `Load Balancer ${a.lb} not found.`],
      ['POST', '/v2/lbaas/pools', { pool: { listener_id: a.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 404, `Listener ${a.listener} not found.`],
      ['POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: a.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 404, `Load Balancer ${a.lb} not found.`],
      ['POST', `/v2/lbaas/pools/${a.pool}/members`, { member: { address: '198.51.100.40', protocol_port: 80 } }, 404, `Pool ${a.pool} not found.`],
      ['POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: a.pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } }, 404, `Pool ${a.pool} not found.`],
      ['POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: a.listener, action: 'REJECT' } }, 404, `Listener ${a.listener} not found.`],
      ['POST', `/v2/lbaas/l7policies/${a.policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/z' } }, 404, `L7 Policy ${a.policy} not found.`],
      ['POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: a.subnet } }, 400, `Subnet ${a.subnet} not found.`],
      ['POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_network_id: a.network } }, 400, `Network ${a.network} not found.`],
      ['POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '10.9.0.0/24' } }, 404, `Network ${a.network} could not be found.`],
      ['POST', '/v1/containers', { type: 'certificate', secret_refs: [{ name: 'certificate', secret_ref: a.secretRef }] }, 400, `Secret ${a.secretRef} not found.`],
    ];
    for (const [method, url, body, status, fault] of refused) {
      const r = await api(B, method, url, body);
      expect({ url, status: r.status }).toEqual({ url, status });
      expect({ url, fault: r.body.faultstring }).toEqual({ url, fault: typeof fault === 'string' ? fault : expect.stringMatching(fault) });
    }
    expect(await lastSeq()).toBe(before);
  });

  it('keeps B from A\'s subnets for members and A\'s certificates for listeners, on B\'s own load balancer', async () => {
    const l = await api(B, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: a.bLb, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: a.containerRef } });
    expect([l.status, l.body.faultstring]).toEqual([400, `Could not retrieve certificate: ['${a.containerRef}']`]);
    const own = await api(B, 'POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: a.bLb, protocol: 'HTTP', protocol_port: 80 } });
    expect(own.status).toBe(201);
    await converge(a.bLb);
    const pool = await api(B, 'POST', '/v2/lbaas/pools', { pool: { listener_id: own.body.listener.id, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    await converge(a.bLb);
    const m = await api(B, 'POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '192.0.2.50', protocol_port: 80, subnet_id: a.subnet } });
    expect([m.status, m.body.faultstring]).toEqual([400, `Subnet ${a.subnet} not found.`]);
    const batch = await api(B, 'PUT', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { members: [{ address: '192.0.2.50', protocol_port: 80, subnet_id: a.subnet }] });
    expect([batch.status, batch.body.faultstring]).toEqual([400, `Subnet ${a.subnet} not found.`]);
    // The shared subnet is B's to use.
    expect((await api(B, 'POST', `/v2/lbaas/pools/${pool.body.pool.id}/members`, { member: { address: '192.0.2.50', protocol_port: 80, subnet_id: a.sharedSubnet } })).status).toBe(201);
    await converge(a.bLb);
  });

  it('lets B see the shared network but not change it (403)', async () => {
    const shared = h.catalog.networks.subnets.get(a.sharedSubnet)!.networkId;
    expect((await api(B, 'GET', `/v2.0/networks/${shared}`)).status).toBe(200);
    expect((await api(B, 'GET', `/v2.0/subnets/${a.sharedSubnet}`)).status).toBe(200);
    expect((await api(B, 'DELETE', `/v2.0/subnets/${a.sharedSubnet}`)).status).toBe(403);
    expect((await api(B, 'DELETE', `/v2.0/networks/${shared}`)).status).toBe(403);
  });

  it('still lets A change and delete each of its objects', async () => {
    await converge(a.lb);
    for (const row of rows.filter((r) => r.put && r.resource !== 'failover')) {
      const [path, body] = row.put!();
      const r = await api(A, 'PUT', path, body);
      expect({ resource: row.resource, status: r.status }).toEqual({ resource: row.resource, status: path.includes('members?') || path.includes('quotas') ? 202 : 200 });
      await converge(a.lb);
    }
    // Bottom-up, as a tree is deleted.
    const order = ['L7 rule', 'L7 policy', 'health monitor', 'member', 'pool', 'listener', 'load balancer', 'quota', 'container', 'secret', 'subnet', 'network'];
    expect([...order].sort()).toEqual(rows.filter((r) => r.del).map((r) => r.resource).sort());
    for (const row of order.map((name) => rows.find((r) => r.resource === name)!)) {
      const r = await api(A, 'DELETE', row.del!());
      expect({ resource: row.resource, status: r.status }).toEqual({ resource: row.resource, status: row.resource === 'quota' ? 202 : 204 });
      if (h.catalog.loadBalancers.lbs.has(a.lb)) await converge(a.lb);
    }
  });
});
