import { keystoneInstalled, keystonePerFile } from '@lbaas/testing';
import { apiHarness, keystoneEnv, type Reply } from './api-harness.fixtures';

/**
 * Another project's object is a 404 (http/lookup.ts): project A creates one of every resource type, and project B gets
 * 404 on GET, PUT and DELETE of each, does not see them in lists, and cannot build on them (children, VIPs and members
 * on A's subnets, certificates, container secrets), while A still can and nothing B tried was stored. Operator-only
 * routes (failover, the hosting agent, quota writes, provider networks) are a 403 for both tenants.
 *
 * Callers are real identities: Keystone tokens of members of two projects and of the admin (AUTH_STRATEGY=keystone).
 * In noauth there are no tenants to keep apart (every caller is admin, as in Octavia).
 */
if (!keystoneInstalled()) throw new Error('Debian\'s keystone package is missing: run sudo bash scripts/install.sh --tests');
type Caller = Readonly<Record<string, string>>;
const ks = keystonePerFile();
const h = apiHarness({ agentId: 'agent-x', secrets: true, env: () => keystoneEnv(ks) });
const { converge, lastSeq } = h;
let A: Caller, B: Caller, ADMIN: Caller;
let projA = '';
const api = (caller: Caller, method: string, url: string, body?: unknown): Promise<Reply> => h.api(method, url, body, caller);

/** What project A made, by name. */
const a: Record<string, string> = {};
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

beforeAll(async () => {
  A = { 'x-auth-token': await ks.token('a-member') };
  B = { 'x-auth-token': await ks.token('b-member') };
  ADMIN = { 'x-auth-token': await ks.token('admin') };
  projA = ks.projects.A.id;
  const ok = async (caller: Caller, method: string, url: string, body: unknown, status = 201): Promise<any> => {
    const r = await api(caller, method, url, body);
    if (r.status !== status) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  // An operator's shared network every project may put VIPs on.
  const shared = (await ok(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'shared', 'provider:physical_network': 'physnet1', shared: true, project_id: 'ops' } })).network;
  a.sharedSubnet = (await ok(ADMIN, 'POST', '/v2.0/subnets', { subnet: { network_id: shared.id, cidr: '192.0.2.0/24' } })).subnet.id;
  // Project A's own: its networks are provider networks, so the admin creates them for A; A makes its subnets itself.
  a.network = (await ok(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'a-net', 'provider:physical_network': 'physnet2', project_id: projA } })).network.id;
  a.subnet = (await ok(A, 'POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '198.51.100.0/24' } })).subnet.id;
  a.spareSubnet = (await ok(A, 'POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '203.0.113.0/24' } })).subnet.id;
  a.emptyNetwork = (await ok(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'a-empty', 'provider:physical_network': 'physnet3', tenant_id: projA } })).network.id;
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
  await ok(ADMIN, 'PUT', `/v2/lbaas/quotas/${projA}`, { quota: { pool: 50 } }, 202);
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
  /** Operator-only (an admin rule, quota writes, provider networks): tenants get 403 whoever owns the object. */
  operator?: { get?: true; put?: true; del?: true };
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
  { resource: 'network', get: () => `/v2.0/networks/${a.network}`, put: null, del: () => `/v2.0/networks/${a.emptyNetwork}`, list: () => ['/v2.0/networks', 'networks', a.network], operator: { del: true } },
  { resource: 'subnet', get: () => `/v2.0/subnets/${a.subnet}`, put: null, del: () => `/v2.0/subnets/${a.spareSubnet}`, list: () => ['/v2.0/subnets', 'subnets', a.subnet] },
  { resource: 'port', get: () => `/v2.0/ports/${a.port}`, put: null, del: null, list: () => ['/v2.0/ports', 'ports', a.port] },
  { resource: 'quota', get: () => `/v2/lbaas/quotas/${projA}`, put: () => [`/v2/lbaas/quotas/${projA}`, { quota: { pool: 1 } }], del: () => `/v2/lbaas/quotas/${projA}`, list: () => ['/v2/lbaas/quotas', 'quotas', projA], operator: { put: true, del: true } },
  { resource: 'history', get: () => `/v2/lbaas/loadbalancers/${a.lb}/history`, put: null, del: null },
  { resource: 'load balancer stats', get: () => `/v2/lbaas/loadbalancers/${a.lb}/stats`, put: null, del: null },
  { resource: 'listener stats', get: () => `/v2/lbaas/listeners/${a.listener}/stats`, put: null, del: null },
  { resource: 'status', get: () => `/v2/lbaas/loadbalancers/${a.lb}/status`, put: null, del: null },
  { resource: 'statuses', get: () => `/v2.0/lbaas/loadbalancers/${a.lb}/statuses`, put: null, del: null },
  { resource: 'hosting agent', get: () => `/v2.0/lbaas/loadbalancers/${a.lb}/loadbalancer-hosting-agent`, put: null, del: null, operator: { get: true } },
  { resource: 'failover', get: () => `/v2/lbaas/loadbalancers/${a.lb}`, put: () => [`/v2/lbaas/loadbalancers/${a.lb}/failover`, undefined], del: null, operator: { put: true } },
  { resource: 'deleted member (tombstone)', get: () => `/v2/lbaas/pools/${a.pool}/members/${a.gone}`, put: null, del: null },
];

describe('another project\'s objects are 404s', () => {
  it.each(rows.map((r) => [r.resource, r] as const))('%s: B reads 404, A reads 200 (operator views: 403 to both, 200 to the admin)', async (_name, row) => {
    expect((await api(B, 'GET', row.get())).status).toBe(row.operator?.get ? 403 : 404);
    expect((await api(A, 'GET', row.get())).status).toBe(row.operator?.get ? 403 : 200);
    expect((await api(ADMIN, 'GET', row.get())).status).toBe(200);
  });

  it('shows A\'s deleted child as PENDING_DELETE to A only', async () => {
    expect((await api(A, 'GET', `/v2/lbaas/pools/${a.pool}/members/${a.gone}`)).body.member.provisioning_status).toBe('PENDING_DELETE');
  });

  it.each(rows.filter((r) => r.put).map((r) => [r.resource, r] as const))('%s: B changes nothing (404; 403 for an operator action)', async (_name, row) => {
    const before = await lastSeq();
    const [path, body] = row.put!();
    expect((await api(B, 'PUT', path, body)).status).toBe(row.operator?.put ? 403 : 404);
    if (row.operator?.put) expect((await api(A, 'PUT', path, body)).status).toBe(403);
    expect(await lastSeq()).toBe(before);
  });

  it.each(rows.filter((r) => r.del).map((r) => [r.resource, r] as const))('%s: B deletes nothing (404; 403 for an operator action)', async (_name, row) => {
    const before = await lastSeq();
    expect((await api(B, 'DELETE', row.del!())).status).toBe(row.operator?.del ? 403 : 404);
    if (row.operator?.del) expect((await api(A, 'DELETE', row.del!())).status).toBe(403);
    expect(await lastSeq()).toBe(before);
    expect((await api(A, 'GET', row.get())).status).toBe(200);
  });

  it.each(rows.filter((r) => r.list).map((r) => [r.resource, r] as const))('%s: absent from B\'s list, present in A\'s', async (_name, row) => {
    const [path, key, id] = row.list!();
    const ids = async (caller: Caller) => ((await api(caller, 'GET', path)).body[key] as { id?: string; project_id?: string }[]).map((x) => x.id ?? x.project_id);
    expect(await ids(A)).toContain(id);
    expect(await ids(B)).not.toContain(id);
  });

  it('keeps B from building on A\'s objects, or from creating for A', async () => {
    const before = await lastSeq();
    const refused: [string, string, unknown, number, string | RegExp][] = [
      ['POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: a.sharedSubnet, project_id: projA } }, 403, 'Policy does not allow this request to be performed.'],
      ['POST', '/v2.0/networks', { network: { 'provider:physical_network': 'physnet9' } }, 403, 'Policy does not allow this request to be performed.'],
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

  it('keeps B off A\'s addresses on a shared layer-2 segment, and the segment\'s address plan whole', async () => {
    await converge(a.lb);
    const poolOk = await api(A, 'POST', `/v2/lbaas/pools/${a.pool}/members`, { member: { address: '192.0.2.77', protocol_port: 80, subnet_id: a.sharedSubnet } });
    expect(poolOk.status).toBe(201);
    await converge(a.lb);
    const bVip = h.catalog.loadBalancers.lbs.get(a.bLb)!.vipAddress;
    const before = await lastSeq();
    const vip = (address: string, caller = B, project?: string) =>
      api(caller, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: a.sharedSubnet, vip_address: address, ...(project ? { project_id: project } : {}) } });
    const refusals: [Promise<Reply>, number, string][] = [
      [vip('192.0.2.77'), 409, `IP address 192.0.2.77 already allocated in subnet ${a.sharedSubnet}`], // A's backend: no ARP takeover
      [vip(bVip), 409, `IP address ${bVip} already allocated in subnet ${a.sharedSubnet}`], // another VIP
      [vip('192.0.2.1'), 400, 'IP address 192.0.2.1 is not a valid IP for the specified subnet.'], // the gateway
      [api(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'second', 'provider:physical_network': 'physnet1' } }), 409,
        'Unable to create the flat network. Physical network physnet1 is in use.'],
    ];
    for (const [sent, status, fault] of refusals) {
      const r = await sent;
      expect([r.status, r.body.faultstring]).toEqual([status, fault]);
    }
    const shared = h.catalog.networks.subnets.get(a.sharedSubnet)!.networkId;
    const overlap = await api(ADMIN, 'POST', '/v2.0/subnets', { subnet: { network_id: shared, cidr: '192.0.2.128/25' } });
    expect([overlap.status, overlap.body.faultstring]).toEqual([400,
      `Invalid input for operation: Requested subnet with cidr: 192.0.2.128/25 for network: ${shared} overlaps with another subnet.`]);
    expect(await lastSeq()).toBe(before);
    // Outside the allocation pools: an admin may, a tenant may not.
    const net = (await api(ADMIN, 'POST', '/v2.0/networks', { network: { name: 'pooled', 'provider:physical_network': 'physnet4', shared: true } })).body.network.id;
    const pooled = (await api(ADMIN, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.20.0.0/24', allocation_pools: [{ start: '10.20.0.100', end: '10.20.0.200' }] } })).body.subnet.id;
    const mark = await lastSeq();
    const outside = await api(B, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: pooled, vip_address: '10.20.0.5' } });
    expect([outside.status, outside.body.faultstring]).toEqual([403, `IP address 10.20.0.5 is outside the allocation pools of subnet ${pooled}; only an administrator may choose such an address.`]);
    await h.projection.waitFor(await lastSeq());
    expect(h.catalog.networks.subnets.get(pooled)!.vips.size).toBe(0); // nothing allocated (the refused saga step wrote nothing)
    expect(await lastSeq()).toBe(mark);
    const byAdmin = await api(ADMIN, 'POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: pooled, vip_address: '10.20.0.5', project_id: ks.projects.B.id } });
    expect([byAdmin.status, byAdmin.body.loadbalancer?.vip_address, byAdmin.body.loadbalancer?.project_id]).toEqual([201, '10.20.0.5', ks.projects.B.id]);
    await converge(byAdmin.body.loadbalancer.id);
    expect((await api(B, 'DELETE', `/v2/lbaas/loadbalancers/${byAdmin.body.loadbalancer.id}`)).status).toBe(204);
    expect((await api(A, 'DELETE', `/v2/lbaas/pools/${a.pool}/members/${poolOk.body.member.id}`)).status).toBe(204);
    await converge(a.lb);
  });

  it('still lets A change and delete each of its objects (the admin does the operator\'s part)', async () => {
    await converge(a.lb);
    for (const row of rows.filter((r) => r.put && r.resource !== 'failover')) {
      const [path, body] = row.put!();
      const r = await api(row.operator?.put ? ADMIN : A, 'PUT', path, body);
      expect({ resource: row.resource, status: r.status }).toEqual({ resource: row.resource, status: path.includes('members?') || path.includes('quotas') ? 202 : 200 });
      await converge(a.lb);
    }
    // Bottom-up, as a tree is deleted.
    const order = ['L7 rule', 'L7 policy', 'health monitor', 'member', 'pool', 'listener', 'load balancer', 'quota', 'container', 'secret', 'subnet', 'network'];
    expect([...order].sort()).toEqual(rows.filter((r) => r.del).map((r) => r.resource).sort());
    for (const row of order.map((name) => rows.find((r) => r.resource === name)!)) {
      if (row.resource === 'pool') {
        // The batch update added a member: deletion goes bottom-up, so it goes before its pool (DELETE_POLICY=strict).
        for (const m of (await api(A, 'GET', `/v2/lbaas/pools/${a.pool}/members`)).body.members) {
          expect((await api(A, 'DELETE', `/v2/lbaas/pools/${a.pool}/members/${m.id}`)).status).toBe(204);
          await converge(a.lb);
        }
      }
      const r = await api(row.operator?.del ? ADMIN : A, 'DELETE', row.del!());
      expect({ resource: row.resource, status: r.status }).toEqual({ resource: row.resource, status: row.resource === 'quota' ? 202 : 204 });
      if (h.catalog.loadBalancers.lbs.has(a.lb)) await converge(a.lb);
    }
  });
});
