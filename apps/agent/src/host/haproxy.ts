import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import type { lbPaths } from '../layout';
import { HostCommandFailed, niced, renice, run } from './exec';

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

/**
 * Octavia's sequence: write haproxy.cfg.new → haproxy -c → atomic rename. On refusal keep haproxy.cfg.failed.
 * `check: false` when a fresh start follows: the start parses the file itself (and a failed start checks it then).
 */
export async function installConfig(bin: string, p: Paths, config: string, check = true): Promise<void> {
  writeFileSync(p.cfgNew, config, { mode: 0o640 });
  if (check) await checkConfig(bin, p, p.cfgNew);
  renameSync(p.cfgNew, p.cfg);
}

/** haproxy -c on `file`; on refusal the file is kept as haproxy.cfg.failed and ConfigRejected says haproxy's reasons. */
async function checkConfig(bin: string, p: Paths, file: string): Promise<void> {
  try {
    await run(bin, ['-c', '-f', file]);
  } catch (err) {
    renameSync(file, p.cfgFailed);
    if (err instanceof HostCommandFailed) throw new ConfigRejected(alerts(err.stderr) || err.message);
    throw err;
  }
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

// Polls start at 2 ms and back off to 10 ms: a start or reload takes 10-60 ms here, and every wait is on someone's path
// (a poll is a unix-socket round trip or a file read: cheap).
async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | null>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(10, pause * 2)) {
    const v = await probe();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new HaproxyFailed(`timed out waiting for ${what}`);
    await sleep(pause);
  }
}

/**
 * Starts a detached master-worker inside the namespace. `-D` daemonizes (setsid, reparented to init), so haproxy
 * outlives the agent and is adopted from its pid file on restart. stderr goes to a file: the daemon keeps it open.
 * `servingNice`: the start (parsing, the first worker's fork) runs at build priority (exec.ts) and the master and its
 * workers are given `servingNice` once the worker runs: a haproxy that serves never stays niced.
 */
export async function startHaproxy(bin: string, netns: string, p: Paths, servingNice: number | null = null): Promise<number> {
  const log = openSync(`${p.dir}/haproxy.log`, 'w');
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      // nsenter: the network namespace alone (ip netns exec would also remount /sys, which haproxy does not need).
      const argv = [`--net=/run/netns/${netns}`, bin, '-W', '-D', '-S', p.masterSock, '-p', p.pid, '-f', p.cfg];
      const [file, args] = servingNice === null ? ['nsenter', argv] : niced('nsenter', argv);
      const child = spawn(file, args, { stdio: ['ignore', log, log], detached: true });
      child.on('error', reject);
      child.on('exit', (c) => resolve(c));
    });
    if (code !== 0) {
      // Refused config, or a host problem? haproxy -c tells (the start parsed a file nobody checked before). The file
      // stays: the plan sees it is the desired one and does not write it again until a new version comes.
      await run(bin, ['-c', '-f', p.cfg]).catch((err: unknown) => {
        throw err instanceof HostCommandFailed ? new ConfigRejected(alerts(err.stderr) || err.message) : err;
      });
      throw new HaproxyFailed(`haproxy did not start (exit ${code}): ${readFileSync(`${p.dir}/haproxy.log`, 'utf8').trim().slice(0, 2000)}`);
    }
  } finally {
    closeSync(log);
  }
  const pid = await waitFor('the haproxy master pid', 5000, async () => livePid(p));
  const workers = await waitFor('a haproxy worker', 5000, async () => {
    const proc = await showProc(p);
    return proc?.workers.length ? proc.workers : null;
  });
  if (servingNice !== null) renice([pid, ...workers], servingNice);
  return pid;
}

/**
 * Saves the running servers' state (weights, maintenance, health) where the config's server-state-file points, so the
 * new worker of a reload starts from it. Best effort: without it the reload still works, from the file's values.
 */
export async function saveServerState(p: Paths): Promise<boolean> {
  try {
    const state = await socketCommand(p.statsSock, 'show servers state');
    if (!/^1\n# be_id /.test(state)) return false;
    writeFileSync(`${p.serverState}.tmp`, state);
    renameSync(`${p.serverState}.tmp`, p.serverState);
    return true;
  } catch {
    return false;
  }
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

/** haproxy refused a runtime command (its answer is the message); the caller falls back to a reload. */
export class RuntimeCommandFailed extends Error {
  constructor(readonly command: string, readonly answer: string) {
    super(`haproxy refused "${command}": ${answer.trim().slice(0, 500)}`);
    this.name = 'RuntimeCommandFailed';
  }
}

const SUCCESS = /^(|New server registered\.|Server deleted\.)$/;

/**
 * Admin-socket commands that answer nothing, or one of haproxy's success lines, when they work. They go in as few
 * round trips as haproxy's line allows (`;` between commands, under 8 kB a line): a member added is one round trip.
 * Any other answer is a refusal (haproxy carries on with the rest of the line; the caller falls back to a reload).
 */
export async function runtimeCommands(sock: string, commands: readonly string[]): Promise<void> {
  const lines: string[][] = [];
  let size = 0;
  for (const c of commands) {
    if (lines.length === 0 || size + c.length + 2 > 8000) { lines.push([]); size = 0; }
    lines[lines.length - 1].push(c);
    size += c.length + 2;
  }
  for (const line of lines) {
    const answer = await socketCommand(sock, line.join('; '));
    const refused = answer.split('\n').map((l) => l.trim()).find((l) => !SUCCESS.test(l));
    if (refused !== undefined) throw new RuntimeCommandFailed(line.join('; '), refused);
  }
}

/** One server of `show servers state` (format 1): what can drift at runtime. */
export type ServerState = Readonly<{
  backend: string; name: string; id: number; addr: string; port: number; weight: number; initialWeight: number;
  /** srv_admin_state has FMAINT (forced maintenance: `disabled`, or set at runtime). */
  maint: boolean;
  checkEnabled: boolean; checkAddr: string | null; checkPort: number | null;
}>;

/** Parses `show servers state` (`1`, a `# be_id be_name ...` header, one line per server). */
export function parseServersState(text: string): ServerState[] {
  const lines = text.split('\n');
  const header = lines.find((l) => l.startsWith('# be_id '));
  if (!header) return [];
  const cols = header.slice(2).split(' ');
  const at = (name: string) => cols.indexOf(name);
  return lines.filter((l) => l !== '' && !l.startsWith('#') && l !== '1').map((l) => {
    const c = l.split(' ');
    const get = (name: string) => c[at(name)] ?? '';
    const checkAddr = get('srv_check_addr');
    const checkPort = Number(get('srv_check_port'));
    return {
      backend: get('be_name'), name: get('srv_name'), id: Number(get('srv_id')), addr: get('srv_addr'), port: Number(get('srv_port')),
      weight: Number(get('srv_uweight')), initialWeight: Number(get('srv_iweight')), maint: (Number(get('srv_admin_state')) & 0x01) !== 0,
      checkEnabled: (Number(get('srv_check_state')) & 0x04) !== 0,
      checkAddr: checkAddr === '-' || checkAddr === '' ? null : checkAddr, checkPort: checkPort > 0 ? checkPort : null,
    };
  });
}

/** Connections the haproxy carries now (`show info` CurrConns), or null when it does not answer. */
export async function currentConnections(sock: string): Promise<number | null> {
  const info = await socketCommand(sock, 'show info', 1000).catch(() => '');
  const m = /^CurrConns:\s*(\d+)/m.exec(info);
  return m ? Number(m[1]) : null;
}
