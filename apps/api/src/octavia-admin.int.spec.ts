import { agent as agentDecider } from '@lbaas/domain';
import { handle } from '@lbaas/event-store';
import { randomUUID } from 'node:crypto';
import { apiHarness, now, type Reply } from './api-harness.fixtures';
import { makeCa } from './tls-material.fixtures';

/**
 * Issue 13's API half in-process against a real nats-server: flavors and availability zones with their profiles and
 * the provider's capabilities, load balancers created with them (topology, limits, placement zone), the amphora records,
 * additional VIPs, the TLS fields and their hostile values, strict deletion, quotas' null, the filters the clients send,
 * updated_at. The test plays the agent (placement + DesiredStateApplied) as the harness does.
 */
const h = apiHarness({ agentId: 'agent-o', secrets: true, env: { DEFAULT_PROJECT_ID: 'proj-o' } });
const { api, converge, lastSeq } = h;
const ok = async (method: string, url: string, body?: unknown, status = 201): Promise<any> => {
  const r = await api(method, url, body);
  if (r.status !== status) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const fault = (r: Reply) => [r.status, r.body?.faultstring];

const ids: Record<string, string> = {};
beforeAll(async () => {
  // Two more agents: agent-y in zone rack-1, agent-z in zone rack-2 with a management address.
  for (const [agentId, zone, address] of [['agent-y', 'rack-1', null], ['agent-z', 'rack-2', '192.0.2.50']] as const) {
    await handle(h.store, { aggregate: 'agent', id: agentId }, agentDecider, {
      type: 'RegisterAgent',
      data: { agentId, host: `host-${agentId.slice(-1)}`, bridgeMappings: { physnet1: 'br-lb' }, leaseMs: 10_000, availabilityZone: zone, managementAddress: address },
      metadata: { commandId: randomUUID(), now: now() },
    }, { kind: 'service', service: `agent:${agentId}` }).then((r) => h.projection.waitFor(r.seq));
  }
  const net = (await ok('POST', '/v2.0/networks', { network: { name: 'n', 'provider:physical_network': 'physnet1' } })).network.id;
  ids.net = net;
  ids.subnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '198.51.100.0/24' } })).subnet.id;
  ids.subnet2 = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '203.0.113.0/24' } })).subnet.id;
  const other = (await ok('POST', '/v2.0/networks', { network: { name: 'other', 'provider:physical_network': 'physnet2' } })).network.id;
  ids.otherSubnet = (await ok('POST', '/v2.0/subnets', { subnet: { network_id: other, cidr: '192.0.2.0/24' } })).subnet.id;
}, 60_000);

describe('provider capabilities', () => {
  it('lists what flavor and availability zone profiles may say', async () => {
    const f = await ok('GET', '/v2/lbaas/providers/lbaas/flavor_capabilities', undefined, 200);
    expect(f.flavor_capabilities.map((c: { name: string }) => c.name)).toEqual(['loadbalancer_topology', 'max_listeners', 'max_listener_connections']);
    const z = await ok('GET', '/v2.0/lbaas/providers/lbaas/availability_zone_capabilities?fields=name', undefined, 200);
    expect(z).toEqual({ availability_zone_capabilities: [{ name: 'compute_zone' }, { name: 'valid_vip_networks' }] });
    expect(fault(await api('GET', '/v2/lbaas/providers/amphora/flavor_capabilities'))).toEqual([400, "Provider 'amphora' is not enabled."]);
  });
});

describe('flavors and flavor profiles', () => {
  it('creates, lists, shows, updates and deletes them with Octavia\'s shapes', async () => {
    const p = (await ok('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'capped', provider_name: 'lbaas', flavor_data: '{"max_listener_connections": 500, "max_listeners": 1}' } })).flavorprofile;
    expect(p).toEqual({ id: expect.any(String), name: 'capped', provider_name: 'lbaas', flavor_data: '{"max_listener_connections": 500, "max_listeners": 1}' });
    ids.profile = p.id;
    const f = (await ok('POST', '/v2/lbaas/flavors', { flavor: { name: 'small', flavor_profile_id: p.id } })).flavor;
    expect(f).toEqual({ id: expect.any(String), name: 'small', description: '', enabled: true, flavor_profile_id: p.id });
    ids.flavor = f.id;
    expect((await ok('GET', '/v2/lbaas/flavorprofiles', undefined, 200))).toEqual({ flavorprofiles: [p], flavorprofile_links: [] });
    expect((await ok('GET', '/v2.0/lbaas/flavors?name=small', undefined, 200)).flavors).toEqual([f]);
    expect((await ok('PUT', `/v2/lbaas/flavors/${f.id}`, { flavor: { description: 'one haproxy' } }, 200)).flavor.description).toBe('one haproxy');
    expect((await ok('GET', `/v2/lbaas/flavors/${f.id}?fields=name`, undefined, 200))).toEqual({ flavor: { name: 'small' } });
  });

  it.each([
    ['flavor data that is not JSON', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: '{"loadbalancer_topology":' } }, /is not a valid option for flavor_data/],
    ['an unknown capability', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: '{"compute_flavor": "m1"}' } }, /'compute_flavor' unexpected/],
    ['an unknown topology', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: '{"loadbalancer_topology": "ACTIVE_ACTIVE"}' } }, /loadbalancer_topology/],
    ['a limit that is not a positive integer', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: '{"max_listeners": -3}' } }, /max_listeners -3/],
    ['another provider', { flavorprofile: { name: 'x', provider_name: 'octavia', flavor_data: '{}' } }, /Provider 'octavia' is not enabled/],
    ['flavor data that is not a string', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: { loadbalancer_topology: 'SINGLE' } } }, /flavor_data/],
    ['flavor data over 4096 characters', { flavorprofile: { name: 'x', provider_name: 'lbaas', flavor_data: `{"a": "${'x'.repeat(4100)}"}` } }, /flavor_data.*maximum character requirement of 4096/],
  ])('refuses a flavor profile with %s (400, nothing stored)', async (_why, body, message) => {
    const before = await lastSeq();
    const r = await api('POST', '/v2/lbaas/flavorprofiles', body);
    expect(r.status).toBe(400);
    expect(r.body.faultstring).toMatch(message);
    expect(await lastSeq()).toBe(before);
  });

  it('refuses a duplicate flavor name, an unknown profile, and a profile in use', async () => {
    expect(fault(await api('POST', '/v2/lbaas/flavors', { flavor: { name: 'small', flavor_profile_id: ids.profile } }))).toEqual([409, 'A flavor of small already exists.']);
    expect((await api('POST', '/v2/lbaas/flavors', { flavor: { name: 'n', flavor_profile_id: randomUUID() } })).status).toBe(404);
    expect(fault(await api('DELETE', `/v2/lbaas/flavorprofiles/${ids.profile}`))).toEqual([409, `Flavor profile ${ids.profile} is in use and cannot be modified.`]);
    expect((await api('PUT', `/v2/lbaas/flavorprofiles/${ids.profile}`, { flavorprofile: { flavor_data: '{}' } })).status).toBe(409);
  });
});

describe('availability zones and their profiles', () => {
  it('creates, lists and shows them, keyed by name', async () => {
    const p = (await ok('POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'r2', provider_name: 'lbaas', availability_zone_data: '{"compute_zone": "rack-2"}' } })).availability_zone_profile;
    ids.zoneProfile = p.id;
    const z = (await ok('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'az2', availability_zone_profile_id: p.id, description: 'rack two' } })).availability_zone;
    expect(z).toEqual({ name: 'az2', description: 'rack two', enabled: true, availability_zone_profile_id: p.id });
    expect(await ok('GET', '/v2/lbaas/availabilityzones', undefined, 200)).toEqual({ availability_zones: [z], availability_zones_links: [] });
    expect((await ok('GET', '/v2/lbaas/availabilityzoneprofiles', undefined, 200)).availability_zone_profile_links).toEqual([]);
    expect((await ok('GET', '/v2/lbaas/availabilityzones/az2', undefined, 200)).availability_zone.name).toBe('az2');
    const limited = (await ok('POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'lim', provider_name: 'lbaas', availability_zone_data: JSON.stringify({ valid_vip_networks: [randomUUID()] }) } })).availability_zone_profile;
    await ok('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'az-limited', availability_zone_profile_id: limited.id } });
    await ok('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'az-off', availability_zone_profile_id: limited.id, enabled: false } });
  });

  it('refuses a duplicate name and hostile zone data, storing nothing', async () => {
    const before = await lastSeq();
    expect((await api('POST', '/v2/lbaas/availabilityzones', { availability_zone: { name: 'az2', availability_zone_profile_id: ids.zoneProfile, description: 'x' } })).status).toBe(409);
    for (const data of ['{"compute_zone": "rack\\n2"}', '{"valid_vip_networks": "x"}', '{"management_network": "n"}', 'nope']) {
      const r = await api('POST', '/v2/lbaas/availabilityzoneprofiles', { availability_zone_profile: { name: 'bad', provider_name: 'lbaas', availability_zone_data: data } });
      expect([data, r.status]).toEqual([data, 400]);
    }
    expect(await lastSeq()).toBe(before);
  });
});

describe('load balancers with a flavor, a zone and additional VIPs', () => {
  it('stores the flavor and the zone, and places the load balancer only in its zone', async () => {
    const lb = (await ok('POST', '/v2/lbaas/loadbalancers', {
      loadbalancer: { name: 'zoned', vip_subnet_id: ids.subnet, flavor_id: ids.flavor, availability_zone: 'az2', additional_vips: [{ subnet_id: ids.subnet2, ip_address: '203.0.113.77' }] },
    })).loadbalancer;
    ids.lb = lb.id;
    expect(lb).toMatchObject({ flavor_id: ids.flavor, availability_zone: 'az2', additional_vips: [{ subnet_id: ids.subnet2, ip_address: '203.0.113.77' }], updated_at: null });
    expect(h.catalog.loadBalancers.lbs.get(lb.id)?.availabilityZone).toEqual({ name: 'az2', agentZone: 'rack-2' });
    const ports = (await ok('GET', '/v2.0/ports', undefined, 200)).ports.filter((p: { device_id: string }) => p.device_id === `lb-${lb.id}`);
    expect(ports.map((p: { fixed_ips: { ip_address: string }[] }) => p.fixed_ips[0].ip_address).sort()).toEqual([lb.vip_address, '203.0.113.77'].sort());
    // The operator's failover keeps to the zone: agent-y is less loaded and first by id, but in rack-1.
    const second = (await ok('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'zoned-2', vip_subnet_id: ids.subnet, availability_zone: 'az2' } })).loadbalancer;
    await converge(second.id);
    expect((await api('PUT', `/v2/lbaas/loadbalancers/${second.id}/failover`)).status).toBe(202);
    expect(h.catalog.loadBalancers.lbs.get(second.id)?.placement?.agentId).toBe('agent-z');
    expect(fault(await api('PUT', `/v2/lbaas/loadbalancers/${second.id}/failover`))).toEqual([409, `No other live agent of availability zone rack-2 can host load balancer ${second.id}`]);
  });

  it('caps listeners by the flavor (connection limit and count)', async () => {
    await converge(ids.lb);
    const l = (await ok('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80 } })).listener;
    expect(l.connection_limit).toBe(500);
    await converge(ids.lb);
    expect((await api('POST', '/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 81 } })).status).toBe(409);
    expect((await api('PUT', `/v2/lbaas/listeners/${l.id}`, { listener: { connection_limit: 501 } })).body.faultstring).toMatch(/connection_limit.*lower or equal to 500/);
    ids.listener = l.id;
  });

  it('refuses flavors and zones that are unknown or disabled, VIPs on other networks, ACTIVE_STANDBY with additional VIPs; VIPs go back', async () => {
    const pair = (await ok('POST', '/v2/lbaas/flavorprofiles', { flavorprofile: { name: 'pair', provider_name: 'lbaas', flavor_data: '{"loadbalancer_topology": "ACTIVE_STANDBY"}' } })).flavorprofile;
    const pairFlavor = (await ok('POST', '/v2/lbaas/flavors', { flavor: { name: 'pair', flavor_profile_id: pair.id } })).flavor;
    const off = (await ok('POST', '/v2/lbaas/flavors', { flavor: { name: 'off', flavor_profile_id: pair.id, enabled: false } })).flavor;
    const create = (o: object) => api('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: ids.subnet, ...o } });
    const vipsBefore = (await ok('GET', '/v2.0/ports', undefined, 200)).ports.length;
    expect(fault(await create({ flavor_id: randomUUID() }))).toEqual([400, 'Validation failure: Invalid flavor_id.']);
    expect(fault(await create({ flavor_id: off.id }))).toEqual([400, `The selected flavor is not allowed in this deployment: ${off.id}`]);
    expect(fault(await create({ availability_zone: 'nowhere' }))).toEqual([400, 'Validation failure: Invalid availability zone.']);
    expect(fault(await create({ availability_zone: 'az-off' }))).toEqual([400, 'The selected availability_zone is not allowed in this deployment: az-off']);
    expect(fault(await create({ availability_zone: 'az-limited' }))).toEqual([400, 'Validation failure: Supplied VIP network_id is not allowed by the configuration of this deployment.']);
    expect(fault(await create({ additional_vips: [{ subnet_id: ids.otherSubnet }] }))).toEqual([400, 'Validation failure: All VIP subnets must belong to the same network.']);
    expect(fault(await create({ additional_vips: [{ subnet_id: ids.subnet }] }))).toEqual([400, 'Validation failure: Duplicate VIP subnet(s) specified. Only one IP can be bound per subnet.']);
    // refused before any address is allocated: the port count is unchanged
    expect(fault(await create({ flavor_id: pairFlavor.id, additional_vips: [{ subnet_id: ids.subnet2 }] })))
      .toEqual([400, 'Validation failure: loadbalancer_topology ACTIVE_STANDBY is not supported with additional_vips yet.']);
    expect((await ok('GET', '/v2.0/ports', undefined, 200)).ports.length).toBe(vipsBefore);
  });

  it('refuses to delete a flavor or a zone a load balancer uses', async () => {
    expect(fault(await api('DELETE', `/v2/lbaas/flavors/${ids.flavor}`))).toEqual([409, `Flavor ${ids.flavor} is in use and cannot be modified.`]);
    expect(fault(await api('DELETE', '/v2/lbaas/availabilityzones/az2'))).toEqual([409, 'Availability Zone az2 is in use and cannot be modified.']);
  });
});

describe('amphorae', () => {
  it('lists the running instance of each placed load balancer with Octavia\'s fields, and filters', async () => {
    const lb = (await ok('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'amp', vip_subnet_id: ids.subnet } })).loadbalancer;
    ids.ampLb = lb.id;
    expect((await ok('GET', `/v2/octavia/amphorae?loadbalancer_id=${lb.id}`, undefined, 200)).amphorae).toEqual([]);
    await converge(lb.id);
    const { amphorae, amphorae_links } = await ok('GET', `/v2.0/octavia/amphorae?loadbalancer_id=${lb.id}`, undefined, 200);
    expect(amphorae_links).toEqual([]);
    expect(amphorae).toEqual([{
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/), loadbalancer_id: lb.id,
      compute_id: 'host-agent-o', lb_network_ip: null, vrrp_ip: null, ha_ip: lb.vip_address, vrrp_port_id: null, ha_port_id: lb.vip_port_id,
      cert_expiration: null, cert_busy: false, role: 'STANDALONE', status: 'ALLOCATED', vrrp_interface: null, vrrp_id: null, vrrp_priority: null,
      cached_zone: null, created_at: expect.any(String), updated_at: expect.any(String), image_id: null, compute_flavor: null,
    }]);
    ids.amphora = amphorae[0].id;
    expect((await ok('GET', `/v2/octavia/amphorae/${ids.amphora}`, undefined, 200)).amphora.id).toBe(ids.amphora);
    expect((await ok('GET', '/v2/octavia/amphorae?role=MASTER', undefined, 200)).amphorae).toEqual([]);
    expect((await ok('GET', '/v2/octavia/amphorae?status=ALLOCATED&fields=id', undefined, 200)).amphorae).toContainEqual({ id: ids.amphora });
    expect((await api('GET', `/v2/octavia/amphorae/${randomUUID()}`)).status).toBe(404);
    expect((await api('GET', '/v2/octavia/amphorae?bogus=1')).status).toBe(400);
  });

  it('shows a zone\'s agent with its management address and zone; BOOTING until the agent applied the placement', async () => {
    const lb = h.catalog.loadBalancers.lbs.get(ids.lb)!;
    expect(lb.placement?.agentId).toBe('agent-o'); // the harness placed it; the decider's fencing does not know zones
    const z = (await ok('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'booting', vip_subnet_id: ids.subnet } })).loadbalancer;
    await handle(h.store, { aggregate: 'lb', id: z.id }, (await import('@lbaas/domain')).loadBalancer, {
      type: 'PlaceLoadBalancer', data: { lbId: z.id, agentId: 'agent-z', expectedEpoch: 0, reason: 'initial' }, metadata: { commandId: randomUUID(), now: now() },
    }, { kind: 'service', service: 'scheduler' }).then((r) => h.projection.waitFor(r.seq));
    const [a] = (await ok('GET', `/v2/octavia/amphorae?loadbalancer_id=${z.id}`, undefined, 200)).amphorae;
    expect(a).toMatchObject({ compute_id: 'host-z', lb_network_ip: '192.0.2.50', cached_zone: 'rack-2', status: 'BOOTING', updated_at: null });
  });

  it('stats per listener, config answered 503 without a live agent, failover rebuilds it elsewhere with a new id', async () => {
    expect(await ok('GET', `/v2/octavia/amphorae/${ids.amphora}/stats`, undefined, 200)).toEqual({ amphora_stats: [] });
    expect(fault(await api('PUT', `/v2/octavia/amphorae/${ids.amphora}/config`))).toEqual([503, expect.stringContaining('did not take the configuration update')]);
    expect((await api('PUT', `/v2/octavia/amphorae/${ids.amphora}/failover`)).status).toBe(202);
    const [moved] = (await ok('GET', `/v2/octavia/amphorae?loadbalancer_id=${ids.ampLb}`, undefined, 200)).amphorae;
    expect(moved).toMatchObject({ compute_id: 'host-y', status: 'BOOTING' });
    expect(moved.id).not.toBe(ids.amphora);
    expect((await api('GET', `/v2/octavia/amphorae/${ids.amphora}`)).status).toBe(404);
  });
});

describe('the semantics the clients see', () => {
  it('sets updated_at when the agent applied a change (null before)', async () => {
    await converge(ids.lb);
    const pool = (await ok('POST', '/v2/lbaas/pools', { pool: { listener_id: ids.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool;
    expect(pool.updated_at).toBeNull();
    await converge(ids.lb);
    expect((await ok('GET', `/v2/lbaas/pools/${pool.id}`, undefined, 200)).pool.updated_at).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/));
    ids.pool = pool.id;
  });

  it('accepts a monitor timeout longer than its delay (the networking guide\'s walk-through)', async () => {
    const hm = (await ok('POST', '/v2/lbaas/healthmonitors', { healthmonitor: { pool_id: ids.pool, type: 'HTTP', delay: 5, max_retries: 2, timeout: 10 } })).healthmonitor;
    expect(hm).toMatchObject({ delay: 5, timeout: 10 });
    ids.hm = hm.id;
    await converge(ids.lb);
    ids.member = (await ok('POST', `/v2/lbaas/pools/${ids.pool}/members`, { member: { address: '198.51.100.40', protocol_port: 80 } })).member.id;
    await converge(ids.lb);
  });

  it.each([
    ['listeners', 'load_balancer_id'], ['listeners', 'loadbalancer_id'], ['pools', 'load_balancer_id'], ['pools', 'loadbalancer_id'],
    ['healthmonitors', 'load_balancer_id'], ['healthmonitors', 'loadbalancer_id'], ['l7policies', 'loadbalancer_id'],
  ])('filters %s on %s', async (plural, key) => {
    const mine = (await ok('GET', `/v2/lbaas/${plural}?${key}=${ids.lb}`, undefined, 200))[plural];
    const none = (await ok('GET', `/v2/lbaas/${plural}?${key}=${randomUUID()}`, undefined, 200))[plural];
    expect(none).toEqual([]);
    if (plural !== 'l7policies') expect(mine.length).toBe(1);
  });

  it('filters members on pool_id (neutronclient\'s lbaas-member-list) and the load balancer, pools on their listener', async () => {
    expect((await ok('GET', `/v2.0/lbaas/pools/${ids.pool}/members?pool_id=${ids.pool}`, undefined, 200)).members.map((m: { id: string }) => m.id)).toEqual([ids.member]);
    expect((await ok('GET', `/v2.0/lbaas/pools/${ids.pool}/members?load_balancer_id=${ids.lb}`, undefined, 200)).members).toHaveLength(1);
    expect((await ok('GET', `/v2/lbaas/pools?listener_id=${ids.listener}`, undefined, 200)).pools.map((p: { id: string }) => p.id)).toEqual([ids.pool]);
    expect((await ok('GET', `/v2/lbaas/pools?health_monitor_id=${ids.hm}`, undefined, 200)).pools).toHaveLength(1);
  });

  it('deletes bottom-up: a pool with a monitor or members, a listener with its pool, refuse with a 409 naming the child', async () => {
    const before = await lastSeq();
    expect(fault(await api('DELETE', `/v2/lbaas/pools/${ids.pool}`))).toEqual([409, `pool is using healthmonitor ${ids.hm}`]);
    expect(fault(await api('DELETE', `/v2/lbaas/listeners/${ids.listener}`))).toEqual([409, `listener is using pool ${ids.pool}`]);
    expect(await lastSeq()).toBe(before);
    expect((await api('DELETE', `/v2/lbaas/healthmonitors/${ids.hm}`)).status).toBe(204);
    await converge(ids.lb);
    expect(fault(await api('DELETE', `/v2/lbaas/pools/${ids.pool}`))).toEqual([409, `pool is using member ${ids.member}`]);
  });

  it('advertises API 2.27 as CURRENT', async () => {
    const versions = (await ok('GET', '/', undefined, 200)).versions;
    expect(versions.at(-1)).toMatchObject({ id: 'v2.27', status: 'CURRENT' });
  });
});

describe('TLS fields of listeners and pools', () => {
  const secret = async (payload: string) => (await ok('POST', '/v1/secrets', { name: 's', payload })).secret_ref as string;
  const good = makeCa('client-ca');
  const other = makeCa('other-ca');
  const expired = makeCa('old-ca', { expired: true });
  const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

  it('takes versions, ciphers, ALPN, HSTS and client authentication with a real CA and its CRL', async () => {
    const lb = (await ok('POST', '/v2/lbaas/loadbalancers', { loadbalancer: { name: 'tls', vip_subnet_id: ids.subnet } })).loadbalancer;
    ids.tlsLb = lb.id;
    await converge(lb.id);
    ids.cert = await secret(CERT);
    ids.ca = await secret(good.cert);
    ids.crl = await secret(good.crl);
    const l = (await ok('POST', '/v2/lbaas/listeners', {
      listener: {
        loadbalancer_id: lb.id, protocol: 'TERMINATED_HTTPS', protocol_port: 443, default_tls_container_ref: ids.cert,
        tls_versions: ['TLSv1.2', 'TLSv1.3'], tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL', alpn_protocols: ['h2', 'http/1.1'],
        hsts_max_age: 31536000, hsts_include_subdomains: true, client_authentication: 'MANDATORY', client_ca_tls_container_ref: ids.ca,
        client_crl_container_ref: ids.crl,
      },
    })).listener;
    expect(l).toMatchObject({
      tls_versions: ['TLSv1.2', 'TLSv1.3'], tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:HIGH:!aNULL', alpn_protocols: ['h2', 'http/1.1'],
      hsts_max_age: 31536000, hsts_include_subdomains: true, hsts_preload: false, client_authentication: 'MANDATORY',
      client_ca_tls_container_ref: ids.ca, client_crl_container_ref: ids.crl,
    });
    ids.tlsListener = l.id;
    await converge(lb.id);
    const policy = (await ok('POST', '/v2/lbaas/l7policies', { l7policy: { listener_id: l.id, action: 'REJECT' } })).l7policy;
    await converge(lb.id);
    const rule = (await ok('POST', `/v2/lbaas/l7policies/${policy.id}/rules`, { rule: { type: 'SSL_DN_FIELD', compare_type: 'EQUAL_TO', key: 'CN', value: 'intruder' } })).rule;
    expect(rule).toMatchObject({ type: 'SSL_DN_FIELD', key: 'CN' });
    await converge(lb.id);
  });

  it('refuses what is not a CA, an expired CA, a CRL of another CA, and another project\'s CA; nothing stored', async () => {
    const notCert = await secret('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const old = await secret(expired.cert);
    const foreignCrl = await secret(other.crl);
    const notCrl = await secret(good.cert);
    const alien = (await api('POST', '/v1/secrets', { name: 's', payload: good.cert }, { 'x-project-id': 'someone-else' })).body.secret_ref;
    const put = (o: object) => api('PUT', `/v2/lbaas/listeners/${ids.tlsListener}`, { listener: o });
    const before = await lastSeq();
    expect(fault(await put({ client_ca_tls_container_ref: notCert }))).toEqual([400, expect.stringContaining('The client authentication CA certificate is invalid. It must be a valid x509 PEM format certificate.')]);
    expect(fault(await put({ client_ca_tls_container_ref: old, client_crl_container_ref: null }))).toEqual([400, expect.stringMatching(/CA certificate CN=old-ca expired on Feb +1 00:00:00 2020 GMT/)]);
    expect(fault(await put({ client_crl_container_ref: foreignCrl }))).toEqual([400, 'Validation failure: The CRL specified is not valid for client certificate authority reference supplied.']);
    expect(fault(await put({ client_crl_container_ref: notCrl }))).toEqual([400, expect.stringContaining('certificate revocation list is invalid')]);
    expect(fault(await put({ client_ca_tls_container_ref: alien }))).toEqual([400, `Could not retrieve certificate: ['${alien}']`]);
    expect(fault(await put({ tls_ciphers: 'HIGH:NO-SUCH-CIPHER' }))).toEqual([400, expect.stringContaining('Unknown to this OpenSSL: NO-SUCH-CIPHER')]);
    expect(fault(await put({ tls_ciphers: 'HIGH\n    stats enable' }))).toEqual([400, expect.stringContaining('Invalid characters in cipher string')]);
    expect(fault(await put({ tls_versions: [] }))).toEqual([400, expect.stringContaining('Empty TLS version list')]);
    expect(fault(await put({ client_authentication: 'OPTIONAL', client_ca_tls_container_ref: null, client_crl_container_ref: null })))
      .toEqual([400, 'Validation failure: Client authentication setting OPTIONAL requires a client CA container reference.']);
    expect(await lastSeq()).toBe(before);
  });

  it('takes pool re-encryption with a client certificate, a CA and its CRL; refuses a CRL without a CA', async () => {
    const p = (await ok('POST', '/v2/lbaas/pools', {
      pool: {
        loadbalancer_id: ids.tlsLb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', tls_enabled: true, tls_container_ref: ids.cert,
        ca_tls_container_ref: ids.ca, crl_container_ref: ids.crl, tls_versions: ['TLSv1.3'], alpn_protocols: ['http/1.1'], tls_ciphers: 'HIGH',
      },
    })).pool;
    expect(p).toMatchObject({ tls_enabled: true, tls_container_ref: ids.cert, ca_tls_container_ref: ids.ca, crl_container_ref: ids.crl, tls_versions: ['TLSv1.3'] });
    await converge(ids.tlsLb);
    const r = await api('POST', '/v2/lbaas/pools', { pool: { loadbalancer_id: ids.tlsLb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', crl_container_ref: ids.crl } });
    expect(fault(r)).toEqual([400, 'Validation failure: A CA certificate reference is required to specify a revocation list.']);
    const bogusClient = await secret(good.cert); // a certificate without its key
    expect(fault(await api('PUT', `/v2/lbaas/pools/${p.id}`, { pool: { tls_container_ref: bogusClient } }))).toEqual([400, `Could not retrieve certificate: ['${bogusClient}']`]);
  });
});

describe('quotas', () => {
  it('read null for "use the default", -1 for unlimited', async () => {
    expect((await ok('PUT', '/v2/lbaas/quotas/proj-o', { quota: { listener: -1, pool: 3 } }, 202)).quota).toMatchObject({ listener: -1, pool: 3, member: null, load_balancer: null });
    expect((await ok('GET', '/v2/lbaas/quotas/proj-o', undefined, 200)).quota).toMatchObject({ listener: -1, pool: 3, loadbalancer: null });
    expect((await ok('PUT', '/v2/lbaas/quotas/proj-o', { quota: { pool: null } }, 202)).quota.pool).toBeNull();
  });
});
