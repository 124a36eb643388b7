import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { lbPaths } from '../layout';
import { HostCommandFailed, run } from './exec';

type Paths = ReturnType<typeof lbPaths>;

/** haproxy -c refused the rendered config; the message is haproxy's own reason. The old config keeps running. */
export class ConfigRejected extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ConfigRejected';
  }
}
/** The master did not come up, or did not take a reload; retried on the next run. */
export class HaproxyFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HaproxyFailed';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Octavia's sequence: write haproxy.cfg.new → haproxy -c → atomic rename. On refusal keep haproxy.cfg.failed. */
export async function installConfig(bin: string, p: Paths, config: string): Promise<void> {
  writeFileSync(p.cfgNew, config, { mode: 0o640 });
  try {
    await run(bin, ['-c', '-f', p.cfgNew]);
  } catch (err) {
    renameSync(p.cfgNew, p.cfgFailed);
    if (err instanceof HostCommandFailed) throw new ConfigRejected(alerts(err.stderr) || err.message);
    throw err;
  }
  renameSync(p.cfgNew, p.cfg);
}

/** haproxy's ALERT lines (the reasons), without the NOTICE noise; the whole stderr if there are none. */
const alerts = (stderr: string): string =>
  (stderr.split('\n').filter((l) => /\[ALERT\]/.test(l)).map((l) => l.replace(/^\[ALERT\]\s*\(\d+\)\s*:\s*/, '')).join('\n') || stderr).trim();

/** The master's pid if the pid file names a live haproxy running our config (adoption after an agent restart). */
export function livePid(p: Paths): number | null {
  if (!existsSync(p.pid)) return null;
  const pid = Number(readFileSync(p.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return null;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('haproxy')) && argv.includes(p.cfg) ? pid : null;
  } catch {
    return null;
  }
}

/** True if `pid` runs inside the namespace currently mounted as `netns` (false after `ip netns del`). */
export function inNetns(pid: number, netns: string): boolean {
  try {
    return statSync(`/proc/${pid}/ns/net`).ino === statSync(`/run/netns/${netns}`).ino;
  } catch {
    return false;
  }
}

/** One command on a haproxy unix socket (master CLI or stats socket); resolves with the whole answer. */
export function socketCommand(path: string, command: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(path);
    let out = '';
    const timer = setTimeout(() => sock.destroy(new Error(`timeout on ${path}`)), timeoutMs);
    // The CLI answers and closes only after our side half-closes (non-interactive mode).
    sock.on('connect', () => sock.end(`${command}\n`));
    sock.on('data', (d) => { out += d.toString(); });
    sock.on('error', (e) => { clearTimeout(timer); reject(e); });
    sock.on('close', () => { clearTimeout(timer); resolve(out); });
  });
}

type Proc = { reloads: number; failed: number; workers: number[] };
/** Parses the master CLI's `show proc`. */
export function parseShowProc(text: string): Proc | null {
  const master = /^\d+\s+master\s+(\d+)\s+\[failed:\s*(\d+)\]/m.exec(text);
  if (!master) return null;
  const workers = [...text.matchAll(/^(\d+)\s+worker\s/gm)].map((m) => Number(m[1]));
  return { reloads: Number(master[1]), failed: Number(master[2]), workers };
}
const showProc = async (p: Paths): Promise<Proc | null> => parseShowProc(await socketCommand(p.masterSock, 'show proc').catch(() => ''));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new HaproxyFailed(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Starts a detached master-worker inside the namespace. `-D` daemonizes (setsid, reparented to init), so haproxy
 * outlives the agent and is adopted from its pid file on restart. stderr goes to a file: the daemon keeps it open.
 */
export async function startHaproxy(bin: string, netns: string, p: Paths): Promise<number> {
  const log = openSync(`${p.dir}/haproxy.log`, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', netns, bin, '-W', '-D', '-S', p.masterSock, '-p', p.pid, '-f', p.cfg],
        { stdio: ['ignore', log, log], detached: true });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new HaproxyFailed(`haproxy did not start (exit ${code}): ${readFileSync(`${p.dir}/haproxy.log`, 'utf8').trim().slice(0, 2000)}`);
  } finally {
    closeSync(log);
  }
  const pid = await waitFor('the haproxy master pid', 5000, async () => livePid(p));
  await waitFor('a haproxy worker', 5000, async () => ((await showProc(p))?.workers.length ? true : null));
  return pid;
}

/** Reloads through the master (SIGUSR2: it re-execs and hands listeners over), then checks a new worker took over. */
export async function reloadHaproxy(pid: number, p: Paths): Promise<void> {
  const before = await waitFor('the master CLI', 3000, () => showProc(p));
  process.kill(pid, 'SIGUSR2');
  await waitFor('the reload to take effect', 10_000, async () => {
    const now = await showProc(p);
    if (!now || now.reloads <= before.reloads) return null;
    if (now.failed > before.failed) throw new HaproxyFailed('haproxy master reported a failed reload (old workers keep serving)');
    return now.workers.some((w) => !before.workers.includes(w)) ? true : null;
  });
}

/** Stops a master and its workers: SIGTERM, then SIGKILL after `graceMs`. */
export async function stopPid(pid: number, graceMs = 3000): Promise<void> {
  const alive = () => { try { process.kill(pid, 0); return existsSync(`/proc/${pid}/cmdline`) && readFileSync(`/proc/${pid}/cmdline`).length > 0; } catch { return false; } };
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await sleep(50);
  if (alive()) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
}
