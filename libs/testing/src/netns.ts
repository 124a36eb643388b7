import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Network-namespace helpers for integration and end-to-end tests (root only). Everything lives in namespaces and
 * links the test creates, with names from `netnsRunId()`; the root namespace gets a bridge but no addresses or routes.
 */

/** Runs a program (no shell) and resolves with stdout; rejects with stderr. */
export function sh(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err.trim()}`))));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** True when the process can create namespaces (root); netns suites skip loudly otherwise. */
export const canUseNetns = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** A short random id (6 hex) for unique namespace, bridge and link names per test run (link names are ≤ 15 chars). */
export const netnsRunId = (): string => randomBytes(3).toString('hex');

/** Creates a Linux bridge in the root namespace (no address), up. */
export async function createBridge(name: string): Promise<void> {
  await sh('ip', ['link', 'add', name, 'type', 'bridge']);
  await sh('ip', ['link', 'set', name, 'up']);
}

/**
 * Creates namespace `netns` with `eth0` at `cidr` (e.g. 10.231.7.11/24), its peer `hostIf` (≤ 15 chars) joined to `bridge`.
 * `gateway` adds a default route (optional).
 */
export async function createNetnsOnBridge(o: { netns: string; bridge: string; hostIf: string; cidr: string; gateway?: string }): Promise<void> {
  await sh('ip', ['netns', 'add', o.netns]);
  await sh('ip', ['link', 'add', o.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', o.netns]);
  await sh('ip', ['link', 'set', o.hostIf, 'master', o.bridge, 'up']);
  await sh('ip', ['-n', o.netns, '-batch', '-'], [
    'link set lo up', 'link set eth0 up', `addr add ${o.cidr} dev eth0`, ...(o.gateway ? [`route add default via ${o.gateway}`] : []),
  ].join('\n') + '\n');
}

/** Deletes namespaces and links, ignoring what is already gone (afterAll). */
export async function removeNetns(...names: string[]): Promise<void> {
  for (const n of names) await sh('ip', ['netns', 'del', n]).catch(() => undefined);
}
export async function removeLinks(...names: string[]): Promise<void> {
  for (const n of names) await sh('ip', ['link', 'del', n]).catch(() => undefined);
}

/** True when `pid` has exited (a zombie waiting for init to reap it counts as exited). */
export function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** A process started inside a namespace; `stop()` kills it and waits. */
export type NetnsProcess = { child: ChildProcess; stop(): Promise<void> };

function spawnInNetns(netns: string, script: string, args: string[] = []): ChildProcess {
  return spawn('ip', ['netns', 'exec', netns, process.execPath, '-e', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
const stopper = (child: ChildProcess) => () => new Promise<void>((resolve) => {
  if (child.exitCode !== null || child.signalCode !== null) return resolve();
  child.once('exit', () => resolve());
  child.kill('SIGTERM');
});

const SERVER = `
const http = require('node:http');
const [name, port] = process.argv.slice(1);
http.createServer((req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(name + ' xff=' + (req.headers['x-forwarded-for'] || '') + ' src=' + req.socket.remoteAddress + '\\n');
}).listen(Number(port), '0.0.0.0', () => console.log('listening'));`;

/** A tiny HTTP server inside `netns` that answers `<name> xff=<X-Forwarded-For> src=<peer>`; resolves once it listens. */
export async function startHttpServer(netns: string, name: string, port: number): Promise<NetnsProcess> {
  const child = spawnInNetns(netns, SERVER, [name, String(port)]);
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`http server ${name} in ${netns} exited ${code}`)));
  });
  return { child, stop: stopper(child) };
}

const GET = `
const http = require('node:http');
const [url, timeout] = process.argv.slice(1);
const req = http.get(url, { timeout: Number(timeout), agent: false }, (res) => {
  let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => { console.log(JSON.stringify({ status: res.statusCode, body })); });
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (e) => { console.log(JSON.stringify({ status: 0, body: String(e.message) })); });`;

/** One HTTP GET from inside `netns` (status 0 on a connection error or timeout). */
export async function httpGetFromNetns(netns: string, url: string, timeoutMs = 2000): Promise<{ status: number; body: string }> {
  const out = await sh('ip', ['netns', 'exec', netns, process.execPath, '-e', GET, url, String(timeoutMs)]);
  return JSON.parse(out.trim()) as { status: number; body: string };
}

/** Polls `httpGetFromNetns` until `ok` holds; returns the last answer and how long it took. */
export async function waitForHttp(netns: string, url: string, ok: (r: { status: number; body: string }) => boolean, timeoutMs = 15_000) {
  const t0 = Date.now();
  for (;;) {
    const r = await httpGetFromNetns(netns, url, 1000);
    if (ok(r)) return { ...r, ms: Date.now() - t0 };
    if (Date.now() - t0 > timeoutMs) throw new Error(`no matching answer from ${url} in ${netns} within ${timeoutMs} ms; last: ${JSON.stringify(r)}`);
    await new Promise((r2) => setTimeout(r2, 100));
  }
}

const LOOP = `
const http = require('node:http');
const [url, interval] = process.argv.slice(1);
const stats = { ok: 0, failed: 0, bodies: {}, errors: [] };
let stopping = false;
function once() {
  if (stopping) return finish();
  const req = http.get(url, { timeout: 5000, agent: false }, (res) => {
    let body = ''; res.on('data', (d) => (body += d));
    res.on('end', () => {
      if (res.statusCode === 200) { stats.ok++; const k = body.split(' ')[0]; stats.bodies[k] = (stats.bodies[k] || 0) + 1; }
      else { stats.failed++; stats.errors.push('status ' + res.statusCode); }
      setTimeout(once, Number(interval));
    });
  });
  req.on('timeout', () => req.destroy(new Error('timeout')));
  req.on('error', (e) => { stats.failed++; stats.errors.push(e.message); setTimeout(once, Number(interval)); });
}
function finish() { process.stdout.write(JSON.stringify(stats) + '\\n'); process.exit(0); }
process.on('SIGTERM', () => { stopping = true; });
once();`;

/** Results of a request loop: 200s, failures (non-200 or connection errors), 200s per answering backend. */
export type RequestLoopStats = { ok: number; failed: number; bodies: Record<string, number>; errors: string[] };

/** Loops GETs from inside `netns` (one at a time, `intervalMs` apart) until `stop()`, which returns the counts. */
export function startRequestLoop(netns: string, url: string, intervalMs = 5): { stop(): Promise<RequestLoopStats> } {
  const child = spawnInNetns(netns, LOOP, [url, String(intervalMs)]);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    async stop() {
      child.kill('SIGTERM');
      await exited;
      return JSON.parse(out.trim()) as RequestLoopStats;
    },
  };
}
