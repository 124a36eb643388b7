import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memberKey, renderNftRuleset, splitByEngine, type NftModel } from '@lbaas/nft-config';
import { canUseNetns, desiredLb, listener, member, monitor, netnsRunId, pool, sh } from '@lbaas/testing';
import { until } from '../udp.fixtures';
import { checkerScript } from './udp';
import { udpFiles, type UdpStatus } from './udp-checker';

const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: udp-checker.int.spec.ts needs root (a throwaway netns)');

/** In the namespace: a TCP port that accepts, an HTTP server answering 200 on /ok, and one answering 500. */
const SERVERS = `
const net = require('node:net'); const http = require('node:http');
net.createServer((s) => s.end()).listen(7001, '127.0.0.1', () =>
  http.createServer((q, r) => { r.statusCode = q.url === '/ok' ? 200 : 404; r.end(); }).listen(7002, '127.0.0.1', () =>
    http.createServer((q, r) => { r.statusCode = 500; r.end(); }).listen(7003, '127.0.0.1', () => console.log('listening'))));`;

suite('the UDP health checker process (PING, TCP, HTTP; maps follow health)', () => {
  const ns = `tck${netnsRunId()}`;
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-checker-'));
  const children: ChildProcess[] = [];
  const pools = {
    ping: 'a0000000-0000-4000-8000-000000000001', tcp: 'a0000000-0000-4000-8000-000000000002', http: 'a0000000-0000-4000-8000-000000000003',
  };
  const [UP, DOWN] = ['b0000000-0000-4000-8000-00000000000a', 'b0000000-0000-4000-8000-00000000000b'];
  const hm = (type: 'PING' | 'TCP' | 'HTTP') => monitor({ type, delay: 1, timeout: 1, maxRetries: 1, maxRetriesDown: 1, urlPath: '/ok', expectedCodes: '200' });
  const udpPool = (poolId: string, type: 'PING' | 'TCP' | 'HTTP', up: [string, number], down: [string, number]) => pool({
    poolId, protocol: 'UDP', monitor: hm(type),
    members: [
      member({ memberId: UP, address: '10.9.0.1', protocolPort: 53, monitorAddress: up[0], monitorPort: up[1] }),
      member({ memberId: DOWN, address: '10.9.0.2', protocolPort: 53, monitorAddress: down[0], monitorPort: down[1] }),
    ],
  });
  const model = splitByEngine(desiredLb({
    vip: { ...desiredLb().vip, address: '10.9.0.10' },
    listeners: [listener({ protocol: 'UDP', protocolPort: 53, defaultPoolId: pools.tcp })],
    pools: [
      // PING: the loopback answers; 192.0.2.1 has no route here (network unreachable at once).
      udpPool(pools.ping, 'PING', ['127.0.0.1', 1], ['192.0.2.1', 1]),
      udpPool(pools.tcp, 'TCP', ['127.0.0.1', 7001], ['127.0.0.1', 7009]),
      // HTTP: GET /ok expecting 200; the down member's server answers 500.
      udpPool(pools.http, 'HTTP', ['127.0.0.1', 7002], ['127.0.0.1', 7003]),
    ],
  })).nft as NftModel;

  beforeAll(async () => {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const servers = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', SERVERS], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.push(servers);
    await new Promise((resolve) => servers.stdout?.once('data', resolve));
    await sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], renderNftRuleset(model));
    writeFileSync(udpFiles(dir).model, JSON.stringify({ digest: 'd', model }));
    children.push(spawn('ip', ['netns', 'exec', ns, process.execPath, checkerScript(), dir], { stdio: 'ignore' }));
  });

  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await sh('ip', ['netns', 'del', ns]).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('marks each type\'s good target UP and bad target DOWN, and leaves the down ones out of the maps', async () => {
    const status = () => {
      try { return JSON.parse(readFileSync(udpFiles(dir).status, 'utf8')) as UdpStatus; } catch { return null; }
    };
    const all = Object.values(pools).flatMap((p) => [memberKey(p, UP), memberKey(p, DOWN)]);
    const { value, ms } = await until('every member checked', async () => status(), (s) => !!s && all.every((k) => s.members[k]?.checked), 10_000);
    const label = (k: string) => `${Object.entries(pools).find(([, id]) => k.startsWith(id))?.[0]}/${k.endsWith(UP) ? 'good' : 'bad'}`;
    console.log(`checked in ${ms} ms: ${JSON.stringify(Object.fromEntries(Object.entries(value?.members ?? {}).map(([k, v]) => [label(k), `${v.status} ${v.detail}`])))}`);
    for (const p of Object.values(pools)) {
      expect(value?.members[memberKey(p, UP)].status).toBe('UP');
      expect(value?.members[memberKey(p, DOWN)].status).toBe('DOWN');
    }
    const tcpMap = await until('maps updated', () => sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'map', 'inet', 'lbaas_udp', `p4_${pools.tcp}`]),
      (t) => !t.includes('10.9.0.2'), 5000);
    // The live member keeps its own slots and takes the dead one's.
    expect(tcpMap.value).toContain('elements = { 0-511 : 10.9.0.1 . 53, 512-1023 : 10.9.0.1 . 53 }');
  });
});
