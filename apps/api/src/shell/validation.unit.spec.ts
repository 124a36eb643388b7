import { HealthMonitorCreateBody, HealthMonitorUpdateBody } from '../healthmonitors/health-monitor.dto';
import { ListenerCreateBody, ListenerUpdateBody } from '../listeners/listener.dto';
import { LoadBalancerCreateBody } from '../loadbalancers/load-balancer.dto';
import { MemberCreateBody } from '../members/member.dto';
import { SubnetCreateBody } from '../networks/network.dto';
import { PoolCreateBody } from '../pools/pool.dto';
import { ApiError } from './errors';
import { parseBody } from './validation';

const LB = '0f0e0d0c-0b0a-4909-8807-060504030201';

/** Runs parseBody and returns what the client would see: the status and faultstring, or the parsed attributes. */
function attempt<T extends object>(Dto: new () => T, body: unknown, arg: string, root: string): { status: number; fault: string } | { ok: T } {
  try {
    return { ok: parseBody(Dto, body, arg, root) };
  } catch (err) {
    if (err instanceof ApiError) return { status: err.status, fault: err.message };
    throw err;
  }
}

describe('request validation (DTOs at the edge)', () => {
  const rows: [string, new () => object, string, string, unknown, string][] = [
    ['unknown attribute', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { bogus: 1 } },
      'Unknown attribute for argument load_balancer.loadbalancer: bogus'],
    ['several unknown attributes, sorted', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { zz: 1, aa: 2 } },
      'Unknown attribute for argument load_balancer.loadbalancer: aa, zz'],
    ['__proto__ is just an unknown attribute', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', JSON.parse('{"loadbalancer": {"__proto__": {"x": 1}}}'),
      'Unknown attribute for argument load_balancer.loadbalancer: __proto__'],
    ['missing root', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', {}, "Invalid input for field/attribute loadbalancer. Value: 'None'. Mandatory field missing."],
    ['non-uuid id', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { vip_subnet_id: 'x' } },
      "Invalid input for field/attribute vip_subnet_id. Value: 'x'. Value should be UUID format"],
    ['control character in description', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { description: 'a\tb' } },
      "Invalid input for field/attribute description. Value: 'a\tb'. Value should not contain control characters"],
    ['tags not a list', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { tags: 'a' } },
      "Invalid input for field/attribute tags. Value: 'a'. Value should be a list"],
    ['flavor given', LoadBalancerCreateBody, 'load_balancer', 'loadbalancer', { loadbalancer: { flavor_id: LB } },
      `Invalid input for field/attribute flavor_id. Value: '${LB}'. Flavors is not supported by this provider`],
    ['protocol enum', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'FTP', protocol_port: 1 } },
      "Invalid input for field/attribute protocol. Value: 'FTP'. Value should be one of: HTTP, HTTPS, TCP, TERMINATED_HTTPS, UDP, SCTP, PROMETHEUS"],
    ['port too high', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 70000 } },
      "Invalid input for field/attribute protocol_port. Value: '70000'. Value should be lower or equal to 65535"],
    ['port zero', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 0 } },
      "Invalid input for field/attribute protocol_port. Value: '0'. Value should be greater or equal to 1"],
    ['port not a number', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: '80a' } },
      "Invalid input for field/attribute protocol_port. Value: '80a'. Value should be an integer"],
    ['port fractional', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80.5 } },
      "Invalid input for field/attribute protocol_port. Value: '80.5'. Value should be an integer"],
    ['required null', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: null, protocol_port: 80 } },
      "Invalid input for field/attribute protocol. Value: 'None'. Mandatory field missing."],
    ['insert header name', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, insert_headers: { 'X-Foo': 'true' } } },
      "Invalid input for field/attribute insert_headers. Value: '{\"X-Foo\":\"true\"}'. X-Foo is not a valid option for insert_headers"],
    ['insert header value', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, insert_headers: { 'X-Forwarded-For': 'yes\n' } } },
      'Invalid input for field/attribute insert_headers. Value: \'{"X-Forwarded-For":"yes\\n"}\'. Value of X-Forwarded-For should be "true" or "false"'],
    ['bad cidr', ListenerUpdateBody, 'listener_', 'listener', { listener: { allowed_cidrs: ['10.0.0.0/33'] } },
      "Invalid input for field/attribute allowed_cidrs. Value: '[\"10.0.0.0/33\"]'. 10.0.0.0/33 is not a valid CIDR"],
    ['TLS ref that is not a reference', ListenerCreateBody, 'listener_', 'listener', { listener: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, default_tls_container_ref: 'x' } },
      "Invalid input for field/attribute default_tls_container_ref. Value: 'x'. Value should be a secret or container reference (URL)"],
    ['cookie name with space', PoolCreateBody, 'pool_', 'pool', { pool: { loadbalancer_id: LB, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b' } } },
      'Invalid input for field/attribute session_persistence. Value: \'{"type":"APP_COOKIE","cookie_name":"a b"}\'. cookie_name: Value should match the pattern ^[A-Za-z0-9!%&*+\\-.^_|~]+$'],
    ['persistence type missing', PoolCreateBody, 'pool_', 'pool', { pool: { loadbalancer_id: LB, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: {} } },
      "Invalid input for field/attribute session_persistence. Value: '{}'. type: Mandatory field missing."],
    ['member address', MemberCreateBody, 'member_', 'member', { member: { address: '10.0.0.256', protocol_port: 80 } },
      "Invalid input for field/attribute address. Value: '10.0.0.256'. Value should be IPv4 or IPv6 format"],
    ['member weight', MemberCreateBody, 'member_', 'member', { member: { address: '10.0.0.1', protocol_port: 80, weight: -1 } },
      "Invalid input for field/attribute weight. Value: '-1'. Value should be greater or equal to 0"],
    ['member description does not exist', MemberCreateBody, 'member_', 'member', { member: { address: '10.0.0.1', protocol_port: 80, description: 'x' } },
      'Unknown attribute for argument member_.member: description'],
    ['url_path newline', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { url_path: '/ok\nhttp-check send' } },
      "Invalid input for field/attribute url_path. Value: '/ok\nhttp-check send'. Value should be a valid URL path"],
    ['url_path quote', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { url_path: '/"x' } },
      "Invalid input for field/attribute url_path. Value: '/\"x'. Value should be a valid URL path"],
    ['url_path relative', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { url_path: 'health' } },
      "Invalid input for field/attribute url_path. Value: 'health'. Value should be a valid URL path"],
    ['url_path bad escape', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { url_path: '/a%zz' } },
      "Invalid input for field/attribute url_path. Value: '/a%zz'. Value should be a valid URL path"],
    ['expected codes with spaces', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { expected_codes: '200, 202' } },
      "Invalid input for field/attribute expected_codes. Value: '200, 202'. Value should match the pattern ^[1-5]\\d\\d(,[1-5]\\d\\d)*$|^[1-5]\\d\\d-[1-5]\\d\\d$"],
    ['http method', HealthMonitorCreateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { pool_id: LB, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, http_method: 'get' } },
      "Invalid input for field/attribute http_method. Value: 'get'. Value should be one of: GET, HEAD, POST, PUT, DELETE, TRACE, OPTIONS, CONNECT, PATCH"],
    ['domain name', HealthMonitorUpdateBody, 'health_monitor_', 'healthmonitor', { healthmonitor: { domain_name: 'a b.example' } },
      /^Invalid input for field\/attribute domain_name. Value: 'a b.example'. Value should match the pattern/.source],
    ['subnet cidr', SubnetCreateBody, 'subnet', 'subnet', { subnet: { network_id: LB, cidr: '10.0.0.0' } },
      "Invalid input for field/attribute cidr. Value: '10.0.0.0'. Value should be a valid IPv4 CIDR"],
    ['subnet ipv6', SubnetCreateBody, 'subnet', 'subnet', { subnet: { network_id: LB, cidr: '10.0.0.0/24', ip_version: 6 } },
      "Invalid input for field/attribute ip_version. Value: '6'. Value should be lower or equal to 4"],
  ];

  it.each(rows)('%s → 400 with Octavia\'s faultstring', (_name, Dto, arg, root, body, fault) => {
    const r = attempt(Dto, body, arg, root);
    expect(r).toHaveProperty('status', 400);
    const got = (r as { fault: string }).fault;
    if (fault.startsWith('^')) expect(got).toMatch(new RegExp(fault));
    else expect(got).toBe(fault);
  });

  it('converts what WSME converts: numeric strings to integers, boolean strings to booleans', () => {
    const r = attempt(ListenerCreateBody, { listener: { loadbalancer_id: LB.toUpperCase(), protocol: 'HTTP', protocol_port: '80', connection_limit: '5000', admin_state_up: 'false' } }, 'listener_', 'listener');
    expect(r).toEqual({ ok: { loadbalancer_id: LB, protocol: 'HTTP', protocol_port: 80, connection_limit: 5000, admin_state_up: false } });
  });

  it('keeps absent attributes absent and explicit nulls null (PUT resets on null only)', () => {
    const r = attempt(ListenerUpdateBody, { listener: { timeout_client_data: null } }, 'listener_', 'listener') as { ok: object };
    expect(r.ok).toEqual({ timeout_client_data: null });
    expect(Object.keys(r.ok)).toEqual(['timeout_client_data']);
  });

  it('normalises CIDRs and drops duplicate tags', () => {
    expect(attempt(ListenerUpdateBody, { listener: { allowed_cidrs: ['10.1.2.3/16', '10.1.0.0/16'], tags: ['a', 'a'] } }, 'listener_', 'listener'))
      .toEqual({ ok: { allowed_cidrs: ['10.1.0.0/16'], tags: ['a'] } });
  });

  it('accepts good health-check strings', () => {
    const ok = attempt(HealthMonitorUpdateBody, { healthmonitor: { url_path: '/healthz?x=1&y=%20', expected_codes: '200-204', domain_name: 'www.example.com', http_version: 1.1 } }, 'health_monitor_', 'healthmonitor');
    expect(ok).toEqual({ ok: { url_path: '/healthz?x=1&y=%20', expected_codes: '200-204', domain_name: 'www.example.com', http_version: 1.1 } });
  });
});
