import { EventStoreUnavailable, type EventStore } from '@lbaas/event-store';
import pino from 'pino';
import { apiHarness, now } from './api-harness.fixtures';
import { createApiApp } from './app';
import { loadConfig } from './config';

/**
 * The api in-process against a real nats-server: HTTP through Fastify's inject, commits through JetStream, the
 * Catalog fed by the projection runner. No agent runs here: the test reports DesiredStateApplied through the
 * load-balancer decider exactly as the hosting agent would (after a placement), to move a tree to ACTIVE.
 */
/** Every log line at error level or above: unexpected errors (500s) must not happen. */
const errorLogs: string[] = [];
const AGENT = 'agent-a';
const h = apiHarness({ agentId: AGENT, host: 'host-a', logger: pino({ level: 'error' }, { write: (line: string) => { errorLogs.push(line); } }) });
const { api, converge, lastSeq } = h;

const P = { 'x-project-id': 'proj1' };
let networkId: string, subnetId: string, lbId: string, listenerId: string, poolId: string, memberId: string, hmId: string;

describe('api against a real nats-server', () => {
  it('serves the version document, with a request id on every response', async () => {
    const r = await api('GET', '/');
    expect(r.status).toBe(200);
    expect(r.body.versions[0].id).toBe('v2.0');
    expect(r.body.versions.at(-1).status).toBe('CURRENT');
    expect(r.body.versions[0].links[0].href).toBe('http://127.0.0.1:9876/v2');
    expect(r.headers['x-openstack-request-id']).toMatch(/^req-[0-9a-f-]{36}$/);
  });

  it('creates a network and a subnet the CLI can find by id and by name', async () => {
    const n = await api('POST', '/v2.0/networks', { network: { name: 'public', 'provider:physical_network': 'physnet1' } }, P);
    expect(n.status).toBe(201);
    networkId = n.body.network.id;
    expect(n.body.network).toMatchObject({ status: 'ACTIVE', 'provider:network_type': 'flat', project_id: 'proj1', tenant_id: 'proj1' });
    const s = await api('POST', '/v2.0/subnets', {
      subnet: { name: 'public-sub', network_id: networkId, cidr: '198.51.100.0/24', ip_version: 4, allocation_pools: [{ start: '198.51.100.10', end: '198.51.100.20' }] },
    }, P);
    expect(s.status).toBe(201);
    subnetId = s.body.subnet.id;
    expect(s.body.subnet).toMatchObject({ gateway_ip: '198.51.100.1', enable_dhcp: false, ip_version: 4, network_id: networkId });
    expect((await api('GET', `/v2.0/subnets?id=${subnetId}`)).body.subnets.map((x: any) => x.id)).toEqual([subnetId]);
    expect((await api('GET', '/v2.0/subnets?name=public-sub')).body.subnets.map((x: any) => x.id)).toEqual([subnetId]);
    expect((await api('GET', `/v2.0/networks/${networkId}`)).body.network.subnets).toEqual([subnetId]);
  });

  it('creates a load balancer: 201 PENDING_CREATE, the VIP from the pool, Octavia key order', async () => {
    const r = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'lb1', vip_subnet_id: subnetId, tags: ['t'] } }, P);
    expect(r.status).toBe(201);
    const lb = r.body.loadbalancer;
    lbId = lb.id;
    expect(Object.keys(lb)).toEqual([
      'listeners', 'pools', 'id', 'name', 'description', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id',
      'created_at', 'updated_at', 'vip_address', 'vip_port_id', 'vip_subnet_id', 'vip_network_id', 'additional_vips', 'provider',
      'flavor_id', 'vip_qos_policy_id', 'tags', 'availability_zone', 'tenant_id',
    ]);
    expect(lb).toMatchObject({
      provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', vip_address: '198.51.100.10', vip_network_id: networkId,
      project_id: 'proj1', tenant_id: 'proj1', provider: 'lbaas', updated_at: null, tags: ['t'],
    });
    expect(lb.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    const ports = await api('GET', `/v2.0/ports?id=${lb.vip_port_id}`);
    expect(ports.body.ports[0]).toMatchObject({ device_owner: 'Octavia', fixed_ips: [{ subnet_id: subnetId, ip_address: '198.51.100.10' }] });
  });

  it('refuses children while the tree is PENDING_* (409) and accepts them once the agent applied it', async () => {
    const before = await lastSeq();
    const r = await api('POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    expect(r.status).toBe(409);
    expect(r.body).toEqual({ faultcode: 'Client', faultstring: `Load Balancer ${lbId} is immutable and cannot be updated.`, debuginfo: null });
    expect(await lastSeq()).toBe(before);
    expect((await api('DELETE', `/v2.0/lbaas/loadbalancers/${lbId}`)).body.faultstring).toBe(`Invalid state PENDING_CREATE of loadbalancer resource ${lbId}`);
    await converge(lbId);
    const shown = await api('GET', `/v2/lbaas/loadbalancers/${lbId}`);
    expect(shown.body.loadbalancer).toMatchObject({ provisioning_status: 'ACTIVE', operating_status: 'ONLINE' });
    expect(Object.keys(shown.body.loadbalancer).indexOf('listeners')).toBe(Object.keys(shown.body.loadbalancer).indexOf('additional_vips') + 1);
    const hosting = await api('GET', `/v2.0/lbaas/loadbalancers/${lbId}/loadbalancer-hosting-agent`);
    expect(hosting.body.agent).toMatchObject({ id: AGENT, host: 'host-a', agent_type: 'Loadbalancerv2 agent', alive: true });
  });

  it('builds listener → pool → members → monitor, each 201 PENDING_CREATE with Octavia defaults', async () => {
    const l = await api('POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80, connection_limit: '5000', name: 'web' } });
    expect(l.status).toBe(201);
    listenerId = l.body.listener.id;
    expect(l.body.listener).toMatchObject({
      provisioning_status: 'PENDING_CREATE', connection_limit: 5000, timeout_client_data: 50000, timeout_member_connect: 5000,
      timeout_member_data: 50000, timeout_tcp_inspect: 0, loadbalancers: [{ id: lbId }], default_pool_id: null, insert_headers: {},
      allowed_cidrs: null, project_id: 'proj1', tenant_id: 'proj1',
    });
    expect((await api('GET', `/v2.0/lbaas/loadbalancers/${lbId}`)).body.loadbalancer.provisioning_status).toBe('PENDING_UPDATE');
    await converge(lbId);
    const dup = await api('POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80 } });
    expect(dup.status).toBe(409);
    expect(dup.body.faultstring).toBe('Another Listener on this Load Balancer is already using protocol HTTP and protocol_port 80');

    const p = await api('POST', '/v2.0/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } });
    expect(p.status).toBe(201);
    poolId = p.body.pool.id;
    expect(p.body.pool).not.toHaveProperty('healthmonitor_id');
    expect(p.body.pool).toMatchObject({ listeners: [{ id: listenerId }], loadbalancers: [{ id: lbId }], members: [], session_persistence: null });
    expect((await api('GET', `/v2.0/lbaas/listeners/${listenerId}`)).body.listener.default_pool_id).toBe(poolId);
    await converge(lbId);

    const m = await api('POST', `/v2.0/lbaas/pools/${poolId}/members`, { member: { address: '192.0.2.11', protocol_port: 8080, subnet_id: subnetId } });
    expect(m.status).toBe(201);
    memberId = m.body.member.id;
    expect(m.body.member).toMatchObject({ operating_status: 'NO_MONITOR', weight: 1, backup: false, subnet_id: subnetId, monitor_address: null });
    await converge(lbId);
    const dupMember = await api('POST', `/v2.0/lbaas/pools/${poolId}/members`, { member: { address: '192.0.2.11', protocol_port: 8080 } });
    expect(dupMember.status).toBe(409);

    const h = await api('POST', '/v2.0/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 5, timeout: 3, max_retries: 3 } });
    expect(h.status).toBe(201);
    hmId = h.body.healthmonitor.id;
    expect(h.body.healthmonitor).toMatchObject({ http_method: 'GET', url_path: '/', expected_codes: '200', max_retries_down: 3, pools: [{ id: poolId }] });
    await converge(lbId);
    const second = await api('POST', '/v2.0/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } });
    expect(second.status).toBe(409);
    expect(second.body.faultstring).toBe('This pool already has a health monitor');

    expect((await api('GET', `/v2.0/lbaas/pools/${poolId}`)).body.pool.healthmonitor_id).toBe(hmId);
    expect((await api('GET', `/v2.0/lbaas/healthmonitors/${hmId}`)).body.healthmonitor.operating_status).toBe('ONLINE');
    const tree = await api('GET', `/v2.0/lbaas/loadbalancers/${lbId}/statuses`);
    expect(tree.body.statuses.loadbalancer.listeners[0].pools[0]).toMatchObject({
      id: poolId, health_monitor: { id: hmId, type: 'HTTP', provisioning_status: 'ACTIVE' }, members: [{ id: memberId, address: '192.0.2.11', protocol_port: 8080 }],
    });
  });

  it('updates with PUT (200, PENDING_UPDATE) and resets to defaults on null', async () => {
    const r = await api('PUT', `/v2.0/lbaas/listeners/${listenerId}`, { listener: { connection_limit: '1000', timeout_client_data: 30000 } });
    expect(r.status).toBe(200);
    expect(r.body.listener).toMatchObject({ connection_limit: 1000, timeout_client_data: 30000, provisioning_status: 'PENDING_UPDATE' });
    await converge(lbId);
    const reset = await api('PUT', `/v2.0/lbaas/listeners/${listenerId}`, { listener: { timeout_client_data: null } });
    expect(reset.body.listener).toMatchObject({ timeout_client_data: 50000, connection_limit: 1000 });
    await converge(lbId);
    const lb = await api('PUT', `/v2.0/lbaas/loadbalancers/${lbId}`, { loadbalancer: { description: 'updated', tags: ['a', 'b'] } });
    expect(lb.body.loadbalancer).toMatchObject({ description: 'updated', tags: ['a', 'b'], provisioning_status: 'PENDING_UPDATE', name: 'lb1' });
    expect(lb.body.loadbalancer.updated_at).not.toBeNull();
    await converge(lbId);
  });

  it('lists with filters, field selection and pagination links', async () => {
    const second = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'lb2', vip_network_id: networkId } }, P);
    expect(second.status).toBe(201);
    expect(second.body.loadbalancer.vip_address).toBe('198.51.100.11');
    await converge(second.body.loadbalancer.id);
    const all = await api('GET', '/v2.0/lbaas/loadbalancers');
    expect(all.body.loadbalancers.map((x: any) => x.name)).toEqual(['lb1', 'lb2']);
    expect(all.body.loadbalancers_links).toEqual([]);
    expect((await api('GET', '/v2.0/lbaas/loadbalancers?name=lb2')).body.loadbalancers.map((x: any) => x.name)).toEqual(['lb2']);
    expect((await api('GET', `/v2.0/lbaas/loadbalancers?id=${lbId}`)).body.loadbalancers.map((x: any) => x.id)).toEqual([lbId]);
    expect((await api('GET', '/v2.0/lbaas/loadbalancers?id=nonexistent')).body.loadbalancers).toEqual([]);
    expect((await api('GET', '/v2.0/lbaas/loadbalancers?admin_state_up=True&name=lb1')).body.loadbalancers).toHaveLength(1);
    const paged = await api('GET', '/v2.0/lbaas/loadbalancers?limit=1');
    expect(paged.body.loadbalancers).toHaveLength(1);
    expect(paged.body.loadbalancers_links).toEqual([{ href: `http://127.0.0.1:9876/v2.0/lbaas/loadbalancers?limit=1&marker=${lbId}`, rel: 'next' }]);
    const sorted = await api('GET', '/v2.0/lbaas/loadbalancers?sort_key=name&sort_dir=desc');
    expect(sorted.body.loadbalancers.map((x: any) => x.name)).toEqual(['lb2', 'lb1']);
    const fields = await api('GET', `/v2.0/lbaas/loadbalancers/${lbId}?fields=id&fields=provisioning_status`);
    expect(fields.body).toEqual({ loadbalancer: { id: lbId, provisioning_status: 'ACTIVE' } });
    expect((await api('GET', `/v2.0/lbaas/listeners?loadbalancer_id=${lbId}`)).body.listeners).toHaveLength(1);
    expect((await api('GET', `/v2.0/lbaas/pools/${poolId}/members?address=192.0.2.11`)).body.members).toHaveLength(1);
    // cascade delete of the second one: 204, PENDING_DELETE until the agent applied the teardown, then 404
    const del = await api('DELETE', `/v2.0/lbaas/loadbalancers/${second.body.loadbalancer.id}?cascade=true`);
    expect(del.status).toBe(204);
    expect(del.raw).toBe('');
    expect((await api('GET', `/v2.0/lbaas/loadbalancers/${second.body.loadbalancer.id}`)).body.loadbalancer.provisioning_status).toBe('PENDING_DELETE');
    await converge(second.body.loadbalancer.id);
    expect((await api('GET', `/v2.0/lbaas/loadbalancers/${second.body.loadbalancer.id}`)).status).toBe(404);
  });

  const bad = (): [string, string, string, unknown, number, string | RegExp][] => [
    ['LB unknown attribute', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, bogus: 1 } }, 400, 'Unknown attribute for argument load_balancer.loadbalancer: bogus'],
    ['LB without VIP', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'x' } }, 400, 'Validation failure: VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.'],
    ['LB unknown provider', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, provider: 'nope' } }, 400, "Provider 'nope' is not enabled."],
    ['LB unknown subnet', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: '00000000-0000-4000-8000-000000000000' } }, 400, 'Subnet 00000000-0000-4000-8000-000000000000 not found.'],
    ['LB non-uuid subnet', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: 'abc' } }, 400, "Invalid input for field/attribute vip_subnet_id. Value: 'abc'. Value should be UUID format"],
    ['LB vip_port_id', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_port_id: '00000000-0000-4000-8000-000000000000' } }, 400, /^Validation failure: vip_port_id is not supported/],
    ['LB name with newline', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, name: 'a\nb' } }, 400, "Invalid input for field/attribute name. Value: 'a\nb'. Value should not contain control characters"],
    ['LB name too long', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, name: 'x'.repeat(256) } }, 400, /Value should have a maximum character requirement of 255$/],
    ['LB admin_state_up not bool', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId, admin_state_up: 'maybe' } }, 400, "Invalid input for field/attribute admin_state_up. Value: 'maybe'. Value not an unambiguous boolean: maybe"],
    ['LB body not an object', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: [] }, 400, /^Invalid input for field\/attribute loadbalancer/],
    ['LB extra root key', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId }, x: 1 }, 400, 'Unknown attribute for argument load_balancer: x'],
    ['malformed JSON', 'POST', '/v2.0/lbaas/loadbalancers', '{"loadbalancer": {', 400, 'Request is not in valid JSON format'],
    ['listener bad enum', 'POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'FTP', protocol_port: 81 } }, 400, "Invalid input for field/attribute protocol. Value: 'FTP'. Value should be one of: HTTP, HTTPS, TCP, TERMINATED_HTTPS, UDP, SCTP, PROMETHEUS"],
    ['listener port range', 'POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 70000 } }, 400, "Invalid input for field/attribute protocol_port. Value: '70000'. Value should be lower or equal to 65535"],
    ['listener port missing', 'POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP' } }, 400, "Invalid input for field/attribute protocol_port. Value: 'None'. Mandatory field missing."],
    ['listener unknown LB', 'POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: '00000000-0000-4000-8000-000000000000', protocol: 'HTTP', protocol_port: 81 } }, 404, 'Load Balancer 00000000-0000-4000-8000-000000000000 not found.'],
    ['listener bad insert header', 'POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 81, insert_headers: { 'X-Evil\nfoo': 'true' } } }, 400, /is not a valid option for insert_headers$/],
    ['listener timeout negative', 'PUT', `/v2.0/lbaas/listeners/LISTENER`, { listener: { timeout_client_data: -1 } }, 400, "Invalid input for field/attribute timeout_client_data. Value: '-1'. Value should be greater or equal to 0"],
    ['listener unknown id', 'DELETE', '/v2.0/lbaas/listeners/00000000-0000-4000-8000-000000000000', undefined, 404, 'Listener 00000000-0000-4000-8000-000000000000 not found.'],
    ['pool unknown listener', 'POST', '/v2.0/lbaas/pools', { pool: { listener_id: '00000000-0000-4000-8000-000000000000', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 404, 'Listener 00000000-0000-4000-8000-000000000000 not found.'],
    ['pool without parent', 'POST', '/v2.0/lbaas/pools', { pool: { protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, 400, 'Validation failure: Must provide at least one of: loadbalancer_id, listener_id'],
    ['pool cookie injection', 'POST', '/v2.0/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b\n' } } }, 400, /^Invalid input for field\/attribute session_persistence/],
    ['pool cookie on SOURCE_IP', 'POST', '/v2.0/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'SOURCE_IP', cookie_name: 'sid' } } }, 400, 'Validation failure: Field "cookie_name" can only be specified with session persistence of type "APP_COOKIE".'],
    ['pool bad algorithm', 'POST', '/v2.0/lbaas/pools', { pool: { loadbalancer_id: lbId, protocol: 'HTTP', lb_algorithm: 'RANDOM' } }, 400, /Value should be one of: ROUND_ROBIN, LEAST_CONNECTIONS, SOURCE_IP, SOURCE_IP_PORT$/],
    ['member bad address', 'POST', `/v2.0/lbaas/pools/POOL/members`, { member: { address: '999.1.1.1', protocol_port: 80 } }, 400, "Invalid input for field/attribute address. Value: '999.1.1.1'. Value should be IPv4 or IPv6 format"],
    ['member reserved address', 'POST', `/v2.0/lbaas/pools/POOL/members`, { member: { address: '169.254.169.254', protocol_port: 80 } }, 400, '169.254.169.254 is not a valid option for member address'],
    ['member weight range', 'POST', `/v2.0/lbaas/pools/POOL/members`, { member: { address: '192.0.2.12', protocol_port: 80, weight: 257 } }, 400, "Invalid input for field/attribute weight. Value: '257'. Value should be lower or equal to 256"],
    ['member unknown pool', 'POST', '/v2.0/lbaas/pools/00000000-0000-4000-8000-000000000000/members', { member: { address: '192.0.2.12', protocol_port: 80 } }, 404, 'Pool 00000000-0000-4000-8000-000000000000 not found.'],
    ['hm url_path injection', 'PUT', `/v2.0/lbaas/healthmonitors/HM`, { healthmonitor: { url_path: '/x\n  server evil 1.2.3.4:80' } }, 400, /^Invalid input for field\/attribute url_path/],
    ['hm url_path with space', 'PUT', `/v2.0/lbaas/healthmonitors/HM`, { healthmonitor: { url_path: '/a b' } }, 400, /^Invalid input for field\/attribute url_path/],
    ['hm expected_codes', 'PUT', `/v2.0/lbaas/healthmonitors/HM`, { healthmonitor: { expected_codes: '200 OK' } }, 400, /^Invalid input for field\/attribute expected_codes/],
    ['hm max_retries range', 'POST', '/v2.0/lbaas/healthmonitors', { healthmonitor: { pool_id: 'POOLX', type: 'HTTP', delay: 5, timeout: 3, max_retries: 11 } }, 400, "Invalid input for field/attribute max_retries. Value: '11'. Value should be lower or equal to 10"],
    ['hm http field on TCP', 'POST', '/v2.0/lbaas/healthmonitors', { healthmonitor: { pool_id: 'POOLX', type: 'TCP', delay: 5, timeout: 3, max_retries: 3, url_path: '/' } }, 400, 'Validation failure: url_path is only valid for HTTP and HTTPS health monitors, not TCP.'],
    ['unknown filter', 'GET', '/v2.0/lbaas/listeners?bogus=1', undefined, 400, 'One or more arguments are either duplicate or invalid'],
    ['bad sort key', 'GET', '/v2.0/lbaas/pools?sort_key=bogus', undefined, 400, "Supplied sort key 'bogus' is not valid."],
    ['non-uuid path id', 'GET', '/v2.0/lbaas/pools/not-a-uuid', undefined, 404, 'Pool not-a-uuid not found.'],
    ['delete LB with children', 'DELETE', '/v2.0/lbaas/loadbalancers/LB', undefined, 400, 'Validation failure: Cannot delete Load Balancer LB - it has children'],
    ['missing project', 'POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: subnetId } }, 400, /^Validation failure: Missing project ID in request where one is required/],
    ['subnet on unknown network', 'POST', '/v2.0/subnets', { subnet: { network_id: '00000000-0000-4000-8000-000000000000', cidr: '10.0.0.0/24' } }, 404, 'Network 00000000-0000-4000-8000-000000000000 could not be found.'],
    ['network without physnet', 'POST', '/v2.0/networks', { network: { name: 'n' } }, 400, 'Invalid input for operation: physical_network required for flat provider network.'],
  ];

  it('answers every bad input with its status and faultstring and appends nothing', async () => {
    const fill = (s: string) => s.replace('LISTENER', listenerId).replace('POOLX', poolId).replace('POOL', poolId).replace(/\bHM\b/, hmId).replace(/\bLB\b/g, lbId);
    for (const [name, method, url, body, status, fault] of bad()) {
      const before = await lastSeq();
      const headers = name === 'missing project' ? {} : P;
      const r = await api(method, fill(url), typeof body === 'string' || body === undefined ? body : JSON.parse(fill(JSON.stringify(body))), headers);
      const expectedFault = typeof fault === 'string' ? fill(fault) : fault;
      expect({ name, status: r.status }).toEqual({ name, status });
      expect({ name, faultcode: r.body.faultcode, debuginfo: r.body.debuginfo }).toEqual({ name, faultcode: 'Client', debuginfo: null });
      if (typeof expectedFault === 'string') expect({ name, f: r.body.faultstring }).toEqual({ name, f: expectedFault });
      else expect({ name, f: r.body.faultstring }).toEqual({ name, f: expect.stringMatching(expectedFault) });
      expect({ name, seq: await lastSeq() }).toEqual({ name, seq: before });
    }
  });

  it('answers 413 to a body over the limit, 405 to PATCH and pecan 404s for unknown paths', async () => {
    const big = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'x'.repeat(2 * 1024 * 1024) } });
    expect(big.status).toBe(413);
    expect(big.body.faultcode).toBe('Client');
    const patch = await api('PATCH', `/v2.0/lbaas/loadbalancers/${lbId}`, { loadbalancer: {} });
    expect(patch).toMatchObject({ status: 405, body: { code: 405, title: 'Method Not Allowed', description: '' } });
    expect(await api('GET', '/v2.0/lbaas/bogus')).toMatchObject({ status: 404, body: { code: 404, title: 'Not Found', description: '' } });
    const members = await api('GET', '/v2.0/lbaas/pools/00000000-0000-4000-8000-000000000000/members');
    expect(members).toMatchObject({ status: 404, body: { code: 404, title: 'Bad Request', description: 'Pool 00000000-0000-4000-8000-000000000000 not found.' } });
    const wrongType = await api('POST', '/v2.0/lbaas/loadbalancers', 'x', { 'content-type': 'text/plain' });
    expect(wrongType.status).toBe(415);
    expect(wrongType.body.faultcode).toBe('Client');
  });

  it('deletes bottom-up: monitor, member, pool, listener, then the load balancer', async () => {
    expect((await api('DELETE', `/v2.0/lbaas/healthmonitors/${hmId}`)).status).toBe(204);
    await converge(lbId);
    expect((await api('GET', `/v2.0/lbaas/healthmonitors/${hmId}`)).status).toBe(404);
    expect((await api('DELETE', `/v2.0/lbaas/pools/${poolId}/members/${memberId}`)).status).toBe(204);
    await converge(lbId);
    expect((await api('DELETE', `/v2.0/lbaas/pools/${poolId}`)).status).toBe(204);
    await converge(lbId);
    expect((await api('GET', `/v2.0/lbaas/listeners/${listenerId}`)).body.listener.default_pool_id).toBeNull();
    expect((await api('DELETE', `/v2.0/lbaas/listeners/${listenerId}`)).status).toBe(204);
    await converge(lbId);
    expect((await api('DELETE', `/v2.0/lbaas/loadbalancers/${lbId}`)).status).toBe(204);
    await converge(lbId);
    expect((await api('GET', `/v2.0/lbaas/loadbalancers/${lbId}`)).status).toBe(404);
    expect((await api('GET', '/v2.0/lbaas/loadbalancers')).body.loadbalancers).toEqual([]);
  });

  it('cascade-deletes a tree with children', async () => {
    const lb = (await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'lb3', vip_subnet_id: subnetId } }, P)).body.loadbalancer;
    await converge(lb.id);
    const l = await api('POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lb.id, protocol: 'TCP', protocol_port: 443 } });
    await converge(lb.id);
    await api('POST', '/v2.0/lbaas/pools', { pool: { listener_id: l.body.listener.id, protocol: 'TCP', lb_algorithm: 'SOURCE_IP' } });
    await converge(lb.id);
    expect((await api('DELETE', `/v2.0/lbaas/loadbalancers/${lb.id}`)).body.faultstring).toBe(`Validation failure: Cannot delete Load Balancer ${lb.id} - it has children`);
    expect((await api('DELETE', `/v2.0/lbaas/loadbalancers/${lb.id}?cascade=true`)).status).toBe(204);
    expect((await api('GET', `/v2.0/lbaas/listeners/${l.body.listener.id}`)).body.listener.provisioning_status).toBe('PENDING_DELETE');
    await converge(lb.id);
    expect((await api('GET', `/v2.0/lbaas/loadbalancers/${lb.id}`)).status).toBe(404);
    expect((await api('GET', `/v2.0/lbaas/listeners/${l.body.listener.id}`)).status).toBe(404);
  });

  it('gives the VIP back when the load balancer cannot be created (saga compensation)', async () => {
    const { store, catalog, projection } = h;
    const failing: EventStore = {
      read: (s) => store.read(s),
      append: (s, c, e) => (s.aggregate === 'lb' ? Promise.reject(new EventStoreUnavailable('lb streams are down for this test')) : store.append(s, c, e)),
    };
    const broken = await createApiApp({
      config: loadConfig({ NATS_URL: h.nats.url }), store: failing, clock: { now }, logger: pino({ level: 'silent' }),
      view: { catalog, waitFor: (seq, ms) => projection.waitFor(seq, ms) }, health: async () => ({ ok: true, detail: 'not asked here' }),
    });
    try {
      const vipsBefore = catalog.networks.subnets.get(subnetId)!.vips.size;
      const r = await broken.inject({ method: 'POST', url: '/v2.0/lbaas/loadbalancers', payload: { loadbalancer: { vip_subnet_id: subnetId } }, headers: P });
      expect(r.statusCode).toBe(503);
      expect(JSON.parse(r.body)).toMatchObject({ faultcode: 'Server', debuginfo: null });
      await projection.waitFor(await lastSeq());
      expect(catalog.networks.subnets.get(subnetId)!.vips.size).toBe(vipsBefore);
    } finally {
      await broken.close();
    }
  });

  it('never answered 500 or logged an unexpected error', () => {
    expect(errorLogs).toEqual([]);
  });

  it('lists agents in neutron-lbaas shape', async () => {
    const r = await api('GET', '/v2.0/agents');
    expect(r.body.agents).toEqual([expect.objectContaining({
      id: AGENT, agent_type: 'Loadbalancerv2 agent', binary: 'lbaas-agent', host: 'host-a', alive: true, admin_state_up: true,
      configurations: expect.objectContaining({ bridge_mappings: { physnet1: 'br-lb' } }),
    })]);
  });
});
