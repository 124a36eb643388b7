import { apiHarness } from '../api-harness.fixtures';

/**
 * IPv6 through the API against a real nats-server: IPv6 subnets (IPAM on a /64), load balancers whose VIP comes from
 * one, additional VIPs of both families, IPv6 members, monitors and allowed_cidrs; and every hostile spelling of a new
 * field refused with a 400 naming it, nothing appended.
 */
const h = apiHarness({ agentId: 'agent-v6' });
const { api, converge, lastSeq } = h;
const P = { 'x-project-id': 'proj6' };
let networkId: string, v6: string, v4: string, lbId: string, listenerId: string, poolId: string;

/** A 400 whose faultstring matches, and the event stream untouched. */
async function refused(method: string, url: string, body: unknown, fault: string | RegExp, status = 400): Promise<void> {
  const before = await lastSeq();
  const r = await api(method, url, body, P);
  expect({ url, body, status: r.status }).toEqual({ url, body, status });
  if (typeof fault === 'string') expect({ body, f: r.body.faultstring }).toEqual({ body, f: fault });
  else expect({ body, f: r.body.faultstring }).toEqual({ body, f: expect.stringMatching(fault) });
  expect(await lastSeq()).toBe(before);
}

describe('IPv6 through the API', () => {
  it('creates an IPv6 subnet in Neutron shape: canonical cidr, the first host as gateway, the rest of the /64 as pool', async () => {
    const n = await api('POST', '/v2.0/networks', { network: { name: 'dual', 'provider:physical_network': 'physnet1' } }, P);
    networkId = n.body.network.id;
    const s = await api('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 6, cidr: '2001:DB8:6:0::/64', name: 'v6' } }, P);
    expect(s.status).toBe(201);
    v6 = s.body.subnet.id;
    expect(s.body.subnet).toMatchObject({
      ip_version: 6, cidr: '2001:db8:6::/64', gateway_ip: '2001:db8:6::1', enable_dhcp: false, ipv6_ra_mode: null, ipv6_address_mode: null,
      allocation_pools: [{ start: '2001:db8:6::2', end: '2001:db8:6:0:ffff:ffff:ffff:ffff' }],
    });
    const s4 = await api('POST', '/v2.0/subnets', { subnet: { network_id: networkId, ip_version: 4, cidr: '198.51.100.0/24' } }, P);
    expect(s4.status).toBe(201);
    v4 = s4.body.subnet.id;
    expect((await api('GET', '/v2.0/subnets?ip_version=6', undefined, P)).body.subnets.map((x: { id: string }) => x.id)).toEqual([v6]);
    const explicit = await api('POST', '/v2.0/subnets', {
      subnet: { network_id: networkId, ip_version: 6, cidr: 'fd00:6::/64', gateway_ip: null, ipv6_ra_mode: null, ipv6_address_mode: null,
        allocation_pools: [{ start: 'FD00:6::10', end: 'fd00:6::1f' }] },
    }, P);
    expect(explicit.status).toBe(201);
    expect(explicit.body.subnet).toMatchObject({ gateway_ip: null, allocation_pools: [{ start: 'fd00:6::10', end: 'fd00:6::1f' }] });
  });

  it('refuses every hostile subnet field with a 400 naming it, and stores nothing', async () => {
    const sub = (o: Record<string, unknown>) => ({ subnet: { network_id: networkId, ip_version: 6, cidr: '2001:db8:7::/64', ...o } });
    const rows: [Record<string, unknown>, string | RegExp][] = [
      [{ cidr: '2001:db8:7::/129' }, /^Invalid input for field\/attribute cidr\. .*Value should be a valid IPv4 or IPv6 CIDR$/],
      [{ cidr: 'fe80::%eth0/64' }, /^Invalid input for field\/attribute cidr\./],
      [{ cidr: '::ffff:10.0.0.0/120' }, /^Invalid input for field\/attribute cidr\./],
      [{ cidr: '2001:db8:7::/64\n' }, /^Invalid input for field\/attribute cidr\./],
      [{ cidr: '2001:db8:7::/064' }, /^Invalid input for field\/attribute cidr\./],
      [{ cidr: '2001:db8:7::/127' }, "Invalid input for cidr. Reason: '2001:db8:7::/127' is too small: the prefix length must be at most 126."],
      [{ cidr: '10.9.0.0/24' }, 'Invalid input for operation. Reason: Requested subnet with cidr 10.9.0.0/24 is not an IPv6 subnet (ip_version 6).'],
      [{ ip_version: 4 }, 'Invalid input for operation. Reason: Requested subnet with cidr 2001:db8:7::/64 is not an IPv4 subnet (ip_version 4).'],
      [{ ip_version: 5 }, "Invalid input for field/attribute ip_version. Value: '5'. 5 is not in [4, 6]"],
      [{ gateway_ip: 'fe80::1%eth0' }, /^Invalid input for field\/attribute gateway_ip\. .*Value should be IPv4 or IPv6 format$/],
      [{ gateway_ip: '::ffff:10.0.0.1' }, /^Invalid input for field\/attribute gateway_ip\./],
      [{ gateway_ip: '2001:db8:7::1\n' }, /^Invalid input for field\/attribute gateway_ip\./],
      [{ gateway_ip: '10.9.0.1' }, "Invalid input for gateway_ip. Reason: '10.9.0.1' is not a valid IPv6 address."],
      [{ gateway_ip: '2001:db8:8::1' }, 'Invalid input for operation: Gateway is not valid on subnet.'],
      [{ gateway_ip: '2001:db8:7::' }, 'Invalid input for operation: Gateway is not valid on subnet.'],
      [{ allocation_pools: [{ start: 'fe80::1%eth0', end: '2001:db8:7::9' }] }, /^Invalid input for field\/attribute allocation_pools\. .*start and end should be IPv4 or IPv6 addresses$/],
      [{ allocation_pools: [{ start: '10.0.0.2', end: '10.0.0.9' }] }, 'The allocation pool 10.0.0.2-10.0.0.9 is not valid.'],
      [{ allocation_pools: [{ start: '2001:db8:7::2', end: '2001:db8:8::' }] }, 'The allocation pool 2001:db8:7::2-2001:db8:8:: spans beyond the subnet cidr 2001:db8:7::/64.'],
      [{ allocation_pools: [{ start: '2001:db8:7::1', end: '2001:db8:7::9' }] }, 'Gateway ip 2001:db8:7::1 conflicts with allocation pool 2001:db8:7::1-2001:db8:7::9'],
      [{ ipv6_ra_mode: 'slaac' }, /^Invalid input for field\/attribute ipv6_ra_mode\. .*cannot be set when enable_dhcp is set to False/],
      [{ ipv6_address_mode: 'dhcpv6-stateful' }, /^Invalid input for field\/attribute ipv6_address_mode\. .*cannot be set when enable_dhcp is set to False/],
      [{ ipv6_address_mode: 'bogus\n' }, /^Invalid input for field\/attribute ipv6_address_mode\. [^]*is not in \['dhcpv6-stateful', 'dhcpv6-stateless', 'slaac', None\]$/],
      [{ cidr: '2001:db8:6:0:8000::/65' }, /^Invalid input for operation: Requested subnet with cidr: 2001:db8:6:0:8000::\/65 for network: .* overlaps with another subnet\.$/],
    ];
    for (const [o, fault] of rows) await refused('POST', '/v2.0/subnets', sub(o), fault);
    expect((await api('GET', `/v2.0/subnets?network_id=${networkId}`, undefined, P)).body.subnets).toHaveLength(3);
  });

  it('creates a load balancer on the IPv6 subnet: the VIP is the pool\'s first address, with an IPv4 additional VIP', async () => {
    const r = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { name: 'lb6', vip_subnet_id: v6, additional_vips: [{ subnet_id: v4 }] } }, P);
    expect(r.status).toBe(201);
    lbId = r.body.loadbalancer.id;
    expect(r.body.loadbalancer).toMatchObject({ vip_address: '2001:db8:6::2', vip_subnet_id: v6, additional_vips: [{ subnet_id: v4, ip_address: '198.51.100.2' }] });
    const ports = await api('GET', `/v2.0/ports?id=${r.body.loadbalancer.vip_port_id}`, undefined, P);
    expect(ports.body.ports[0].fixed_ips).toEqual([{ subnet_id: v6, ip_address: '2001:db8:6::2' }]);
    await converge(lbId);
  });

  it('takes an explicit IPv6 vip_address in any spelling, stores it canonically, and an IPv6 additional VIP beside an IPv4 VIP', async () => {
    const a = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v6, vip_address: '2001:DB8:6:0:0:0:0:AB' } }, P);
    expect(a.status).toBe(201);
    expect(a.body.loadbalancer.vip_address).toBe('2001:db8:6::ab');
    await refused('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v6, vip_address: '2001:db8:6::ab' } },
      `IP address 2001:db8:6::ab already allocated in subnet ${v6}`, 409);
    const b = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_subnet_id: v4, additional_vips: [{ subnet_id: v6, ip_address: '2001:db8:6::c' }] } }, P);
    expect(b.status).toBe(201);
    expect(b.body.loadbalancer).toMatchObject({ vip_address: '198.51.100.3', additional_vips: [{ subnet_id: v6, ip_address: '2001:db8:6::c' }] });
    // The next free address skips the ones held (::2 by lb6, ::ab, ::c), walking only past them.
    const c = await api('POST', '/v2.0/lbaas/loadbalancers', { loadbalancer: { vip_network_id: networkId, vip_address: '2001:db8:6::3' } }, P);
    expect(c.body.loadbalancer).toMatchObject({ vip_address: '2001:db8:6::3', vip_subnet_id: v6 });
  });

  it('refuses hostile VIP addresses with a 400 naming the field, and stores nothing', async () => {
    const lb = (o: Record<string, unknown>) => ({ loadbalancer: { vip_subnet_id: v6, ...o } });
    const rows: [Record<string, unknown>, string | RegExp][] = [
      [{ vip_address: 'fe80::1%eth0' }, "Invalid input for field/attribute vip_address. Value: 'fe80::1%eth0'. Value should be IPv4 or IPv6 format"],
      [{ vip_address: '::ffff:198.51.100.9' }, /^Invalid input for field\/attribute vip_address\./],
      [{ vip_address: '[2001:db8:6::9]' }, /^Invalid input for field\/attribute vip_address\./],
      [{ vip_address: '2001:db8:6::9/64' }, /^Invalid input for field\/attribute vip_address\./],
      [{ vip_address: '2001:db8:6::9\n' }, /^Invalid input for field\/attribute vip_address\./],
      [{ vip_address: '2001:db8:6:::9' }, /^Invalid input for field\/attribute vip_address\./],
      [{ vip_address: '198.51.100.9' }, `Validation failure: VIP address 198.51.100.9 is not in subnet ${v6} (2001:db8:6::/64).`],
      [{ vip_subnet_id: v4, vip_address: '2001:db8:6::9' }, `Validation failure: VIP address 2001:db8:6::9 is not in subnet ${v4} (198.51.100.0/24).`],
      [{ vip_address: '2001:db8:6::1' }, 'IP address 2001:db8:6::1 is not a valid IP for the specified subnet.'],
      [{ vip_address: '2001:db8:6::' }, 'IP address 2001:db8:6:: is not a valid IP for the specified subnet.'],
      [{ additional_vips: [{ subnet_id: v4, ip_address: 'fe80::1%eth0' }] }, /^Invalid input for field\/attribute additional_vips\..*ip_address: Value should be IPv4 or IPv6 format$/],
      [{ additional_vips: [{ subnet_id: v4, ip_address: '2001:db8:6::9' }] }, `Validation failure: VIP address 2001:db8:6::9 is not in subnet ${v4} (198.51.100.0/24).`],
    ];
    const vipsBefore = h.catalog.networks.subnets.get(v6)!.vips.size;
    for (const [o, fault] of rows) await refused('POST', '/v2.0/lbaas/loadbalancers', lb(o), fault);
    expect(h.catalog.networks.subnets.get(v6)!.vips.size).toBe(vipsBefore);
  });

  it('builds an HTTP listener with IPv6 allowed_cidrs, a pool with IPv6 members and a monitor to them', async () => {
    const l = await api('POST', '/v2.0/lbaas/listeners', {
      listener: { loadbalancer_id: lbId, protocol: 'HTTP', protocol_port: 80, allowed_cidrs: ['2001:DB8:6::/48', '198.51.100.0/24', 'fd00::1/8'], insert_headers: { 'X-Forwarded-For': 'true' } },
    }, P);
    expect(l.status).toBe(201);
    listenerId = l.body.listener.id;
    expect(l.body.listener.allowed_cidrs).toEqual(['2001:db8:6::/48', '198.51.100.0/24', 'fd00::/8']);
    await converge(lbId);
    const p = await api('POST', '/v2.0/lbaas/pools', { pool: { listener_id: listenerId, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } }, P);
    poolId = p.body.pool.id;
    await converge(lbId);
    const m = await api('POST', `/v2.0/lbaas/pools/${poolId}/members`, { member: { address: '2001:DB8:6::1:10', protocol_port: 8080, subnet_id: v6, monitor_address: '2001:db8:6::1:11', monitor_port: 8081 } }, P);
    expect(m.status).toBe(201);
    expect(m.body.member).toMatchObject({ address: '2001:db8:6::1:10', monitor_address: '2001:db8:6::1:11' });
    await converge(lbId);
    await refused('POST', `/v2.0/lbaas/pools/${poolId}/members`, { member: { address: '2001:db8:6:0:0:0:1:10', protocol_port: 8080 } }, /already using .*2001:db8:6::1:10/i, 409);
    const hm = await api('POST', '/v2.0/lbaas/healthmonitors', { healthmonitor: { pool_id: poolId, type: 'HTTP', delay: 2, timeout: 1, max_retries: 2, url_path: '/' } }, P);
    expect(hm.status).toBe(201);
    await converge(lbId);
    const tree = h.catalog.loadBalancers.lbs.get(lbId)!;
    expect([...tree.members.values()].map((x) => x.address)).toEqual(['2001:db8:6::1:10']);
  });

  it('refuses hostile member, monitor and allowed_cidrs values with a 400 naming the field, and stores nothing', async () => {
    const member = (o: Record<string, unknown>) => ({ member: { address: '2001:db8:6::1:20', protocol_port: 80, ...o } });
    const rows: [Record<string, unknown>, string | RegExp][] = [
      [{ address: 'fe80::1%eth0' }, "Invalid input for field/attribute address. Value: 'fe80::1%eth0'. Value should be IPv4 or IPv6 format"],
      [{ address: '::ffff:192.0.2.1' }, /^Invalid input for field\/attribute address\./],
      [{ address: '2001:db8:6::1:20\n' }, /^Invalid input for field\/attribute address\./],
      [{ address: '2001:db8:6::1:20/64' }, /^Invalid input for field\/attribute address\./],
      [{ monitor_address: 'fe80::2%lo' }, /^Invalid input for field\/attribute monitor_address\./],
      [{ monitor_address: '::ffff:192.0.2.1' }, /^Invalid input for field\/attribute monitor_address\./],
    ];
    for (const [o, fault] of rows) await refused('POST', `/v2.0/lbaas/pools/${poolId}/members`, member(o), fault);
    const cidrs: unknown[] = ['2001:db8::/129', 'fe80::%eth0/64', '::ffff:10.0.0.0/104', '2001:db8::/64\n', '2001:db8::', '2001:db8::/064'];
    for (const c of cidrs) {
      await refused('PUT', `/v2.0/lbaas/listeners/${listenerId}`, { listener: { allowed_cidrs: [c] } },
        `Invalid input for field/attribute allowed_cidrs. Value: '${JSON.stringify([c])}'. ${c} is not a valid CIDR`);
    }
  });

  it('accepts a UDP listener on the IPv6 VIP (nftables ip6) and refuses nothing IPv6-specific there', async () => {
    const l = await api('POST', '/v2.0/lbaas/listeners', { listener: { loadbalancer_id: lbId, protocol: 'UDP', protocol_port: 53, allowed_cidrs: ['2001:db8::/32'] } }, P);
    expect(l.body).toMatchObject({ listener: { protocol: 'UDP' } });
    await converge(lbId);
  });

  it('shows every IPv6 VIP held on the subnet and refuses to delete it while they are', async () => {
    const s = h.catalog.networks.subnets.get(v6)!;
    expect([...s.vips.values()].map((x) => x.address).sort()).toEqual(['2001:db8:6::2', '2001:db8:6::3', '2001:db8:6::ab', '2001:db8:6::c']);
    const del = await api('DELETE', `/v2.0/subnets/${v6}`, undefined, P);
    expect(del.status).toBe(409);
  });
});
