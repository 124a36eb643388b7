import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { exportJWK, SignJWT } from 'jose';
import { keystoneInstalled, keystonePerFile, type TestKeystoneUserName } from '@lbaas/testing';
import { apiHarness, keystoneEnv, type ApiHarness, type Reply } from '../api-harness.fixtures';
import { registeredRoutes } from './routes.fixtures';

/**
 * Every endpoint × actor × mode, with real identities: Keystone tokens of the test Keystone (one per actor, issued once
 * and cached by the api) against a keystone api in each policy mode, JWTs signed by a test key and served from a local
 * JWKS endpoint against a jwt api, and noauth (everybody is admin). What each actor may do is written out here by
 * hand from Octavia's matrix (reference/security.md §2), apart from http/policy.ts, so the two must agree.
 *
 * Project A owns one object of every kind, and its tree is left PENDING_UPDATE: an allowed write then ends in 409
 * (immutable) or 400 (a body the route refuses) and changes nothing, a refused one in 403, and another project's
 * caller who holds the role meets a 404 (existence is not revealed). A test also fails when a registered route has no
 * row here: add one for every new route.
 */
if (!keystoneInstalled()) throw new Error('Debian\'s keystone package is missing: run sudo bash scripts/install.sh --tests');

const ks = keystonePerFile();
const NO_BUDGET = { API_RATE_LIMIT_PER_S: '0' };
const h = apiHarness({ agentId: 'agent-policy', secrets: true, env: () => keystoneEnv(ks, { ...NO_BUDGET, POLICY_MODE: 'new' }) });

// ---- who may do what, by hand (Octavia's matrix) ----

/** What an actor holds: per kind of right, `own` (its project's objects), `all` (every project's) or nothing. */
type Rights = Partial<Record<'read' | 'write' | 'quotaRead' | 'quotaWrite' | 'admin' | 'memberList', 'own' | 'all'>>;
const MEMBER: Rights = { read: 'own', write: 'own', quotaRead: 'own', memberList: 'own' };
const READER: Rights = { read: 'own', quotaRead: 'own', memberList: 'own' };
const ADMIN: Rights = { read: 'all', write: 'all', quotaRead: 'all', quotaWrite: 'all', admin: 'all', memberList: 'all' };

type Actor = Readonly<{ name: string; project: 'A' | 'B' | 'other' | null; legacy: Rights | null; current: Rights | null }>;
/** null rights = not authenticated (401). */
const ACTORS: Record<string, Actor> = {
  'none': { name: 'none', project: null, legacy: null, current: null },
  'a-reader': { name: 'a-reader', project: 'A', legacy: READER, current: READER },
  'a-member': { name: 'a-member', project: 'A', legacy: MEMBER, current: MEMBER },
  'b-member': { name: 'b-member', project: 'B', legacy: MEMBER, current: MEMBER },
  'a-lb-member': { name: 'a-lb-member (legacy role)', project: 'A', legacy: MEMBER, current: {} },
  'a-lb-observer': { name: 'a-lb-observer (legacy role)', project: 'A', legacy: READER, current: {} },
  'a-lb-global-observer': { name: 'a-lb-global-observer (legacy role)', project: 'A', legacy: { read: 'all', quotaRead: 'all', memberList: 'all' }, current: {} },
  'a-lb-quota-admin': { name: 'a-lb-quota-admin (legacy role)', project: 'A', legacy: { quotaRead: 'all', quotaWrite: 'all' }, current: {} },
  'admin': { name: 'admin', project: 'other', legacy: ADMIN, current: ADMIN },
  'service': { name: 'service', project: 'other', legacy: { memberList: 'all' }, current: { memberList: 'all' } },
  'system-admin': { name: 'system-scoped admin', project: null, legacy: ADMIN, current: {} },
};

/** The kind of right a route needs, and whether its path names project A's object. */
type Kind = 'open' | 'read' | 'write' | 'quotaRead' | 'quotaWrite' | 'admin' | 'memberList';
type Outcome = 'allow' | 401 | 403 | 404;

function expected(kind: Kind, ofA: boolean, actor: Actor, mode: 'legacy' | 'new'): Outcome {
  if (kind === 'open') return 'allow';
  const rights = mode === 'legacy' ? actor.legacy : actor.current;
  if (rights === null) return 401;
  const r = rights[kind] ?? (kind === 'memberList' ? rights.read : undefined);
  if (r === 'all') return 'allow';
  if (r === 'own') return !ofA || actor.project === 'A' ? 'allow' : 404;
  return 403;
}

// ---- the endpoints ----

const a: Record<string, string> = {};
type Row = Readonly<{
  route: string; kind: Kind; ofA: boolean; url: () => string; body?: () => unknown;
  /** Makes a fresh object for a route that really deletes it when allowed (secrets, containers); returns the url. */
  fresh?: () => Promise<string>;
}>;
const BOGUS = () => ({ bogus: 1 });
const r = (route: string, kind: Kind, ofA: boolean, url: () => string, body?: () => unknown): Row => ({ route, kind, ofA, url, body });
const L = '/v2/lbaas';
const rows: Row[] = [
  r('GET /', 'open', false, () => '/'),
  r('GET /healthcheck', 'open', false, () => '/healthcheck'),
  r(`GET ${L}/providers`, 'read', false, () => `${L}/providers`),

  r(`GET ${L}/loadbalancers`, 'read', false, () => `${L}/loadbalancers`),
  r(`POST ${L}/loadbalancers`, 'write', false, () => `${L}/loadbalancers`, BOGUS),
  r(`GET ${L}/loadbalancers/:id`, 'read', true, () => `${L}/loadbalancers/${a.lb}`),
  r(`PUT ${L}/loadbalancers/:id`, 'write', true, () => `${L}/loadbalancers/${a.lb}`, () => ({ loadbalancer: { name: 'x' } })),
  r(`DELETE ${L}/loadbalancers/:id`, 'write', true, () => `${L}/loadbalancers/${a.lb}`),
  r(`GET ${L}/loadbalancers/:id/status`, 'read', true, () => `${L}/loadbalancers/${a.lb}/status`),
  r(`GET ${L}/loadbalancers/:id/stats`, 'read', true, () => `${L}/loadbalancers/${a.lb}/stats`),
  r(`GET ${L}/loadbalancers/:id/history`, 'read', true, () => `${L}/loadbalancers/${a.lb}/history`),
  r(`PUT ${L}/loadbalancers/:id/failover`, 'admin', true, () => `${L}/loadbalancers/${a.lb}/failover`),
  r(`GET ${L}/loadbalancers/:id/loadbalancer-hosting-agent`, 'admin', true, () => `${L}/loadbalancers/${a.lb}/loadbalancer-hosting-agent`),

  r(`GET ${L}/listeners`, 'read', false, () => `${L}/listeners`),
  r(`POST ${L}/listeners`, 'write', false, () => `${L}/listeners`, BOGUS),
  r(`GET ${L}/listeners/:id`, 'read', true, () => `${L}/listeners/${a.listener}`),
  r(`PUT ${L}/listeners/:id`, 'write', true, () => `${L}/listeners/${a.listener}`, () => ({ listener: { name: 'x' } })),
  r(`DELETE ${L}/listeners/:id`, 'write', true, () => `${L}/listeners/${a.listener}`),
  r(`GET ${L}/listeners/:id/stats`, 'read', true, () => `${L}/listeners/${a.listener}/stats`),

  r(`GET ${L}/pools`, 'read', false, () => `${L}/pools`),
  r(`POST ${L}/pools`, 'write', false, () => `${L}/pools`, BOGUS),
  r(`GET ${L}/pools/:id`, 'read', true, () => `${L}/pools/${a.pool}`),
  r(`PUT ${L}/pools/:id`, 'write', true, () => `${L}/pools/${a.pool}`, () => ({ pool: { name: 'x' } })),
  r(`DELETE ${L}/pools/:id`, 'write', true, () => `${L}/pools/${a.pool}`),

  r(`GET ${L}/pools/:poolId/members`, 'memberList', true, () => `${L}/pools/${a.pool}/members`),
  r(`POST ${L}/pools/:poolId/members`, 'write', true, () => `${L}/pools/${a.pool}/members`, () => ({ member: { address: '198.51.100.99', protocol_port: 80 } })),
  r(`PUT ${L}/pools/:poolId/members`, 'write', true, () => `${L}/pools/${a.pool}/members`, () => ({ members: [] })),
  r(`GET ${L}/pools/:poolId/members/:id`, 'read', true, () => `${L}/pools/${a.pool}/members/${a.member}`),
  r(`PUT ${L}/pools/:poolId/members/:id`, 'write', true, () => `${L}/pools/${a.pool}/members/${a.member}`, () => ({ member: { weight: 2 } })),
  r(`DELETE ${L}/pools/:poolId/members/:id`, 'write', true, () => `${L}/pools/${a.pool}/members/${a.member}`),

  r(`GET ${L}/healthmonitors`, 'read', false, () => `${L}/healthmonitors`),
  r(`POST ${L}/healthmonitors`, 'write', false, () => `${L}/healthmonitors`, BOGUS),
  r(`GET ${L}/healthmonitors/:id`, 'read', true, () => `${L}/healthmonitors/${a.hm}`),
  r(`PUT ${L}/healthmonitors/:id`, 'write', true, () => `${L}/healthmonitors/${a.hm}`, () => ({ healthmonitor: { delay: 9 } })),
  r(`DELETE ${L}/healthmonitors/:id`, 'write', true, () => `${L}/healthmonitors/${a.hm}`),

  r(`GET ${L}/l7policies`, 'read', false, () => `${L}/l7policies`),
  r(`POST ${L}/l7policies`, 'write', false, () => `${L}/l7policies`, BOGUS),
  r(`GET ${L}/l7policies/:id`, 'read', true, () => `${L}/l7policies/${a.policy}`),
  r(`PUT ${L}/l7policies/:id`, 'write', true, () => `${L}/l7policies/${a.policy}`, () => ({ l7policy: { name: 'x' } })),
  r(`DELETE ${L}/l7policies/:id`, 'write', true, () => `${L}/l7policies/${a.policy}`),
  r(`GET ${L}/l7policies/:policyId/rules`, 'read', true, () => `${L}/l7policies/${a.policy}/rules`),
  r(`POST ${L}/l7policies/:policyId/rules`, 'write', true, () => `${L}/l7policies/${a.policy}/rules`, () => ({ rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/q' } })),
  r(`GET ${L}/l7policies/:policyId/rules/:id`, 'read', true, () => `${L}/l7policies/${a.policy}/rules/${a.rule}`),
  r(`PUT ${L}/l7policies/:policyId/rules/:id`, 'write', true, () => `${L}/l7policies/${a.policy}/rules/${a.rule}`, () => ({ rule: { value: '/y' } })),
  r(`DELETE ${L}/l7policies/:policyId/rules/:id`, 'write', true, () => `${L}/l7policies/${a.policy}/rules/${a.rule}`),

  r(`GET ${L}/quotas`, 'quotaRead', false, () => `${L}/quotas`),
  r(`GET ${L}/quotas/defaults`, 'quotaRead', false, () => `${L}/quotas/defaults`),
  r(`GET ${L}/quotas/:projectId`, 'quotaRead', true, () => `${L}/quotas/${a.project}`),
  r(`PUT ${L}/quotas/:projectId`, 'quotaWrite', true, () => `${L}/quotas/${a.project}`, BOGUS),
  r(`DELETE ${L}/quotas/:projectId`, 'quotaWrite', true, () => `${L}/quotas/${a.project}`),

  r('GET /v2.0/networks', 'read', false, () => '/v2.0/networks'),
  r('POST /v2.0/networks', 'admin', false, () => '/v2.0/networks', BOGUS),
  r('GET /v2.0/networks/:id', 'read', true, () => `/v2.0/networks/${a.network}`),
  r('DELETE /v2.0/networks/:id', 'admin', true, () => `/v2.0/networks/${a.network}`),
  r('GET /v2.0/subnets', 'read', false, () => '/v2.0/subnets'),
  r('POST /v2.0/subnets', 'write', false, () => '/v2.0/subnets', BOGUS),
  r('GET /v2.0/subnets/:id', 'read', true, () => `/v2.0/subnets/${a.subnet}`),
  r('DELETE /v2.0/subnets/:id', 'write', true, () => `/v2.0/subnets/${a.subnet}`),
  r('GET /v2.0/ports', 'read', false, () => '/v2.0/ports'),
  r('GET /v2.0/ports/:id', 'read', true, () => `/v2.0/ports/${a.port}`),
  r('GET /v2.0/agents', 'admin', false, () => '/v2.0/agents'),
  r('GET /v2.0/agents/:id', 'admin', false, () => '/v2.0/agents/agent-policy'),
  r('PUT /v2.0/agents/:id', 'admin', false, () => '/v2.0/agents/agent-policy', () => ({ agent: { admin_state_up: 'maybe' } })),
  r('GET /v2.0/agents/:id/agent-loadbalancers', 'admin', false, () => '/v2.0/agents/agent-policy/agent-loadbalancers'),

  r('POST /v1/secrets', 'write', false, () => '/v1/secrets', BOGUS),
  r('GET /v1/secrets/:id', 'read', true, () => `/v1/secrets/${a.secret}`),
  r('GET /v1/secrets/:id/payload', 'write', true, () => `/v1/secrets/${a.secret}/payload`),
  { ...r('DELETE /v1/secrets/:id', 'write', true, () => ''), fresh: async () => `/v1/secrets/${await freshSecret()}` },
  r('POST /v1/containers', 'write', false, () => '/v1/containers', BOGUS),
  r('GET /v1/containers/:id', 'read', true, () => `/v1/containers/${a.container}`),
  { ...r('DELETE /v1/containers/:id', 'write', true, () => ''), fresh: async () => `/v1/containers/${await freshContainer()}` },

  r(`GET ${L}/providers/:provider/flavor_capabilities`, 'admin', false, () => `${L}/providers/lbaas/flavor_capabilities`),
  r(`GET ${L}/providers/:provider/availability_zone_capabilities`, 'admin', false, () => `${L}/providers/lbaas/availability_zone_capabilities`),
  r(`GET ${L}/flavors`, 'read', false, () => `${L}/flavors`),
  r(`POST ${L}/flavors`, 'admin', false, () => `${L}/flavors`, BOGUS),
  r(`GET ${L}/flavors/:id`, 'read', false, () => `${L}/flavors/${a.flavor}`),
  r(`PUT ${L}/flavors/:id`, 'admin', false, () => `${L}/flavors/${a.flavor}`, BOGUS),
  { ...r(`DELETE ${L}/flavors/:id`, 'admin', false, () => ''), fresh: async () => `${L}/flavors/${await freshFlavor()}` },
  r(`GET ${L}/flavorprofiles`, 'admin', false, () => `${L}/flavorprofiles`),
  r(`POST ${L}/flavorprofiles`, 'admin', false, () => `${L}/flavorprofiles`, BOGUS),
  r(`GET ${L}/flavorprofiles/:id`, 'admin', false, () => `${L}/flavorprofiles/${a.flavorProfile}`),
  r(`PUT ${L}/flavorprofiles/:id`, 'admin', false, () => `${L}/flavorprofiles/${a.flavorProfile}`, BOGUS),
  { ...r(`DELETE ${L}/flavorprofiles/:id`, 'admin', false, () => ''), fresh: async () => `${L}/flavorprofiles/${await freshFlavorProfile()}` },
  r(`GET ${L}/availabilityzones`, 'read', false, () => `${L}/availabilityzones`),
  r(`POST ${L}/availabilityzones`, 'admin', false, () => `${L}/availabilityzones`, BOGUS),
  r(`GET ${L}/availabilityzones/:name`, 'read', false, () => `${L}/availabilityzones/${a.zone}`),
  r(`PUT ${L}/availabilityzones/:name`, 'admin', false, () => `${L}/availabilityzones/${a.zone}`, BOGUS),
  { ...r(`DELETE ${L}/availabilityzones/:name`, 'admin', false, () => ''), fresh: async () => `${L}/availabilityzones/${await freshZone()}` },
  r(`GET ${L}/availabilityzoneprofiles`, 'admin', false, () => `${L}/availabilityzoneprofiles`),
  r(`POST ${L}/availabilityzoneprofiles`, 'admin', false, () => `${L}/availabilityzoneprofiles`, BOGUS),
  r(`GET ${L}/availabilityzoneprofiles/:id`, 'admin', false, () => `${L}/availabilityzoneprofiles/${a.zoneProfile}`),
  r(`PUT ${L}/availabilityzoneprofiles/:id`, 'admin', false, () => `${L}/availabilityzoneprofiles/${a.zoneProfile}`, BOGUS),
  { ...r(`DELETE ${L}/availabilityzoneprofiles/:id`, 'admin', false, () => ''), fresh: async () => `${L}/availabilityzoneprofiles/${await freshZoneProfile()}` },
  r('GET /v2.0/octavia/amphorae', 'admin', false, () => '/v2.0/octavia/amphorae'),
  r('GET /v2.0/octavia/amphorae/:id', 'admin', false, () => `/v2.0/octavia/amphorae/${a.amphora}`),
  r('PUT /v2.0/octavia/amphorae/:id/failover', 'admin', false, () => `/v2.0/octavia/amphorae/${a.amphora}/failover`),
  r('PUT /v2.0/octavia/amphorae/:id/config', 'admin', false, () => `/v2.0/octavia/amphorae/${a.amphora}/config`),
  r('GET /v2.0/octavia/amphorae/:id/stats', 'admin', false, () => `/v2.0/octavia/amphorae/${a.amphora}/stats`),

  r('GET /projects/:id', 'read', false, () => `/projects/${a.project}`),
  r('GET /projects', 'read', false, () => `/projects?name=${a.project}`),
];

// ---- identities ----

const tokens = new Map<string, string>();
const keystoneHeaders = async (actor: string): Promise<Record<string, string>> => {
  if (actor === 'none') return {};
  if (!tokens.has(actor)) {
    const t = actor === 'service' ? await ks.token('lbaas')
      : actor === 'system-admin' ? (await ks.issue('admin', 'system')).token
        : await ks.token(actor as TestKeystoneUserName);
    tokens.set(actor, t);
  }
  return { 'x-auth-token': tokens.get(actor) as string };
};

const ISS = 'https://idp.example.org/realms/lbaas', AUD = 'lbaas-api';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
let jwks: Server;
const jwtHeaders = async (roles: string[] | null, project: string): Promise<Record<string, string>> => {
  if (roles === null) return {};
  const jwt = await new SignJWT({ project_id: project, roles, preferred_username: `jwt-${roles.join('-')}` })
    .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISS).setAudience(AUD).setSubject(`user-${roles.join('-')}`)
    .setIssuedAt().setExpirationTime('10m').setJti(`jti-${Math.random()}`).sign(rsa.privateKey);
  return { authorization: `Bearer ${jwt}` };
};

let legacyApi: ApiHarness['api'], jwtApi: ApiHarness['api'], noauthApi: ApiHarness['api'];
let asA: (method: string, url: string, body?: unknown) => Promise<Reply>;

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';
const freshSecret = async () => (await asA('POST', '/v1/secrets', { name: 's', payload: PEM + KEY })).body.secret_ref.split('/').at(-1) as string;
/** Operator objects (flavors, zones and their profiles), made fresh by the admin for rows that really delete them. */
let asAdmin: (method: string, url: string, body?: unknown) => Promise<Reply>;
const freshFlavorProfile = async () => (await asAdmin('POST', `${L}/flavorprofiles`, { flavorprofile: { name: 'p', provider_name: 'lbaas', flavor_data: '{}' } })).body.flavorprofile.id as string;
const freshFlavor = async () => (await asAdmin('POST', `${L}/flavors`, { flavor: { name: `f-${randomUUID()}`, flavor_profile_id: a.flavorProfile } })).body.flavor.id as string;
const freshZoneProfile = async () => (await asAdmin('POST', `${L}/availabilityzoneprofiles`, { availability_zone_profile: { name: 'z', provider_name: 'lbaas', availability_zone_data: '{}' } })).body.availability_zone_profile.id as string;
const freshZone = async () => {
  const name = `az-${randomUUID()}`;
  await asAdmin('POST', `${L}/availabilityzones`, { availability_zone: { name, availability_zone_profile_id: a.zoneProfile } });
  return name;
};
const freshContainer = async () => {
  const cert = (await asA('POST', '/v1/secrets', { name: 'c', payload: PEM })).body.secret_ref;
  return (await asA('POST', '/v1/containers', { type: 'certificate', secret_refs: [{ name: 'certificate', secret_ref: cert }] })).body.container_ref.split('/').at(-1) as string;
};

beforeAll(async () => {
  jwks = createServer((_req, res) => {
    void exportJWK(rsa.publicKey).then((k) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [{ ...k, kid: 'k1', alg: 'RS256', use: 'sig' }] })));
  });
  await new Promise<void>((res) => jwks.listen(0, '127.0.0.1', res));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
  legacyApi = (await h.startApp(keystoneEnv(ks, { ...NO_BUDGET, POLICY_MODE: 'legacy' }))).api;
  jwtApi = (await h.startApp({ ...NO_BUDGET, AUTH_STRATEGY: 'jwt', JWT_JWKS_URL: jwksUrl, JWT_ISSUER: ISS, JWT_AUDIENCE: AUD, JWT_ALGORITHMS: 'RS256' })).api;
  noauthApi = (await h.startApp({})).api;

  const admin = await keystoneHeaders('admin');
  const member = await keystoneHeaders('a-member');
  asA = (method, url, body) => h.api(method, url, body, member);
  const ok = async (who: Record<string, string>, method: string, url: string, body: unknown, status = 201): Promise<any> => {
    const res = await h.api(method, url, body, who);
    if (res.status !== status) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  a.project = ks.projects.A.id;
  a.network = (await ok(admin, 'POST', '/v2.0/networks', { network: { name: 'a-net', 'provider:physical_network': 'physnet1', project_id: a.project } })).network.id;
  a.subnet = (await ok(member, 'POST', '/v2.0/subnets', { subnet: { network_id: a.network, cidr: '198.51.100.0/24' } })).subnet.id;
  const lb = (await ok(member, 'POST', `${L}/loadbalancers`, { loadbalancer: { name: 'a-lb', vip_subnet_id: a.subnet } })).loadbalancer;
  a.lb = lb.id;
  a.port = lb.vip_port_id;
  await h.converge(a.lb);
  a.listener = (await ok(member, 'POST', `${L}/listeners`, { listener: { loadbalancer_id: a.lb, protocol: 'HTTP', protocol_port: 80 } })).listener.id;
  await h.converge(a.lb);
  a.pool = (await ok(member, 'POST', `${L}/pools`, { pool: { listener_id: a.listener, protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN' } })).pool.id;
  await h.converge(a.lb);
  a.member = (await ok(member, 'POST', `${L}/pools/${a.pool}/members`, { member: { address: '198.51.100.20', protocol_port: 80 } })).member.id;
  await h.converge(a.lb);
  a.hm = (await ok(member, 'POST', `${L}/healthmonitors`, { healthmonitor: { pool_id: a.pool, type: 'TCP', delay: 5, timeout: 3, max_retries: 3 } })).healthmonitor.id;
  await h.converge(a.lb);
  a.policy = (await ok(member, 'POST', `${L}/l7policies`, { l7policy: { listener_id: a.listener, action: 'REJECT' } })).l7policy.id;
  await h.converge(a.lb);
  a.rule = (await ok(member, 'POST', `${L}/l7policies/${a.policy}/rules`, { rule: { type: 'PATH', compare_type: 'STARTS_WITH', value: '/x' } })).rule.id;
  await h.converge(a.lb);
  a.secret = await freshSecret();
  a.container = await freshContainer();
  asAdmin = (method, url, body) => h.api(method, url, body, admin);
  a.flavorProfile = await freshFlavorProfile();
  a.flavor = await freshFlavor();
  a.zoneProfile = await freshZoneProfile();
  a.zone = await freshZone();
  // An amphora whose load balancer is being deleted: config and failover answer 409 without asking an agent.
  const amp = (await ok(member, 'POST', `${L}/loadbalancers`, { loadbalancer: { name: 'a-amp', vip_subnet_id: a.subnet } })).loadbalancer;
  await h.converge(amp.id);
  a.amphora = (await ok(admin, 'GET', `/v2/octavia/amphorae?loadbalancer_id=${amp.id}`, undefined, 200)).amphorae[0].id;
  await ok(member, 'DELETE', `${L}/loadbalancers/${amp.id}`, undefined, 204);
  await ok(admin, 'PUT', `${L}/quotas/${a.project}`, { quota: { pool: 50 } }, 202);
  // Left PENDING_UPDATE: every allowed write on the tree is a 409 from here on, and changes nothing.
  await ok(member, 'PUT', `${L}/loadbalancers/${a.lb}`, { loadbalancer: { description: 'pending' } }, 200);
}, 120_000);

afterAll(async () => { await new Promise<void>((res) => jwks?.close(() => res())); });

const outcomeOf = (status: number): Outcome | number => ([401, 403, 404].includes(status) ? (status as Outcome) : status < 500 && status !== 429 ? 'allow' : status);

async function check(api: ApiHarness['api'], headers: Record<string, string>, row: Row, want: Outcome): Promise<string | null> {
  const url = row.fresh ? await row.fresh() : row.url();
  const method = row.route.split(' ')[0];
  const writes = method !== 'GET';
  const before = writes && want !== 'allow' ? await h.lastSeq() : 0;
  const res = await api(method, url, row.body?.(), headers);
  const got = outcomeOf(res.status);
  const problems: string[] = [];
  if (got !== want) problems.push(`got ${res.status} ${res.raw.slice(0, 160)}`);
  if (want !== 'allow' && typeof res.body === 'object' && res.body !== null && !('faultstring' in res.body) && !('description' in res.body)) {
    problems.push(`not the API's error body: ${res.raw.slice(0, 160)}`);
  }
  if (want === 401 && !res.headers['www-authenticate']) problems.push('401 without WWW-Authenticate');
  if (writes && want !== 'allow' && (await h.lastSeq()) !== before) problems.push('a refused request wrote to the stream');
  return problems.length ? `${row.route} → want ${want}: ${problems.join('; ')}` : null;
}

describe('every endpoint × actor × mode, with real tokens', () => {
  it('has a row for every registered route (add one here for a new route)', () => {
    const covered = new Set(rows.map((row) => row.route));
    const handlers = new Map<string, string[]>();
    for (const route of registeredRoutes(h.app)) handlers.set(route.handler, [...(handlers.get(route.handler) ?? []), `${route.method} ${route.path}`]);
    const missing = [...handlers].filter(([, routes]) => !routes.some((x) => covered.has(x))).map(([handler, routes]) => `${handler}: ${routes[0]}`);
    expect(missing).toEqual([]);
    const unknown = [...covered].filter((x) => ![...handlers.values()].some((routes) => routes.includes(x)));
    expect(unknown).toEqual([]);
  });

  describe.each(['new', 'legacy'] as const)('keystone, POLICY_MODE=%s', (mode) => {
    it.each(Object.keys(ACTORS))('%s', async (actorKey) => {
      const api = mode === 'new' ? h.api : legacyApi;
      const actor = ACTORS[actorKey];
      const headers = await keystoneHeaders(actorKey);
      const problems: string[] = [];
      for (const row of rows) {
        const p = await check(api, headers, row, expected(row.kind, row.ofA, actor, mode));
        if (p) problems.push(p);
      }
      expect(problems).toEqual([]);
    });
  });

  describe('jwt (a gateway\'s bearer tokens from a local JWKS), POLICY_MODE=new', () => {
    const jwtActors: [string, string[] | null, 'A' | 'B' | 'other'][] = [
      ['none', null, 'A'], ['a-reader', ['reader'], 'A'], ['a-member', ['member'], 'A'], ['b-member', ['member'], 'B'],
      ['a-lb-member', ['load-balancer_member'], 'A'], ['admin', ['admin'], 'other'], ['service', ['service'], 'other'],
    ];
    it.each(jwtActors)('%s', async (actorKey, roles, project) => {
      const projectId = project === 'A' ? ks.projects.A.id : project === 'B' ? ks.projects.B.id : 'gateway-admins';
      const problems: string[] = [];
      for (const row of rows) {
        const p = await check(jwtApi, await jwtHeaders(roles, projectId), row, expected(row.kind, row.ofA, ACTORS[actorKey], 'new'));
        if (p) problems.push(p);
      }
      expect(problems).toEqual([]);
    });
  });

  describe('noauth: every caller is admin, whatever its headers say (Octavia\'s noauth)', () => {
    it.each([['no headers', {}], ['X-Project-Id of B with X-Roles: reader', { 'x-project-id': 'proj-b', 'x-roles': 'reader' }]] as const)('%s', async (_n, headers) => {
      const problems: string[] = [];
      for (const row of rows) {
        const p = await check(noauthApi, headers, row, 'allow');
        if (p) problems.push(p);
      }
      expect(problems).toEqual([]);
    });
  });
});
