import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect } from 'nats';
import { EVENT_STREAM } from '@lbaas/contracts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  canUseNetns, createBridge, createNetnsOnBridge, netnsRunId, removeLinks, removeNetns, type NetnsProcess,
} from '@lbaas/testing';
import { curl, startEchoServer } from './support/dataplane';
import { apiClient, startStack, type ApiClient, type Stack } from './support/stack';

/**
 * Issue 3, data plane: every listener/pool/member/L7 feature the API accepts reaches haproxy and is shown with
 * traffic. One stack, one load balancer with several listeners; backends web1..web3 and two clients (cli is
 * allowed by allowed_cidrs, cli2 is not) on the VIP network's bridge.
 */
const root = canUseNetns();
if (!root) console.warn('SKIPPED LOUDLY: test/dataplane.e2e.spec.ts needs root (network namespaces); CI runs it as root');
const maybe = root ? describe : describe.skip;

maybe('data plane: listeners, pools, members and L7 policies proven with traffic', () => {
  const id = netnsRunId();
  const octet = 100 + (parseInt(id.slice(0, 2), 16) % 150);
  const prefix = `10.242.${octet}`;
  const bridge = `brd${id}`;
  const ns = { web1: `dp-${id}-web1`, web2: `dp-${id}-web2`, web3: `dp-${id}-web3`, cli: `dp-${id}-cli`, cli2: `dp-${id}-cli2` };
  const addr = { web1: `${prefix}.11`, web2: `${prefix}.12`, web3: `${prefix}.13`, cli: `${prefix}.2`, cli2: `${prefix}.3` };
  const hostIfs = [`d1${id}`, `d2${id}`, `d3${id}`, `dc${id}`, `dd${id}`];
  const tls = mkdtempSync(join(tmpdir(), `lbaas-dp-${id}-`));
  let stack: Stack;
  let api: ApiClient;
  const servers: Record<string, NetnsProcess> = {};
  const ids: Record<string, string> = {};
  let vip = '';

  const lbPath = () => `/v2/lbaas/loadbalancers/${ids.lb}`;
  const waitActive = () => api.waitFor(lbPath(), (b) => b?.loadbalancer?.provisioning_status === 'ACTIVE', 20_000);
  /** POSTs, expects 201, waits for ACTIVE, returns the new id. */
  const create = async (path: string, root: string, body: Record<string, unknown>): Promise<string> => {
    const r = await api.post(path, { [root]: body });
    if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    await waitActive();
    return r.body[root].id;
  };
  const update = async (path: string, root: string, body: Record<string, unknown>) => {
    const r = await api.put(path, { [root]: body });
    if (r.status !== 200) throw new Error(`PUT ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    await waitActive();
    return r.body[root];
  };
  const names = async (url: string, n: number, args: string[] = [], from = ns.cli) => {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await curl(from, url, args)).json?.name ?? 'none');
    return out;
  };

  beforeAll(async () => {
    const selfSigned = (name: string, cn: string) => execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
      '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`, '-keyout', join(tls, `${name}-key.pem`), '-out', join(tls, `${name}.pem`)], { stdio: 'ignore' });
    selfSigned('cert', 'backend.test');
    selfSigned('default', 'default.test');
    selfSigned('sni', 'sni.test');
    execFileSync('cp', [join(tls, 'cert-key.pem'), join(tls, 'key.pem')]);
    await createBridge(bridge);
    const names5 = ['web1', 'web2', 'web3', 'cli', 'cli2'] as const;
    for (const [i, n] of names5.entries()) await createNetnsOnBridge({ netns: ns[n], bridge, hostIf: hostIfs[i], cidr: `${addr[n]}/24` });
    const cert = { port: 8443, key: join(tls, 'key.pem'), cert: join(tls, 'cert.pem') };
    servers.web1 = await startEchoServer(ns.web1, 'web1', 8080, cert);
    servers.web2 = await startEchoServer(ns.web2, 'web2', 8080, cert);
    servers.web3 = await startEchoServer(ns.web3, 'web3', 8080);
    servers.primary = await startEchoServer(ns.web1, 'primary', 9090);
    stack = await startStack({ runId: id, physicalNetwork: `physnet-${id}`, bridge, agents: 1, env: { SECRETS_KEY: randomBytes(32).toString('hex') } });
    api = apiClient(stack.apiUrl, { 'x-project-id': 'e2e-project' });

    const net = await api.post('/v2.0/networks', { network: { name: `dp-${id}`, 'provider:physical_network': `physnet-${id}`, 'provider:network_type': 'flat' } });
    const sub = await api.post('/v2.0/subnets', {
      subnet: { network_id: net.body.network.id, name: `dp-${id}`, ip_version: 4, cidr: `${prefix}.0/24`, gateway_ip: `${prefix}.1`,
        allocation_pools: [{ start: `${prefix}.50`, end: `${prefix}.60` }] },
    });
    ids.subnet = sub.body.subnet.id;
    const lb = await api.post('/v2/lbaas/loadbalancers', { loadbalancer: { name: 'dp', vip_subnet_id: ids.subnet } });
    ids.lb = lb.body.loadbalancer.id;
    vip = lb.body.loadbalancer.vip_address;
    await waitActive();
  }, 180_000);

  afterAll(async () => {
    for (const s of Object.values(servers)) await s.stop();
    await stack?.stop();
    await removeNetns(...Object.values(ns));
    await removeLinks(...hostIfs, bridge);
    rmSync(tls, { recursive: true, force: true });
  }, 120_000);

  const members = async (poolId: string, list: [string, number, Record<string, unknown>?][]) => {
    const out: string[] = [];
    for (const [address, port, extra] of list) out.push(await create(`/v2/lbaas/pools/${poolId}/members`, 'member', { address, protocol_port: port, ...extra }));
    return out;
  };

  it('HTTP listener: insert_headers reach the backend, HTTP_COOKIE persistence sticks', async () => {
    ids.http = await create('/v2/lbaas/listeners', 'listener', {
      loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 80,
      insert_headers: { 'X-Forwarded-For': 'true', 'X-Forwarded-Port': 'true', 'X-Forwarded-Proto': 'true' },
    });
    ids.cookiePool = await create('/v2/lbaas/pools', 'pool', {
      listener_id: ids.http, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'HTTP_COOKIE' },
    });
    await members(ids.cookiePool, [[addr.web1, 8080], [addr.web2, 8080]]);
    const first = await curl(ns.cli, `http://${vip}/`);
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ xff: addr.cli, xfp: 'http', xfport: '80' });
    // without the cookie: round robin over both; with it: always the same member
    expect(new Set(await names(`http://${vip}/`, 4))).toEqual(new Set(['web1', 'web2']));
    const srv = (first.headers['set-cookie'] ?? []).find((c) => c.startsWith('SRV='));
    expect(srv).toBeDefined();
    const cookie = (srv as string).split(';')[0];
    expect(new Set(await names(`http://${vip}/`, 6, ['-b', cookie]))).toEqual(new Set([first.json.name]));
  });

  it('L7 policies: REJECT, REDIRECT_TO_URL, REDIRECT_PREFIX, REDIRECT_TO_POOL by path, host, header and cookie; positions shift as Octavia', async () => {
    ids.l7Pool = await create('/v2/lbaas/pools', 'pool', { loadbalancer_id: ids.lb, protocol: 'HTTP', lb_algorithm: 'LEAST_CONNECTIONS' });
    await members(ids.l7Pool, [[addr.web3, 8080]]);
    const policy = (body: Record<string, unknown>) => create('/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, ...body });
    const rule = (policyId: string, body: Record<string, unknown>) => create(`/v2/lbaas/l7policies/${policyId}/rules`, 'rule', body);

    ids.reject = await policy({ action: 'REJECT', name: 'admin' });
    // a policy without rules is not rendered: /admin still served
    expect((await curl(ns.cli, `http://${vip}/admin`)).status).toBe(200);
    await rule(ids.reject, { type: 'PATH', compare_type: 'STARTS_WITH', value: '/admin' });
    ids.toUrl = await policy({ action: 'REDIRECT_TO_URL', redirect_url: 'https://www.example.com/moved', redirect_http_code: 301 });
    await rule(ids.toUrl, { type: 'HOST_NAME', compare_type: 'EQUAL_TO', value: 'old.example.com' });
    ids.prefix = await policy({ action: 'REDIRECT_PREFIX', redirect_prefix: 'https://secure.example.com' });
    await rule(ids.prefix, { type: 'HEADER', compare_type: 'EQUAL_TO', key: 'X-Upgrade', value: 'yes' });
    ids.canary = await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: ids.l7Pool });
    await rule(ids.canary, { type: 'COOKIE', compare_type: 'EQUAL_TO', key: 'canary', value: '1' });
    ids.static = await policy({ action: 'REDIRECT_TO_POOL', redirect_pool_id: ids.l7Pool });
    await rule(ids.static, { type: 'PATH', compare_type: 'REGEX', value: '^/static/[a-z]+ ?' });
    await rule(ids.static, { type: 'FILE_TYPE', compare_type: 'EQUAL_TO', value: 'css', invert: true });

    const denied = await curl(ns.cli, `http://${vip}/admin/users`);
    expect(denied.status).toBe(403);
    const moved = await curl(ns.cli, `http://${vip}/x`, ['-H', 'Host: old.example.com']);
    expect([moved.status, moved.headers.location?.[0]]).toEqual([301, 'https://www.example.com/moved']);
    const pre = await curl(ns.cli, `http://${vip}/a/b?c=1`, ['-H', 'X-Upgrade: yes']);
    expect([pre.status, pre.headers.location?.[0]]).toEqual([302, 'https://secure.example.com/a/b?c=1']);
    expect(await names(`http://${vip}/`, 3, ['-b', 'canary=1'])).toEqual(['web3', 'web3', 'web3']);
    expect(await names(`http://${vip}/static/app.js`, 2)).toEqual(['web3', 'web3']);
    // rules are ANDed; invert negates: a .css file under /static stays on the default pool
    expect(new Set(await names(`http://${vip}/static/site.css`, 4))).toEqual(new Set(['web1', 'web2']));
    expect((await curl(ns.cli, `http://${vip}/`)).json.name).not.toBe('web3');

    // inserting at position 1 shifts the others; the listener lists them in order
    ids.first = await policy({ action: 'REJECT', position: 1 });
    const list = await api.get(`/v2/lbaas/l7policies?listener_id=${ids.http}`);
    const pos = Object.fromEntries(list.body.l7policies.map((p: { id: string; position: number }) => [p.id, p.position]));
    expect([ids.first, ids.reject, ids.toUrl, ids.prefix, ids.canary, ids.static].map((x) => pos[x])).toEqual([1, 2, 3, 4, 5, 6]);
    const lis = await api.get(`/v2/lbaas/listeners/${ids.http}`);
    expect(lis.body.listener.l7policies.map((p: { id: string }) => p.id)).toEqual([ids.first, ids.reject, ids.toUrl, ids.prefix, ids.canary, ids.static]);
    // moving one back to 1 (the position it was created with) shifts the other down again
    expect((await update(`/v2/lbaas/l7policies/${ids.reject}`, 'l7policy', { position: 1 })).position).toBe(1);
    expect((await api.get(`/v2/lbaas/l7policies/${ids.first}`)).body.l7policy.position).toBe(2);
    const rules = await api.get(`/v2/lbaas/l7policies/${ids.static}/rules`);
    expect(rules.body.rules.map((r: { type: string }) => r.type)).toEqual(['PATH', 'FILE_TYPE']);
    // a pool an L7 policy redirects to cannot be deleted (Octavia's PoolInUseByL7Policy)
    const del = await api.del(`/v2/lbaas/pools/${ids.l7Pool}`);
    expect(del.status).toBe(409);
    expect(del.body.faultstring).toBe(`Pool ${ids.l7Pool} is in use by L7 policy ${ids.canary}`);

    // disabling a policy takes it out of haproxy; deleting a rule too
    await update(`/v2/lbaas/l7policies/${ids.reject}`, 'l7policy', { admin_state_up: false });
    expect((await curl(ns.cli, `http://${vip}/admin/users`)).status).toBe(200);
    const r = await api.get(`/v2/lbaas/l7policies/${ids.canary}/rules`);
    expect((await api.del(`/v2/lbaas/l7policies/${ids.canary}/rules/${r.body.rules[0].id}`)).status).toBe(204);
    await waitActive();
    expect(new Set(await names(`http://${vip}/`, 4, ['-b', 'canary=1']))).toEqual(new Set(['web1', 'web2']));
  });

  it('the openstack CLI manages L7 policies and rules (root keys l7policy / rule)', async () => {
    const os = (...args: string[]) => JSON.parse(execFileSync('openstack', ['--os-auth-type', 'none', '--os-endpoint', stack.apiUrl, ...args, '-f', 'json'],
      { encoding: 'utf8' }) || 'null');
    const p = os('loadbalancer', 'l7policy', 'create', '--name', 'cli', '--action', 'REDIRECT_TO_URL', '--redirect-url', 'https://cli.example.com/',
      '--position', '1', '--wait', ids.http);
    expect(p).toMatchObject({ name: 'cli', action: 'REDIRECT_TO_URL', redirect_url: 'https://cli.example.com/', position: 1 });
    // (no --wait here: python-octaviaclient 3.1's l7rule create --wait calls l7rule_show with its arguments swapped)
    const r = os('loadbalancer', 'l7rule', 'create', '--compare-type', 'STARTS_WITH', '--type', 'PATH', '--value', '/cli', p.id);
    await waitActive();
    expect(r).toMatchObject({ type: 'PATH', compare_type: 'STARTS_WITH', value: '/cli', invert: false });
    const moved = await curl(ns.cli, `http://${vip}/cli/x`);
    expect([moved.status, moved.headers.location?.[0]]).toEqual([302, 'https://cli.example.com/']);
    expect(os('loadbalancer', 'l7rule', 'list', p.id).map((x: { id: string }) => x.id)).toEqual([r.id]);
    execFileSync('openstack', ['--os-auth-type', 'none', '--os-endpoint', stack.apiUrl, 'loadbalancer', 'l7policy', 'delete', p.id]);
    await waitActive();
    expect((await curl(ns.cli, `http://${vip}/cli/x`)).status).toBe(200);
  });

  it('refuses bad input with 400 naming the field, and stores nothing', async () => {
    const counts = async () => Promise.all(['listeners', 'pools', 'healthmonitors', 'l7policies'].map(async (k) => (await api.get(`/v2/lbaas/${k}`)).body[k].length)
      .concat([(await api.get(`/v2/lbaas/pools/${ids.cookiePool}/members`)).body.members.length, (await api.get(`/v2/lbaas/l7policies/${ids.static}/rules`)).body.rules.length]));
    const before = await counts();
    const lis = { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 90 };
    const pool = { loadbalancer_id: ids.lb, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' };
    const hm = { pool_id: ids.l7Pool, type: 'HTTP', delay: 2, timeout: 1, max_retries: 2 };
    const rule = { type: 'PATH', compare_type: 'EQUAL_TO', value: '/x' };
    const cases: [string, string, string, Record<string, unknown>, string][] = [
      ['listener: wrong protocol', '/v2/lbaas/listeners', 'listener', { ...lis, protocol: 'FTP' }, 'protocol'],
      ['listener: port out of range', '/v2/lbaas/listeners', 'listener', { ...lis, protocol_port: 70000 }, 'protocol_port'],
      ['listener: bad CIDR', '/v2/lbaas/listeners', 'listener', { ...lis, allowed_cidrs: ['10.0.0.300/8'] }, 'allowed_cidrs'],
      ['listener: CIDR with a newline', '/v2/lbaas/listeners', 'listener', { ...lis, allowed_cidrs: ['10.0.0.0/8\n'] }, 'allowed_cidrs'],
      ['listener: bad insert_headers value', '/v2/lbaas/listeners', 'listener', { ...lis, insert_headers: { 'X-Forwarded-For': 'maybe' } }, 'insert_headers'],
      ['listener: negative timeout', '/v2/lbaas/listeners', 'listener', { ...lis, timeout_client_data: -5 }, 'timeout_client_data'],
      ['listener: unknown attribute', '/v2/lbaas/listeners', 'listener', { ...lis, colour: 'red' }, 'colour'],
      ['pool: wrong algorithm', '/v2/lbaas/pools', 'pool', { ...pool, lb_algorithm: 'RANDOM' }, 'lb_algorithm'],
      ['pool: APP_COOKIE without cookie_name', '/v2/lbaas/pools', 'pool', { ...pool, session_persistence: { type: 'APP_COOKIE' } }, 'cookie_name'],
      ['pool: cookie name with a space', '/v2/lbaas/pools', 'pool', { ...pool, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a b' } }, 'cookie_name'],
      ['pool: cookie name with a quote', '/v2/lbaas/pools', 'pool', { ...pool, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a"b' } }, 'cookie_name'],
      ['pool: cookie name with a newline', '/v2/lbaas/pools', 'pool', { ...pool, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a\nb' } }, 'cookie_name'],
      ['pool: cookie name with a backslash', '/v2/lbaas/pools', 'pool', { ...pool, session_persistence: { type: 'APP_COOKIE', cookie_name: 'a\\b' } }, 'cookie_name'],
      ['member: weight 257', `/v2/lbaas/pools/${ids.cookiePool}/members`, 'member', { address: addr.web3, protocol_port: 8080, weight: 257 }, 'weight'],
      ['member: weight -1', `/v2/lbaas/pools/${ids.cookiePool}/members`, 'member', { address: addr.web3, protocol_port: 8080, weight: -1 }, 'weight'],
      ['member: port 0', `/v2/lbaas/pools/${ids.cookiePool}/members`, 'member', { address: addr.web3, protocol_port: 0 }, 'protocol_port'],
      ['member: bad monitor_port', `/v2/lbaas/pools/${ids.cookiePool}/members`, 'member', { address: addr.web3, protocol_port: 8080, monitor_port: 65536 }, 'monitor_port'],
      // (a timeout greater than the delay is accepted, as Octavia and neutron-lbaas do: issue 13)
      ['monitor: wrong type', '/v2/lbaas/healthmonitors', 'healthmonitor', { ...hm, type: 'ICMP' }, 'type'],
      ['monitor: url_path with a space', '/v2/lbaas/healthmonitors', 'healthmonitor', { ...hm, url_path: '/a b' }, 'url_path'],
      ['monitor: max_retries_down 11', '/v2/lbaas/healthmonitors', 'healthmonitor', { ...hm, max_retries_down: 11 }, 'max_retries_down'],
      ['monitor: bad expected_codes', '/v2/lbaas/healthmonitors', 'healthmonitor', { ...hm, expected_codes: '200;drop' }, 'expected_codes'],
      ['l7policy: wrong action', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'DROP' }, 'action'],
      ['l7policy: redirect_url not a URL', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REDIRECT_TO_URL', redirect_url: 'elsewhere' }, 'redirect_url'],
      ['l7policy: redirect_url with a quote', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REDIRECT_TO_URL', redirect_url: 'https://a.example.com/"x' }, 'redirect_url'],
      ['l7policy: redirect_url with a newline', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REDIRECT_TO_URL', redirect_url: 'https://a.example.com/\nx' }, 'redirect_url'],
      ['l7policy: bad redirect code', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REDIRECT_TO_URL', redirect_url: 'https://a.example.com/', redirect_http_code: 200 }, 'redirect_http_code'],
      ['l7policy: REDIRECT_TO_POOL without a pool', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REDIRECT_TO_POOL' }, 'redirect_pool_id'],
      ['l7policy: position 0', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REJECT', position: 0 }, 'position'],
      ['l7policy: unknown attribute', '/v2/lbaas/l7policies', 'l7policy', { listener_id: ids.http, action: 'REJECT', priority: 1 }, 'priority'],
      ['rule: wrong type', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, type: 'BODY' }, 'type'],
      ['rule: wrong compare type', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, compare_type: 'LIKE' }, 'compare_type'],
      ['rule: invalid regex', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, compare_type: 'REGEX', value: '^(/a' }, 'value'],
      ['rule: value with a newline', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, value: '/a\nb' }, 'value'],
      ['rule: value with a single quote', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, value: "/a'b" }, 'value'],
      ['rule: header name with a space', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, type: 'HEADER', key: 'X A' }, 'key'],
      ['rule: HEADER without key', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, type: 'HEADER' }, 'key'],
      ['rule: FILE_TYPE with CONTAINS', `/v2/lbaas/l7policies/${ids.static}/rules`, 'rule', { ...rule, type: 'FILE_TYPE', compare_type: 'CONTAINS' }, 'compare_type'],
    ];
    const wrong: string[] = [];
    for (const [name, path, root, body, field] of cases) {
      const r = await api.post(path, { [root]: body });
      if (r.status !== 400 || !String(r.body?.faultstring).includes(field)) wrong.push(`${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
    expect(wrong).toEqual([]);
    expect(await counts()).toEqual(before);
    expect((await api.get(lbPath())).body.loadbalancer.provisioning_status).toBe('ACTIVE');
  });

  it('TCP listener: allowed_cidrs refuses other sources; SOURCE_IP persistence keeps a client on one member', async () => {
    ids.tcp = await create('/v2/lbaas/listeners', 'listener', {
      loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 81, allowed_cidrs: [`${addr.cli}/32`],
    });
    ids.srcPool = await create('/v2/lbaas/pools', 'pool', {
      listener_id: ids.tcp, protocol: 'TCP', lb_algorithm: 'SOURCE_IP', session_persistence: { type: 'SOURCE_IP' },
    });
    await members(ids.srcPool, [[addr.web1, 8080], [addr.web2, 8080]]);
    const seen = await names(`http://${vip}:81/`, 6);
    expect(seen.every((n) => n === seen[0] && n !== 'none')).toBe(true);
    // SOURCE_IP_PORT hashes the port too: the same client, new connections, both members
    ids.tcpPort = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 86 });
    ids.portPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.tcpPort, protocol: 'TCP', lb_algorithm: 'SOURCE_IP_PORT' });
    await members(ids.portPool, [[addr.web1, 8080], [addr.web2, 8080]]);
    expect(new Set(await names(`http://${vip}:86/`, 14))).toEqual(new Set(['web1', 'web2']));
    expect((await curl(ns.cli2, `http://${vip}:81/`)).status).toBe(0);
    // the HTTP listener has no allowed_cidrs: cli2 gets through there
    expect((await curl(ns.cli2, `http://${vip}/`)).status).toBe(200);
    // widening the list lets cli2 in
    await update(`/v2/lbaas/listeners/${ids.tcp}`, 'listener', { allowed_cidrs: [`${prefix}.0/24`] });
    expect((await curl(ns.cli2, `http://${vip}:81/`)).status).toBe(200);
  });

  it('APP_COOKIE persistence follows the application cookie; weight 0 drains a member', async () => {
    ids.app = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 82 });
    ids.appPool = await create('/v2/lbaas/pools', 'pool', {
      listener_id: ids.app, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN', session_persistence: { type: 'APP_COOKIE', cookie_name: 'APPSESSION' },
    });
    await members(ids.appPool, [[addr.web1, 8080], [addr.web2, 8080], [addr.web3, 8080, { weight: 0 }]]);
    expect(new Set(await names(`http://${vip}:82/`, 6))).toEqual(new Set(['web1', 'web2']));
    const login = await curl(ns.cli, `http://${vip}:82/login`);
    const cookie = (login.headers['set-cookie'] ?? [])[0]?.split(';')[0];
    expect(cookie).toMatch(/^APPSESSION=web[12]-/);
    expect(new Set(await names(`http://${vip}:82/`, 6, ['-b', cookie as string]))).toEqual(new Set([login.json.name]));
  });

  it('backup members serve only when every primary is down', async () => {
    ids.bk = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 83 });
    ids.bkPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.bk, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    await members(ids.bkPool, [[addr.web1, 9090], [addr.web3, 8080, { backup: true }]]);
    await create('/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: ids.bkPool, type: 'TCP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 });
    expect(await names(`http://${vip}:83/`, 4)).toEqual(['primary', 'primary', 'primary', 'primary']);
    await servers.primary.stop();
    const t0 = Date.now();
    let name = '';
    while (Date.now() - t0 < 10_000 && name !== 'web3') {
      name = (await curl(ns.cli, `http://${vip}:83/`)).json?.name ?? '';
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(name).toBe('web3');
  });

  it('connection_limit caps concurrent connections; admin_state_up=false stops the listener', async () => {
    ids.cap = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 84, connection_limit: 1 });
    ids.capPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.cap, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    await members(ids.capPool, [[addr.web1, 8080], [addr.web2, 8080]]);
    const pair = async (port: number) => {
      const t0 = Date.now();
      const answers = await Promise.all([curl(ns.cli, `http://${vip}:${port}/slow`, [], 8), curl(ns.cli, `http://${vip}:${port}/slow`, [], 8)]);
      return { ms: Date.now() - t0, statuses: answers.map((a) => a.status) };
    };
    const capped = await pair(84);
    const free = await pair(80);
    expect(capped.statuses).toEqual([200, 200]);
    expect(free.statuses).toEqual([200, 200]);
    expect(free.ms).toBeLessThan(2800); // both at once
    expect(capped.ms).toBeGreaterThanOrEqual(2900); // one after the other

    await update(`/v2/lbaas/listeners/${ids.cap}`, 'listener', { admin_state_up: false });
    expect((await curl(ns.cli, `http://${vip}:84/`)).status).toBe(0);
    expect((await curl(ns.cli, `http://${vip}/`)).status).toBe(200);
    await update(`/v2/lbaas/listeners/${ids.cap}`, 'listener', { admin_state_up: true });
    expect((await curl(ns.cli, `http://${vip}:84/`)).status).toBe(200);
  });

  it('timeout_member_data cuts a slow member (504); an HTTP monitor (expected_codes, HTTP/1.1, Host, monitor_address/port) takes members out and back', async () => {
    ids.slow = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTP', protocol_port: 85, timeout_member_data: 700 });
    ids.slowPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.slow, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    const [m] = await members(ids.slowPool, [[addr.web1, 8080]]);
    expect((await curl(ns.cli, `http://${vip}:85/`)).status).toBe(200);
    expect((await curl(ns.cli, `http://${vip}:85/slow`)).status).toBe(504);
    ids.slowHm = await create('/v2/lbaas/healthmonitors', 'healthmonitor', {
      pool_id: ids.slowPool, type: 'HTTP', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1, url_path: '/health',
      expected_codes: '418', http_version: 1.1, domain_name: 'app.example.com',
    });
    const member = `/v2/lbaas/pools/${ids.slowPool}/members/${m}`;
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ERROR', 10_000);
    expect((await curl(ns.cli, `http://${vip}:85/`)).status).toBe(503);
    await update(`/v2/lbaas/healthmonitors/${ids.slowHm}`, 'healthmonitor', { expected_codes: '200-204' });
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ONLINE', 10_000);
    expect((await curl(ns.cli, `http://${vip}:85/`)).status).toBe(200);
    // monitor_port / monitor_address: the check goes elsewhere than the traffic
    await update(member, 'member', { monitor_port: 9 });
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ERROR', 10_000);
    await update(member, 'member', { monitor_address: addr.web2, monitor_port: 8080 });
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ONLINE', 10_000);
    expect((await curl(ns.cli, `http://${vip}:85/`)).json?.name).toBe('web1');
  });

  it('HTTPS passthrough: TLS reaches the members untouched', async () => {
    ids.https = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'HTTPS', protocol_port: 443 });
    ids.httpsPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.https, protocol: 'HTTPS', lb_algorithm: 'ROUND_ROBIN' });
    await members(ids.httpsPool, [[addr.web1, 8443], [addr.web2, 8443]]);
    await create('/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: ids.httpsPool, type: 'TLS-HELLO', delay: 1, timeout: 1, max_retries: 1 });
    const r = await curl(ns.cli, `https://${vip}/`, ['-k', '-w', '\n%{ssl_verify_result}']);
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/"name":"web[12]"/);
    // the certificate the client sees is the backend's own (no termination at the VIP)
    const cert = execFileSync('ip', ['netns', 'exec', ns.cli, 'sh', '-c', `openssl s_client -connect ${vip}:443 </dev/null 2>/dev/null | openssl x509 -noout -subject`], { encoding: 'utf8' });
    expect(cert).toMatch(/CN *= *backend\.test/);
  });

  it('TERMINATED_HTTPS: certificates from the Barbican subset terminate TLS, SNI picks the certificate, keys never enter the stream', async () => {
    const pemOf = (name: string) => readFileSync(join(tls, `${name}.pem`), 'utf8');
    // default certificate: one secret holding certificate and key; SNI certificate: a container of two secrets
    const bundle = await api.post('/v1/secrets', { name: 'default', payload: pemOf('default') + pemOf('default-key'), payload_content_type: 'text/plain', secret_type: 'certificate' });
    expect(bundle.status).toBe(201);
    const cert = await api.post('/v1/secrets', { name: 'sni-cert', payload: pemOf('sni'), payload_content_type: 'text/plain', secret_type: 'certificate' });
    const key = await api.post('/v1/secrets', { name: 'sni-key', payload: pemOf('sni-key'), payload_content_type: 'text/plain', secret_type: 'private' });
    const container = await api.post('/v1/containers', { name: 'sni', type: 'certificate', secret_refs: [
      { name: 'certificate', secret_ref: cert.body.secret_ref }, { name: 'private_key', secret_ref: key.body.secret_ref }] });
    expect(container.status).toBe(201);
    const meta = await api.get(new URL(bundle.body.secret_ref).pathname);
    expect(meta.body).toMatchObject({ name: 'default', status: 'ACTIVE', secret_type: 'certificate' });

    // a reference that does not resolve, or a TERMINATED_HTTPS listener without one, is refused
    const missing = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'TERMINATED_HTTPS', protocol_port: 8443,
      default_tls_container_ref: `${stack.apiUrl}/v1/secrets/00000000-0000-4000-8000-000000000000` } });
    expect([missing.status, missing.body.faultstring]).toEqual([400, expect.stringContaining('Could not retrieve certificate')]);
    const none = await api.post('/v2/lbaas/listeners', { listener: { loadbalancer_id: ids.lb, protocol: 'TERMINATED_HTTPS', protocol_port: 8443 } });
    expect([none.status, none.body.faultstring]).toEqual([400, expect.stringContaining('default_tls_container_ref')]);

    ids.tls = await create('/v2/lbaas/listeners', 'listener', {
      loadbalancer_id: ids.lb, protocol: 'TERMINATED_HTTPS', protocol_port: 8443, default_tls_container_ref: bundle.body.secret_ref,
      sni_container_refs: [container.body.container_ref], insert_headers: { 'X-Forwarded-Proto': 'true', 'X-Forwarded-For': 'true' },
    });
    ids.tlsPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.tls, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' });
    await members(ids.tlsPool, [[addr.web1, 8080], [addr.web2, 8080]]);
    const r = await curl(ns.cli, `https://${vip}:8443/`, ['-k']);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ xfp: 'https', xff: addr.cli });
    const subject = (sni: string | null) => execFileSync('ip', ['netns', 'exec', ns.cli, 'sh', '-c',
      `openssl s_client -connect ${vip}:8443 ${sni ? `-servername ${sni}` : '-noservername'} </dev/null 2>/dev/null | openssl x509 -noout -subject`], { encoding: 'utf8' });
    expect(subject(null)).toMatch(/CN *= *default\.test/);
    expect(subject('sni.test')).toMatch(/CN *= *sni\.test/);
    expect(subject('other.test')).toMatch(/CN *= *default\.test/);
    const verified = await curl(ns.cli, `https://sni.test:8443/`, ['--resolve', `sni.test:8443:${vip}`, '--cacert', join(tls, 'sni.pem')]);
    expect(verified.status).toBe(200);

    // the keys on the agent's disk are root-only; the stream holds references, never a PEM
    const certDir = join('/run/lbaas-e2e', stack.agentIds[0], ids.lb, 'certs');
    const pems = readdirSync(certDir).filter((f) => f.endsWith('.pem'));
    expect(pems.length).toBe(2);
    for (const f of pems) expect(statSync(join(certDir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(certDir).mode & 0o777).toBe(0o700);
    const nc = await connect({ servers: stack.nats.url });
    try {
      const consumer = await nc.jetstream().consumers.get(EVENT_STREAM);
      const info = await (await nc.jetstreamManager()).streams.info(EVENT_STREAM);
      const batch = await consumer.fetch({ max_messages: info.state.messages, expires: 3000 });
      let seen = 0;
      let leaked = 0;
      for await (const m of batch) {
        seen++;
        const text = m.string();
        if (/BEGIN [A-Z ]*PRIVATE KEY|BEGIN CERTIFICATE/.test(text)) leaked++;
        if (seen >= info.state.messages) break;
      }
      expect(seen).toBeGreaterThan(10);
      expect(leaked).toBe(0);
    } finally {
      await nc.close();
    }
    // Barbican DELETE removes the payload for good (a secret a listener still uses would fail the LB's next change)
    const spare = await api.post('/v1/secrets', { name: 'spare', payload: pemOf('sni-key'), payload_content_type: 'text/plain' });
    const path = new URL(spare.body.secret_ref).pathname;
    const payload = await fetch(`${stack.apiUrl}${path}/payload`, { headers: { accept: 'text/plain' } });
    expect([payload.status, await payload.text()]).toEqual([200, pemOf('sni-key')]);
    expect((await api.del(path)).status).toBe(204);
    expect((await api.get(path)).status).toBe(404);
  });

  it('a PING monitor checks with ICMP (not TCP): a member that ignores echo requests goes ERROR though its port answers', async () => {
    ids.ping = await create('/v2/lbaas/listeners', 'listener', { loadbalancer_id: ids.lb, protocol: 'TCP', protocol_port: 87 });
    ids.pingPool = await create('/v2/lbaas/pools', 'pool', { listener_id: ids.ping, protocol: 'TCP', lb_algorithm: 'ROUND_ROBIN' });
    const [m] = await members(ids.pingPool, [[addr.web3, 8080]]);
    await create('/v2/lbaas/healthmonitors', 'healthmonitor', { pool_id: ids.pingPool, type: 'PING', delay: 1, timeout: 1, max_retries: 1, max_retries_down: 1 });
    const member = `/v2/lbaas/pools/${ids.pingPool}/members/${m}`;
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ONLINE', 15_000);
    const icmp = (ignore: 0 | 1) => execFileSync('ip', ['netns', 'exec', ns.web3, 'sysctl', '-qw', `net.ipv4.icmp_echo_ignore_all=${ignore}`]);
    icmp(1);
    try {
      await api.waitFor(member, (b) => b?.member?.operating_status === 'ERROR', 15_000);
    } finally {
      icmp(0);
    }
    await api.waitFor(member, (b) => b?.member?.operating_status === 'ONLINE', 15_000);
    expect((await curl(ns.cli, `http://${vip}:87/`)).json?.name).toBe('web3');
  });

  it('admin_state_up=false on the load balancer stops all traffic', async () => {
    await update(lbPath(), 'loadbalancer', { admin_state_up: false });
    expect((await curl(ns.cli, `http://${vip}/`, [], 2)).status).toBe(0);
    expect((await curl(ns.cli, `http://${vip}:82/`, [], 2)).status).toBe(0);
    await update(lbPath(), 'loadbalancer', { admin_state_up: true });
    expect((await curl(ns.cli, `http://${vip}/`)).status).toBe(200);
  });
});
