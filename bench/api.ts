/**
 * API benchmark (issue 3): how fast the control plane accepts work, with nothing but nats-server and the api process
 * (no agents: trees stay PENDING_CREATE, which is fine for these numbers).
 *   node bench/run.js bench/api.ts [creates=1000] [fleet=10000]
 *   - LB-tree creation through Octavia's graph create (LB, HTTP listener, pool, two members, HTTP monitor: one POST,
 *     one commit), with 1 and with 16 concurrent clients: requests per second, p50/p99 latency
 *   - GET /v2/lbaas/loadbalancers?name=<one> with `fleet` load balancers stored: requests per second, p50/p99
 * Prints the figures and writes bench/reports/api-<time>.json. (Octavia's API does about 20-30 LB creates per second.)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bootstrapNats, freePort, startAppProcess, startNatsServer } from '@lbaas/testing';

const creates = Number(process.argv[2] ?? 1000);
const fleet = Number(process.argv[3] ?? 10000);
const ROOT = resolve(__dirname, '..');

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] * 100) / 100;
};

async function main(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'lbaas-bench-api-'));
  const nats = await startNatsServer();
  await bootstrapNats(nats.url);
  const port = await freePort();
  const api = await startAppProcess({
    name: 'api', command: [process.execPath, ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), join(ROOT, 'apps/api/dist/main.js')], logFile: join(home, 'api.log'), startTimeoutMs: 60_000,
    env: { NATS_URL: nats.url, API_HOST: '127.0.0.1', API_PORT: String(port), DEFAULT_PROJECT_ID: 'bench', LOG_LEVEL: 'info' },
  });
  const base = `http://127.0.0.1:${port}`;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  try {
    const net = (await call('POST', '/v2.0/networks', { network: { name: 'bench', 'provider:physical_network': 'physnet-bench' } })).body.network.id;
    const subnet = (await call('POST', '/v2.0/subnets', { subnet: { network_id: net, cidr: '10.64.0.0/14', gateway_ip: '10.64.0.1', ip_version: 4 } })).body.subnet.id;
    let n = 0;
    const tree = () => ({
      loadbalancer: {
        name: `bench-${n++}`, vip_subnet_id: subnet,
        listeners: [{
          name: 'http', protocol: 'HTTP', protocol_port: 80,
          default_pool: {
            name: 'pool', protocol: 'HTTP', lb_algorithm: 'ROUND_ROBIN',
            members: [{ address: '192.0.2.11', protocol_port: 8080 }, { address: '192.0.2.12', protocol_port: 8080 }],
            healthmonitor: { type: 'HTTP', delay: 5, timeout: 3, max_retries: 3, url_path: '/healthz' },
          },
        }],
      },
    });
    const createOne = async (lat: number[]) => {
      const t0 = performance.now();
      const r = await call('POST', '/v2/lbaas/loadbalancers', tree());
      lat.push(performance.now() - t0);
      if (r.status !== 201) throw new Error(`graph create: ${r.status} ${JSON.stringify(r.body)}`);
    };
    const runCreates = async (clients: number, total: number) => {
      const lat: number[] = [];
      let left = total;
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => { while (left-- > 0) await createOne(lat); }));
      const s = (performance.now() - t0) / 1000;
      return { clients, requests: total, seconds: Math.round(s * 100) / 100, perSecond: Math.round(total / s), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) };
    };
    await runCreates(4, 50); // warm-up (JIT, connections)
    const one = await runCreates(1, creates);
    console.log('graph create, 1 client:', JSON.stringify(one));
    const sixteen = await runCreates(16, creates);
    console.log('graph create, 16 clients:', JSON.stringify(sixteen));
    const have = 50 + 2 * creates;
    if (fleet > have) {
      const t0 = performance.now();
      await runCreates(32, fleet - have);
      console.log(`filled to ${fleet} load balancers in ${Math.round((performance.now() - t0) / 1000)} s`);
    }
    const stored = fleet > have ? fleet : have;
    const lat: number[] = [];
    const queries = 500;
    let left = queries;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (left-- > 0) {
        const name = `bench-${Math.floor(Math.random() * stored)}`;
        const q0 = performance.now();
        const r = await call('GET', `/v2/lbaas/loadbalancers?name=${name}`);
        lat.push(performance.now() - q0);
        if (r.status !== 200 || r.body.loadbalancers.length !== 1) throw new Error(`list by name: ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
      }
    }));
    const s = (performance.now() - t0) / 1000;
    const byName = { loadBalancersStored: stored, clients: 4, requests: queries, perSecond: Math.round(queries / s), p50Ms: pct(lat, 0.5), p99Ms: pct(lat, 0.99) };
    console.log('GET ?name=:', JSON.stringify(byName));
    const report = {
      benchmark: 'api', at: new Date().toISOString(), machine: { cpus: require('node:os').cpus().length, node: process.version },
      graphCreate: { oneClient: one, sixteenClients: sixteen }, listByName: byName,
      tree: 'LB + HTTP listener + pool + 2 members + HTTP monitor, one POST (graph create), one commit',
    };
    mkdirSync(join(__dirname, 'reports'), { recursive: true });
    const file = join(__dirname, 'reports', `api-${report.at.replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2));
    console.log(`report: ${file}`);
  } finally {
    await api.stop();
    await nats.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => { console.error(err); process.exit(1); });
