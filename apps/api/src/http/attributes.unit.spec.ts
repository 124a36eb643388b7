import { LIMITS } from '@lbaas/events';
import { HEALTH_MONITOR } from '../healthmonitors/health-monitor.fields';
import { LISTENER } from '../listeners/listener.fields';
import { LOAD_BALANCER } from '../loadbalancers/load-balancer.fields';
import { MEMBER } from '../members/member.fields';
import { POOL } from '../pools/pool.fields';
import { SUBNET } from '../subnets/subnet.fields';
import { ApiError } from './errors';

const LB = '0f0e0d0c-0b0a-4909-8807-060504030201';

type Table = { parseCreate(body: unknown): object; parseUpdate(body: unknown): object };

/** Parses like the API does and returns what the client would see: the status and faultstring, or the parsed attributes. */
function attempt(table: Table, mode: 'create' | 'update', body: unknown): { status: number; fault: string } | { ok: object } {
  try {
    return { ok: mode === 'create' ? table.parseCreate(body) : table.parseUpdate(body) };
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, fault: err.message };
    throw err;
  }
}

describe('request validation (attribute tables, class-validator underneath)', () => {
  const rows: [string, Table, 'create' | 'update', unknown, string][] = [
    ['unknown attribute', LOAD_BALANCER, 'create', { loadbalancer: { bogus: 1 } },
      'Unknown attribute for argument load_balancer.loadbalancer: bogus'],
    ['several unknown attributes, sorted', LOAD_BALANCER, 'create', { loadbalancer: { zz: 1, aa: 2 } },
      'Unknown attribute for argument load_balancer.loadbalancer: aa, zz'],
    ['__proto__ is just an unknown attribute', LOAD_BALANCER, 'create', JSON.parse('{"loadbalancer": {"__proto__": {"x": 1}}}'),
      'Unknown attribute for argument load_balancer.loadbalancer: __proto__'],
    ['missing root', LOAD_BALANCER, 'create', {}, "Invalid input for field/attribute loadbalancer. Value: 'None'. Mandatory field missing."],
    ['non-uuid id', LOAD_BALANCER, 'create', { loadbalancer: { vip_subnet_id: 'x' } },
      "Invalid input for field/attribute vip_subnet_id. Value: 'x'. Value should be UUID format"],
    ['control character in description', LOAD_BALANCER, 'create', { loadbalancer: { description: 'a\tb' } },
      "Invalid input for field/attribute description. Value: 'a\tb'. Value should not contain control characters"],
    ['tags not a list', LOAD_BALANCER, 'create', { loadbalancer: { tags: 'a' } },
      "Invalid input for field/attribute tags. Value: 'a'. Value should be a list"],
    ['flavor id not a uuid', LOAD_BALANCER, 'create', { loadbalancer: { flavor_id: 'small' } },
      "Invalid input for field/attribute flavor_id. Value: 'small'. Value should be UUID format"],
    ['availability zone with a newline', LOAD_BALANCER, 'create', { loadbalancer: { availability_zone: 'az\n1' } },
      "Invalid input for field/attribute availability_zone. Value: 'az\n1'. Value should not contain control characters"],
    ['additional VIPs not a list', LOAD_BALANCER, 'create', { loadbalancer: { additional_vips: { subnet_id: LB } } },
      `Invalid input for field/attribute additional_vips. Value: '{"subnet_id":"${LB}"}'. Value should be a list of objects`],
    ['an additional VIP without its subnet', LOAD_BALANCER, 'create', { loadbalancer: { additional_vips: [{ ip_address: '10.0.0.5' }] } },
      `Invalid input for field/attribute additional_vips. Value: '[{"ip_address":"10.0.0.5"}]'. subnet_id: Mandatory field missing.`],
    ['an additional VIP with a bad address', LOAD_BALANCER, 'create', { loadbalancer: { additional_vips: [{ subnet_id: LB, ip_address: '10.0.0.999' }] } },
      `Invalid input for field/attribute additional_vips. Value: '[{"subnet_id":"${LB}","ip_address":"10.0.0.999"}]'. ip_address: Value should be IPv4 or IPv6 format`],
    ['an additional VIP with an unknown key', LOAD_BALANCER, 'create', { loadbalancer: { additional_vips: [{ subnet_id: LB, network_id: LB }] } },
      `^Invalid input for field/attribute additional_vips.*Unknown attribute: network_id`],
    ['an additional VIP by port', LOAD_BALANCER, 'create', { loadbalancer: { additional_vips: [{ subnet_id: LB, port_id: LB }] } },
      `^Invalid input for field/attribute additional_vips.*port_id is not supported yet`],
    ['tls_versions not a list', LISTENER, 'update', { listener: { tls_versions: 'TLSv1.2' } },
      "Invalid input for field/attribute tls_versions. Value: 'TLSv1.2'. Value should be a list"],
    ['an unknown TLS version', LISTENER, 'update', { listener: { tls_versions: ['TLSv1.2', 'TLSv2'] } },
      `Invalid input for field/attribute tls_versions. Value: '["TLSv1.2","TLSv2"]'. Value should be a list of: SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3`],
    ['a TLS version that is not a string', LISTENER, 'update', { listener: { tls_versions: [1.2] } },
      '^Invalid input for field/attribute tls_versions.*Value should be a list of'],
    ['an unknown ALPN protocol', LISTENER, 'update', { listener: { alpn_protocols: ['h3'] } },
      `Invalid input for field/attribute alpn_protocols. Value: '["h3"]'. Value should be a list of: h2, http/1.1, http/1.0`],
    ['ciphers with a newline (config injection)', LISTENER, 'update', { listener: { tls_ciphers: 'HIGH\n  stats enable' } },
      '^Invalid input for field/attribute tls_ciphers[\\s\\S]*Invalid characters in cipher string'],
    ['ciphers with a space', LISTENER, 'update', { listener: { tls_ciphers: 'HIGH MEDIUM' } },
      '^Invalid input for field/attribute tls_ciphers.*Invalid characters in cipher string'],
    ['a cipher OpenSSL does not know', LISTENER, 'update', { listener: { tls_ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:FANCY-CIPHER' } },
      "Invalid input for field/attribute tls_ciphers. Value: 'ECDHE-RSA-AES128-GCM-SHA256:FANCY-CIPHER'. Unknown to this OpenSSL: FANCY-CIPHER"],
    ['ciphers not a string', LISTENER, 'update', { listener: { tls_ciphers: ['HIGH'] } },
      '^Invalid input for field/attribute tls_ciphers.*non-empty OpenSSL cipher string'],
    ['a negative HSTS max age', LISTENER, 'update', { listener: { hsts_max_age: -1 } },
      "Invalid input for field/attribute hsts_max_age. Value: '-1'. Value should be greater or equal to 0"],
    ['an HSTS max age that is not a number', LISTENER, 'update', { listener: { hsts_max_age: '1y' } },
      "Invalid input for field/attribute hsts_max_age. Value: '1y'. Value should be an integer"],
    ['hsts_preload not a boolean', LISTENER, 'update', { listener: { hsts_preload: 'sometimes' } },
      "Invalid input for field/attribute hsts_preload. Value: 'sometimes'. Value not an unambiguous boolean: sometimes"],
    ['an unknown client authentication', LISTENER, 'update', { listener: { client_authentication: 'REQUIRED' } },
      "Invalid input for field/attribute client_authentication. Value: 'REQUIRED'. Value should be one of: NONE, OPTIONAL, MANDATORY"],
    ['a client CA that is a PEM, not a reference', LISTENER, 'update', { listener: { client_ca_tls_container_ref: '-----BEGIN CERTIFICATE-----\nMIIB' } },
      '^Invalid input for field/attribute client_ca_tls_container_ref[\\s\\S]*Value should be a secret or container reference'],
    ['a CRL reference with a newline', LISTENER, 'update', { listener: { client_crl_container_ref: 'http://x/v1/secrets/\n' } },
      '^Invalid input for field/attribute client_crl_container_ref'],
    ['pool tls_enabled not a boolean', POOL, 'update', { pool: { tls_enabled: 'maybe' } },
      "Invalid input for field/attribute tls_enabled. Value: 'maybe'. Value not an unambiguous boolean: maybe"],
    ['a pool cipher OpenSSL does not know', POOL, 'update', { pool: { tls_ciphers: 'RC4-MD5' } },
      "Invalid input for field/attribute tls_ciphers. Value: 'RC4-MD5'. Unknown to this OpenSSL: RC4-MD5"],
    ['a pool TLS version that does not exist', POOL, 'update', { pool: { tls_versions: ['TLSv1.4'] } },
      '^Invalid input for field/attribute tls_versions'],
    ['a pool client certificate that is not a reference', POOL, 'update', { pool: { tls_container_ref: 'cert.pem' } },
      '^Invalid input for field/attribute tls_container_ref'],
    ['a pool CA that is not a reference', POOL, 'update', { pool: { ca_tls_container_ref: 42 } },
      '^Invalid input for field/attribute ca_tls_container_ref'],
    ['protocol enum', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'FTP', protocol_port: 1 } },
      "Invalid input for field/attribute protocol. Value: 'FTP'. Value should be one of: HTTP, HTTPS, TCP, TERMINATED_HTTPS, UDP, SCTP, PROMETHEUS"],
    ['port too high', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 70000 } },
      "Invalid input for field/attribute protocol_port. Value: '70000'. Value should be lower or equal to 65535"],
    ['port zero', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 0 } },
      "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    ['port not a number', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: '80a' } },
      "Invalid input for field/attribute protocol_port. Value: '80a'. Value should be an integer"],
    ['port fractional', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80.5 } },
      "Invalid input for field/attribute protocol_port. Value: '80.5'. Value should be an integer"],
    ['required null', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: null, protocol_port: 80 } },
      "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    ['insert header name', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, insert_headers: { 'X-Foo': 'true' } } },
      "Invalid input for field/attribute insert_headers. Value: '{\"X-Foo\":\"true\"}'. X-Foo is not a valid option for insert_headers"],
    ['insert header value', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, insert_headers: { 'X-Forwarded-For': 'yes\n' } } },
      'Invalid input for field/attribute insert_headers. Value: \'{"X-Forwarded-For":"yes\\n"}\'. Value of X-Forwarded-For should be "true" or "false"'],
    ['bad cidr', LISTENER, 'update', { listener: { allowed_cidrs: ['10.0.0.0/33'] } },
      "Invalid input for field/attribute allowed_cidrs. Value: '[\"10.0.0.0/33\"]'. 10.0.0.0/33 is not a valid CIDR"],
    ['TLS ref that is not a reference', LISTENER, 'create', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, default_tls_container_ref: 'x' } },
      "Invalid input for field/attribute default_tls_container_ref. Value: 'x'. Value should be a secret or container reference (URL)"],
    ['cookie name with space', POOL, 'create', { pool: { loadbalancer_id: LB, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b' } } },
      'Invalid input for field/attribute session_persistence. Value: \'{"type":"APP_COOKIE","cookie_name":"a b"}\'. cookie_name: Value should match the pattern ^[A-Za-z0-9!%&*+\\-.^_|~]+$'],
    ['persistence type missing', POOL, 'create', { pool: { loadbalancer_id: LB, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: {} } },
      "Invalid input for field/attribute session_persistence. Value: '{}'. type: Mandatory field missing."],
    ['member address', MEMBER, 'create', { member: { address: '10.0.0.256', protocol_port: 80 } },
      "Invalid input for field/attribute address. Value: '10.0.0.256'. Value should be IPv4 or IPv6 format"],
    ['member weight', MEMBER, 'create', { member: { address: '10.0.0.1', protocol_port: 80, weight: -1 } },
      "Invalid input for field/attribute weight. Value: '-1'. Value should be greater or equal to 0"],
    ['member description does not exist', MEMBER, 'create', { member: { address: '10.0.0.1', protocol_port: 80, description: 'x' } },
      'Unknown attribute for argument member_.member: description'],
    ['url_path newline', HEALTH_MONITOR, 'update', { healthmonitor: { url_path: '/ok\nhttp-check send' } },
      "Invalid input for field/attribute url_path. Value: '/ok\nhttp-check send'. Value should be a valid URL path"],
    ['url_path quote', HEALTH_MONITOR, 'update', { healthmonitor: { url_path: '/"x' } },
      "Invalid input for field/attribute url_path. Value: '/\"x'. Value should be a valid URL path"],
    ['url_path relative', HEALTH_MONITOR, 'update', { healthmonitor: { url_path: 'health' } },
      "Invalid input for field/attribute url_path. Value: 'health'. Value should be a valid URL path"],
    ['url_path bad escape', HEALTH_MONITOR, 'update', { healthmonitor: { url_path: '/a%zz' } },
      "Invalid input for field/attribute url_path. Value: '/a%zz'. Value should be a valid URL path"],
    ['expected codes with spaces', HEALTH_MONITOR, 'update', { healthmonitor: { expected_codes: '200, 202' } },
      "Invalid input for field/attribute expected_codes. Value: '200, 202'. Value should match the pattern ^[1-5]\\d\\d(,[1-5]\\d\\d)*$|^[1-5]\\d\\d-[1-5]\\d\\d$"],
    ['http method', HEALTH_MONITOR, 'create', { healthmonitor: { pool_id: LB, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, http_method: 'get' } },
      "Invalid input for field/attribute http_method. Value: 'get'. Value should be one of: GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS, CONNECT, PATCH"],
    ['domain name', HEALTH_MONITOR, 'update', { healthmonitor: { domain_name: 'a b.example' } },
      /^Invalid input for field\/attribute domain_name. Value: 'a b.example'. Value should match the pattern/.source],
    ['subnet cidr', SUBNET, 'create', { subnet: { network_id: LB, cidr: '10.0.0.0' } },
      "Invalid input for field/attribute cidr. Value: '10.0.0.0'. Value should be a valid IPv4 or IPv6 CIDR"],
    ['subnet ip_version 5', SUBNET, 'create', { subnet: { network_id: LB, cidr: '10.0.0.0/24', ip_version: 5 } },
      "Invalid input for field/attribute ip_version. Value: '5'. 5 is not in [4, 6]"],
  ];

  it.each(rows)('%s → 400 with Octavia\'s faultstring', (_name, table, mode, body, fault) => {
    const r = attempt(table, mode, body);
    expect(r).toHaveProperty('status', 400);
    const got = (r as { fault: string }).fault;
    if (fault.startsWith('^')) expect(got).toMatch(new RegExp(fault));
    else expect(got).toBe(fault);
  });

  it('converts what WSME converts: numeric strings to integers, boolean strings to booleans', () => {
    const r = attempt(LISTENER, 'create', { listener: { loadbalancer_id: LB.toUpperCase(), protocol: 'HTTP', protocol_port: '80', connection_limit: '5000', admin_state_up: 'false' } });
    expect(r).toEqual({ ok: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, connection_limit: 5000, admin_state_up: false } });
  });

  it('keeps absent attributes absent and explicit nulls null (PUT resets on null only)', () => {
    const r = attempt(LISTENER, 'update', { listener: { timeout_client_data: null } }) as { ok: object };
    expect(r.ok).toEqual({ timeout_client_data: null });
    expect(Object.keys(r.ok)).toEqual(['timeout_client_data']);
  });

  it('normalises CIDRs and drops duplicate tags', () => {
    expect(attempt(LISTENER, 'update', { listener: { allowed_cidrs: ['10.1.2.3/16', '10.1.0.0/16'], tags: ['a', 'a'] } }))
      .toEqual({ ok: { allowed_cidrs: ['10.1.0.0/16'], tags: ['a'] } });
  });

  it('accepts good health-check strings', () => {
    const ok = attempt(HEALTH_MONITOR, 'update', { healthmonitor: { url_path: '/healthz?x=1&y=%20', expected_codes: '200-204', domain_name: 'www.example.com', http_version: 1.1 } });
    expect(ok).toEqual({ ok: { url_path: '/healthz?x=1&y=%20', expected_codes: '200-204', domain_name: 'www.example.com', http_version: 1.1 } });
  });
});

describe('what the tables derive', () => {
  const member = MEMBER.parseCreate({ member: { address: '10.0.0.1', protocol_port: 80, backup: true } });

  it('fills a create\'s settings with defaults, the ranged ones from LIMITS', () => {
    expect(MEMBER.settings(member)).toEqual({
      name: '', adminStateUp: true, address: '10.0.0.1', protocolPort: 80, weight: LIMITS.member.weight.default, backup: true,
      subnetId: null, monitorAddress: null, monitorPort: null, tags: [],
    });
    expect(LISTENER.settings(LISTENER.parseCreate({ listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80 } })))
      .toMatchObject({ connectionLimit: LIMITS.listener.connectionLimit.default, timeoutClientData: LIMITS.listener.timeoutClientData.default });
  });

  it('gives an update only what it names; null resets to the default, or keeps a value that has none', () => {
    expect(MEMBER.changes(MEMBER.parseUpdate({ member: { weight: null, name: 'x' } }))).toEqual({ weight: LIMITS.member.weight.default, name: 'x' });
    expect(HEALTH_MONITOR.changes(HEALTH_MONITOR.parseUpdate({ healthmonitor: { delay: null, url_path: null } }), { type: 'HTTP' })).toEqual({ urlPath: '/' });
    expect(HEALTH_MONITOR.changes(HEALTH_MONITOR.parseUpdate({ healthmonitor: { url_path: null } }), { type: 'TCP' })).toEqual({ urlPath: null });
    expect(POOL.changes(POOL.parseUpdate({ pool: { lb_algorithm: null } }))).toEqual({});
  });

  it('takes a batch entry\'s named attributes only (create rules, update mapping)', () => {
    expect(MEMBER.changes(member)).toEqual({ backup: true });
  });

  it('ignores, and does not require, what a nesting supplies', () => {
    const nested = HEALTH_MONITOR.parseCreateAttributes({ type: 'TCP', delay: 1, timeout: 1, max_retries: 1, pool_id: 'not checked' }, ['pool_id']);
    expect(nested).toEqual({ type: 'TCP', delay: 1, timeout: 1, max_retries: 1 });
  });

  it('lists filter keys from the table, hidden ones included, tags not', () => {
    expect(LISTENER.filterKeys).toContain('loadbalancer_id');
    expect(LISTENER.filterKeys).not.toContain('tags');
    expect(MEMBER.filterKeys).toEqual([
      'id', 'name', 'operating_status', 'provisioning_status', 'admin_state_up', 'address', 'protocol_port', 'weight', 'backup',
      'subnet_id', 'project_id', 'created_at', 'updated_at', 'monitor_address', 'monitor_port', 'tenant_id', 'pool_id', 'loadbalancer_id',
      'load_balancer_id',
    ]);
  });
});
