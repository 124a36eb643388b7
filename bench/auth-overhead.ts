/**
 * What authentication and policy add to the api benchmark (issue 9): the same workload against three api processes
 * on one nats-server (noauth, keystone with a real Keystone, jwt with a local JWKS endpoint), run in rotation so the
 * three modes share the machine's noise, each mode's caller a member of project A with a warm cache (one token per
 * client, validated once). Then the cost of a cold keystone validation: requests each carrying a token the api has
 * never seen (Keystone asked every time). Needs root and `scripts/install.sh --tests` (Keystone).
 *   node bench/run.js bench/auth-overhead.ts [creates=300] [gets=600] [rounds=3] [cold=200]
 *   - graph create (LB + listener + pool + 2 members + monitor, one POST), 1 and 16 clients
 *   - GET /v2/lbaas/loadbalancers?name=<one>, 4 clients
 *   - keystone cold validation: GET ?name= with a fresh token, 1 and 8 clients
 * Prints the figures and writes bench/reports/auth-overhead-<time>.json.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { exportJWK, SignJWT } from 'jose';
import { bootstrapNats, freePort, startAppProcess, startNatsServer, startTestKeystone, type AppProcess, type TestKeystone } from '@lbaas/testing';

const creates = Number(process.argv[2] ?? 300);
const gets = Number(process.argv[3] ?? 600);
const rounds = Number(process.argv[4] ?? 3);
const coldN = Number(process.argv[5] ?? 200);
const ROOT = resolve(__dirname, '..');
type Mode = 'noauth' | 'keystone' | 'jwt';
const MODES: Mode[] = ['noauth', 'keystone', 'jwt'];

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] * 100) / 100;
};
const sum = (lat: number[], seconds: number) => ({ n: lat.length, perSecond: Math.round(lat.length / seconds), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) });

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'lbaas-bench-auth-'));
  const nats = await startNatsServer();
  await bootstrapNats(nats.url);
  let ks: TestKeystone | undefined;
  const apps: AppProcess[] = [];
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...(await exportJWK(rsa.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
  const jwks = createServer((_q, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => { void (ks?.stop() ?? Promise.resolve()).finally(() => process.exit(130)); });
  try {
    ks = await startTestKeystone();
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks`;
    const pwFile = join(home, 'service-password');
    writeFileSync(pwFile, ks.users.lbaas.password, { mode: 0o600 });
    const envs: Record<Mode, Record<string, string>> = {
      noauth: { DEFAULT_PROJECT_ID: ks.projects.A.id },
      keystone: { AUTH_STRATEGY: 'keystone', KEYSTONE_URL: ks.url, KEYSTONE_SERVICE_PASSWORD_FILE: pwFile },
      jwt: { AUTH_STRATEGY: 'jwt', JWT_JWKS_URL: jwksUrl, JWT_ISSUER: 'https://idp.bench', JWT_AUDIENCE: 'lbaas', JWT_ALGORITHMS: 'RS256' },
    };
    const base = {} as Record<Mode, string>;
    for (const mode of MODES) {
      const port = await freePort();
      apps.push(await startAppProcess({
        name: `api-${mode}`, command: [process.execPath, join(ROOT, 'apps/api/dist/main.js')], logFile: join(home, `api-${mode}.log`), startTimeoutMs: 60_000,
        env: { NATS_URL: nats.url, API_HOST: '127.0.0.1', API_PORT: String(port), LOG_LEVEL: 'info', API_RATE_LIMIT_PER_S: '0', ...envs[mode] },
      }));
      base[mode] = `http://127.0.0.1:${port}`;
    }
    const jwt = () => new SignJWT({ project_id: ks!.projects.A.id, roles: ['member', 'reader'], preferred_username: 'bench' })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer('https://idp.bench').setAudience('lbaas').setSubject('bench')
      .setIssuedAt().setExpirationTime('2h').sign(rsa.privateKey);
    /** One credential per client slot of `mode`, made once and validated in the warm-up: warm while measured. */
    const credentials = new Map<string, Record<string, string>>();
    const credential = async (mode: Mode, slot: number): Promise<Record<string, string>> => {
      const key = `${mode}/${slot}`;
      if (!credentials.has(key)) {
        credentials.set(key, mode === 'keystone' ? { 'x-auth-token': await ks!.token('a-member') } : mode === 'jwt' ? { authorization: `Bearer ${await jwt()}` } : {});
      }
      return credentials.get(key) as Record<string, string>;
    };
    const call = async (mode: Mode, auth: Record<string, string>, method: string, path: string, body?: unknown) => {
      const res = await fetch(base[mode] + path, { method, headers: { 'content-type': 'application/json', ...auth }, body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : null };
    };

    // The operator's shared network, through noauth (every caller is admin there).
    const net = (await call('noauth', {}, 'POST', '/v2.0/networks', { network: { name: 'bench', 'provider:physical_network': 'physnet-bench', shared: true } })).body.network.id;
    const subnet = (await call('noauth', {}, 'POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.64.0.0/14', gateway_ip: '10.64.0.1' } })).body.subnet.id;
    let n = 0;
    const names: string[] = [];
    const tree = () => {
      const name = `bench-${n++}`;
      names.push(name);
      return {
        loadbalancer: {
          name, vip_subnet_id: subnet,
          listeners: [{
            name: 'http', protocol: 'HTTP', protocol_port: 80,
            default_pool: {
              name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
              members: [{ address: '192.0.2.11', protocol_port: 8080 }, { address: '192.0.2.12', protocol_port: 8080 }],
              healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/healthz' },
            },
          }],
        },
      };
    };
    const run = async (mode: Mode, clients: number, total: number, one: (auth: Record<string, string>) => Promise<void>, lat: number[]) => {
      let left = total;
      const auths = await Promise.all(Array.from({ length: clients }, (_, slot) => credential(mode, slot)));
      const t0 = performance.now();
      await Promise.all(auths.map(async (auth) => {
        while (left-- > 0) {
          const q0 = performance.now();
          await one(auth);
          lat.push(performance.now() - q0);
        }
      }));
      return (performance.now() - t0) / 1000;
    };
    const createOne = (mode: Mode) => async (auth: Record<string, string>) => {
      const r = await call(mode, auth, 'POST', '/v2/lbaas/loadbalancers', tree());
      if (r.status !== 201) throw new Error(`${mode} graph create: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const getOne = (mode: Mode) => async (auth: Record<string, string>) => {
      const r = await call(mode, auth, 'GET', `/v2/lbaas/loadbalancers?name=${names[Math.floor(Math.random() * names.length)]}`);
      if (r.status !== 200 || r.body.loadbalancers.length !== 1) throw new Error(`${mode} list by name: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    };

    // Warm-up: JIT, connections, the service token, the JWKS fetch, and every client slot's token validated once.
    for (const mode of MODES) await run(mode, 16, 48, createOne(mode), []);
    const workloads: { key: string; clients: number; total: number; op: (m: Mode) => (a: Record<string, string>) => Promise<void> }[] = [
      { key: 'graphCreate1', clients: 1, total: Math.ceil(creates / rounds), op: createOne },
      { key: 'graphCreate16', clients: 16, total: Math.ceil(creates / rounds), op: createOne },
      { key: 'listByName4', clients: 4, total: Math.ceil(gets / rounds), op: getOne },
    ];
    const results: Record<string, Record<Mode, ReturnType<typeof sum>>> = {};
    for (const w of workloads) {
      const lat = { noauth: [], keystone: [], jwt: [] } as Record<Mode, number[]>;
      const secs = { noauth: 0, keystone: 0, jwt: 0 } as Record<Mode, number>;
      for (let r = 0; r < rounds; r++) for (const mode of r % 2 ? [...MODES].reverse() : MODES) secs[mode] += await run(mode, w.clients, w.total, w.op(mode), lat[mode]);
      results[w.key] = Object.fromEntries(MODES.map((m) => [m, sum(lat[m], secs[m])])) as Record<Mode, ReturnType<typeof sum>>;
      const r = results[w.key];
      console.log(`${w.key}:`, JSON.stringify(r));
      console.log(`  added p50/p99 ms: keystone +${(r.keystone.p50Ms - r.noauth.p50Ms).toFixed(2)}/+${(r.keystone.p99Ms - r.noauth.p99Ms).toFixed(2)}, jwt +${(r.jwt.p50Ms - r.noauth.p50Ms).toFixed(2)}/+${(r.jwt.p99Ms - r.noauth.p99Ms).toFixed(2)}`);
    }

    // Cold keystone validation: every request's token is new to the api (issued up front).
    const fresh: string[] = [];
    for (let i = 0; i < coldN; i++) fresh.push(await ks.token(i % 2 ? 'a-member' : 'a-reader'));
    const cold = async (clients: number, tokens: string[]) => {
      const lat: number[] = [];
      let i = 0;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        for (let t = tokens[i++]; t !== undefined; t = tokens[i++]) {
          const q0 = performance.now();
          const r = await call('keystone', { 'x-auth-token': t }, 'GET', `/v2/lbaas/loadbalancers?name=${names[0]}`);
          lat.push(performance.now() - q0);
          if (r.status !== 200) throw new Error(`cold: ${r.status}`);
        }
      }));
      return sum(lat, (performance.now() - t0) / 1000);
    };
    const cold1 = await cold(1, fresh.slice(0, coldN / 2));
    const cold8 = await cold(8, fresh.slice(coldN / 2));
    console.log('keystone cold validation (GET ?name= with a new token), 1 client:', JSON.stringify(cold1), ' 8 clients:', JSON.stringify(cold8));
    const report = {
      benchmark: 'auth-overhead', at: new Date().toISOString(), machine: { cpus: cpus().length, node: process.version },
      rounds, ...results, keystoneCold: { oneClient: cold1, eightClients: cold8 },
      note: 'warm = one token per client, validated once (keystone: cached by its sha256; jwt: RS256 verified every request, JWKS cached)',
    };
    mkdirSync(join(__dirname, 'reports'), { recursive: true });
    const file = join(__dirname, 'reports', `auth-overhead-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`report: ${file}`);
  } finally {
    for (const a of apps) await a.stop();
    await ks?.stop();
    jwks.close();
    await nats.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
