import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { leaseFile } from '../fencing';
import { HostCommandFailed, run } from '../host/exec';
import { dropHold, release } from '../host/handover';
import { batch, ipBatch } from '../host/ip';
import type { InterfaceName, IPv4Address, NetnsName, PrefixLength } from '../parse';
import { lbPaths, VIP_IF } from '../layout';
import { renderKeepalived, VRRP_PRIORITY, vridOf } from './keepalived-config';

/**
 * keepalived on the host, one per load balancer of an ACTIVE_STANDBY pair, inside the LB's namespace (issue 14).
 * The config is rendered by keepalived-config.ts, written beside the haproxy files, checked with `keepalived -t`
 * inside the namespace (it checks interfaces there) before it replaces the running one, and applied with SIGHUP.
 * keepalived runs detached (its own session) so it outlives the agent, as haproxy does: an agent restart is hitless.
 */

/** Files of one LB's keepalived, in the LB's run dir; the scripts are shared by every LB of the run dir. */
export function keepalivedPaths(runDir: string, lbId: string) {
  const dir = join(runDir, lbId);
  return {
    dir,
    cfg: join(dir, 'keepalived.conf'),
    cfgNew: join(dir, 'keepalived.conf.new'),
    pid: join(dir, 'keepalived.pid'),
    vrrpPid: join(dir, 'vrrp.pid'),
    log: join(dir, 'keepalived.log'),
    /** The role keepalived last notified (`MASTER`, `BACKUP`, `FAULT`, `STOP`), one word. */
    role: join(dir, 'vrrp.role'),
    /** Every transition, `<epoch ms> <role>` per line (what the tests and the bench time takeovers with). */
    transitions: join(dir, 'vrrp.log'),
    checkScript: join(runDir, 'vrrp-check'),
    notifyScript: join(runDir, 'vrrp-notify'),
  };
}
export type KeepalivedPaths = ReturnType<typeof keepalivedPaths>;

/** The agent's fence file (one per state dir, tracked by all its keepalived instances): `1` fenced, `0` not. */
export const vrrpFenceFile = (stateDir: string): string => join(stateDir, 'vrrp.fence');

/**
 * Sets the fence file: `fenced` puts every keepalived of this agent into FAULT at once (inotify), dropping their VIPs
 * and making their peers take over; the hook the lease watchdog calls before it flushes VIPs (a flushed VIP alone is
 * re-added by a keepalived that still believes it is master).
 */
export function writeVrrpFence(stateDir: string, fenced: boolean): void {
  const file = vrrpFenceFile(stateDir);
  const want = fenced ? '1\n' : '0\n';
  try {
    if (readFileSync(file, 'utf8') === want) return;
  } catch { /* not yet written */ }
  writeFileSync(`${file}.tmp`, want);
  renameSync(`${file}.tmp`, file);
}

/**
 * The check keepalived runs every second (weight 0: failing = FAULT): $1 the LB's haproxy pid file, $2 the agent's
 * lease file (`read` sets its variable even without a final newline, but then fails: its status is not
 * used). Fails when the haproxy master is gone or a zombie (exit 1) or the lease has lapsed (exit 2): the data plane itself
 * stops claiming the VIP when nobody renews the lease, even with the agent and its watchdog dead. No fork but `date`.
 */
export const VRRP_CHECK = `#!/bin/sh
# lbaas VRRP check, run by keepalived every second: haproxy of this LB alive, agent lease not lapsed.
pid= stat= lease=
read -r pid < "$1" 2>/dev/null
[ -n "$pid" ] || exit 1
read -r stat < "/proc/$pid/stat" 2>/dev/null
case "$stat" in *"(haproxy) Z "*) exit 1 ;; *"(haproxy) "*) ;; *) exit 1 ;; esac
read -r lease < "$2" 2>/dev/null
until=\${lease#*\\"until\\":}
until=\${until%%[!0-9]*}
[ -n "$until" ] || exit 2
[ "$(date +%s%3N)" -lt "$until" ] || exit 2
exit 0
`;

/** keepalived's notify: $1 the LB's run dir, then keepalived's TYPE NAME STATE PRIORITY. Records the role. */
export const VRRP_NOTIFY = `#!/bin/sh
# lbaas VRRP notify, run by keepalived on every transition: records the role for the agent.
printf '%s\\n' "$4" > "$1/vrrp.role.tmp" && mv -f "$1/vrrp.role.tmp" "$1/vrrp.role"
printf '%s %s\\n' "$(date +%s%3N)" "$4" >> "$1/vrrp.log"
`;

/** Writes the shared scripts (root-owned, 755: keepalived's script security refuses anything writable by others). */
export function writeKeepalivedScripts(p: KeepalivedPaths): void {
  for (const [file, text] of [[p.checkScript, VRRP_CHECK], [p.notifyScript, VRRP_NOTIFY]] as const) {
    if (existsSync(file) && readFileSync(file, 'utf8') === text) continue;
    writeFileSync(`${file}.tmp`, text, { mode: 0o755 });
    chmodSync(`${file}.tmp`, 0o755);
    renameSync(`${file}.tmp`, file);
  }
}

/** One side of an ACTIVE_STANDBY pair as the desired state gives it (the role decides the priority only). */
export type PairSide = Readonly<{
  lbId: string;
  role: keyof typeof VRRP_PRIORITY;
  vip: Readonly<{ address: string; prefixLength: number }>;
  additionalVips: readonly Readonly<{ address: string; prefixLength: number }>[];
  vrrpAddress: string;
  /** null: no standby now (the pair runs on this side alone until one is placed). */
  peerAddress: string | null;
}>;

/**
 * keepalived.conf of one side on this agent: the LB's values, and this agent's files (the LB's haproxy pid file, the
 * agent's lease and fence files, the shared scripts). Pure. Gratuitous ARPs: three at once, three again a second later.
 */
export function pairSideConfig(side: PairSide, runDir: string, stateDir: string, advertIntMs: number): string {
  const kp = keepalivedPaths(runDir, side.lbId);
  return renderKeepalived({
    lbId: side.lbId, vrid: vridOf(side.lbId), priority: VRRP_PRIORITY[side.role], preempt: side.role === 'PROMOTED', advertIntMs,
    interface: VIP_IF, vip: side.vip, additionalVips: side.additionalVips, vrrpAddress: side.vrrpAddress, peerAddress: side.peerAddress,
    checkScript: kp.checkScript, checkArgs: [lbPaths(runDir, side.lbId).pid, leaseFile(stateDir)], fenceFile: vrrpFenceFile(stateDir),
    notifyScript: kp.notifyScript, notifyArg: kp.dir, garpRepeat: 3, garpDelayS: 1,
  });
}

const enter = (netns: string): string => `--net=/run/netns/${netns}`;

export class KeepalivedRefused extends Error {
  constructor(readonly output: string) {
    super(`keepalived -t refused the configuration: ${output.trim().slice(0, 2000)}`);
    this.name = 'KeepalivedRefused';
  }
}

/**
 * Writes `keepalived.conf.new`, checks it with `keepalived -t` inside the namespace and renames it into place. A
 * refused config leaves the running one untouched and throws KeepalivedRefused with keepalived's words. Returns true
 * when the file changed (a running keepalived must then be reloaded).
 */
export async function installKeepalivedConfig(bin: string, netns: string, p: KeepalivedPaths, config: string): Promise<boolean> {
  if (existsSync(p.cfg) && readFileSync(p.cfg, 'utf8') === config) return false;
  writeFileSync(p.cfgNew, config, { mode: 0o644 });
  try {
    await run('nsenter', [enter(netns), bin, '-t', '-f', p.cfgNew]);
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new KeepalivedRefused(`${e.stderr ?? ''}${e.stdout ?? ''}` || e.message);
  }
  renameSync(p.cfgNew, p.cfg);
  return true;
}

/** The pid a pid file names, or null (missing, unreadable, not a pid). */
export const pidIn = (file: string): number | null => {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : null;
  } catch {
    return null;
  }
};

/** True when `pid` is a running (not zombie) keepalived started with `cfg`. */
const runsOurKeepalived = (pid: number, cfg: string): boolean => {
  try {
    if (/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))) return false;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('keepalived')) && argv.includes(cfg);
  } catch {
    return false;
  }
};

/** The pid of this LB's keepalived parent when it runs with our config, else null. */
export function liveKeepalived(p: KeepalivedPaths): number | null {
  const pid = pidIn(p.pid);
  return pid !== null && runsOurKeepalived(pid, p.cfg) ? pid : null;
}

/** Starts keepalived (VRRP only) in `netns`, detached, logging to its run dir; resolves once its VRRP child runs. */
export async function startKeepalived(bin: string, netns: string, p: KeepalivedPaths, timeoutMs = 3000): Promise<number> {
  // keepalived refuses to start while a pid file names a live process, and a killed keepalived's pid may be a zombie
  // nobody reaps, or another program by now: pid files that do not name our running keepalived go first.
  for (const file of [p.pid, p.vrrpPid]) {
    const pid = pidIn(file);
    if (pid !== null && !runsOurKeepalived(pid, p.cfg)) rmSync(file, { force: true });
  }
  const out = openSync(p.log, 'a');
  const child = spawn('nsenter', [enter(netns), bin, '-n', '-l', '-D', '-P', '-f', p.cfg, '-p', p.pid, '-r', p.vrrpPid],
    { detached: true, stdio: ['ignore', out, out] });
  closeSync(out);
  child.on('error', () => undefined);
  child.unref();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pid = liveKeepalived(p);
    if (pid !== null && pidIn(p.vrrpPid) !== null) return pid;
    if (child.exitCode !== null || Date.now() > deadline) {
      const tail = existsSync(p.log) ? readFileSync(p.log, 'utf8').split('\n').slice(-8).join('\n') : '';
      throw new Error(`keepalived did not start in ${netns} (exit ${child.exitCode}): ${tail}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * One level-based step for an LB's keepalived (what a reconcile run calls): the scripts and the checked config in
 * place, keepalived started if it does not run, reloaded if it runs an older config. Idempotent: nothing happens when
 * all is as wanted. A refused config throws KeepalivedRefused and leaves the running keepalived as it was.
 */
export async function ensureKeepalived(bin: string, netns: string, p: KeepalivedPaths, config: string): Promise<'started' | 'reloaded' | 'unchanged'> {
  writeKeepalivedScripts(p);
  const changed = await installKeepalivedConfig(bin, netns, p, config);
  const pid = liveKeepalived(p);
  if (pid === null) {
    await startKeepalived(bin, netns, p);
    return 'started';
  }
  if (!changed) return 'unchanged';
  reloadKeepalived(pid);
  return 'reloaded';
}

/** Applies a new config to a running keepalived (SIGHUP re-reads the file; the state is kept). */
export function reloadKeepalived(pid: number): void {
  process.kill(pid, 'SIGHUP');
}

/**
 * Stops keepalived: SIGTERM makes a master drop its VIPs and send a priority-0 advert, so the peer takes over
 * within its skew time instead of three advert intervals. Waits for the exit (SIGKILL after `graceMs`).
 */
export async function stopKeepalived(p: KeepalivedPaths, graceMs = 2000): Promise<void> {
  const pid = liveKeepalived(p);
  if (pid === null) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    try { process.kill(pid, 0); } catch { return; }
    await new Promise((r) => setTimeout(r, 20));
  }
  try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
}

export type VrrpRole = 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP';
const ROLES: readonly string[] = ['MASTER', 'BACKUP', 'FAULT', 'STOP'];

/** The role keepalived last notified, or null (never notified, or no keepalived with our config runs). */
export function vrrpRole(p: KeepalivedPaths): VrrpRole | null {
  if (liveKeepalived(p) === null) return null;
  try {
    const r = readFileSync(p.role, 'utf8').trim();
    return ROLES.includes(r) ? (r as VrrpRole) : null;
  } catch {
    return null;
  }
}

/** The transitions keepalived notified: [epoch ms, role] in order. */
export function vrrpTransitions(p: KeepalivedPaths): Array<{ at: number; role: string }> {
  try {
    return readFileSync(p.transitions, 'utf8').split('\n').filter(Boolean).map((l) => {
      const [at, role] = l.split(' ');
      return { at: Number(at), role };
    });
  } catch {
    return [];
  }
}

/**
 * Operator failover of a pair, make before break, the master's half (before the standby is promoted): its neighbours
 * pinned and ARP for the VIP held back (the planned-move hold), and the VIP kept as a /32 beside keepalived's entry, so
 * the master keeps serving whatever still reaches it after keepalived, outvoted by the promoted standby, removes the
 * VIP, until a client has taken the promoted side's gratuitous ARP. Only the promoted side answers ARP meanwhile.
 */
export async function releaseForPromotion(netns: NetnsName, runDir: string, lbId: string, vip: IPv4Address): Promise<void> {
  await release(netns, lbPaths(runDir, lbId), vip);
  await ipBatch(netns, [batch.addrReplace(vip, 32 as PrefixLength, VIP_IF as InterfaceName)]);
}

/** How long the hold outlives the kept /32 at the end of a release. */
export const HOLD_AFTER_ADDRESS_MS = 250;

/**
 * The end of releaseForPromotion (the promoted side holds the VIP): the kept /32 goes, then, a moment later, the hold
 * (dropped at once, never let through) and the pinned neighbours. The moment: whoever reads the address and then the
 * hold table (the e2e holder sampler does, a few ms apart, more on a busy host) never sees the /32 without its hold.
 */
export async function endReleaseForPromotion(netns: NetnsName, runDir: string, lbId: string, vip: IPv4Address): Promise<void> {
  await run('ip', ['-n', netns, 'addr', 'del', `${vip}/32`, 'dev', VIP_IF]).catch((err: unknown) => {
    if (!(err instanceof HostCommandFailed)) throw err; // already gone
  });
  await new Promise((r) => setTimeout(r, HOLD_AFTER_ADDRESS_MS));
  await dropHold(netns, lbPaths(runDir, lbId));
  await run('ip', ['-n', netns, 'neigh', 'flush', 'dev', VIP_IF, 'nud', 'permanent']).catch(() => undefined);
}
