import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listNetns, links, ip } from './host/ip';
import { stateDir } from './host/state-dir';
import { VIP_IF } from './layout';
import { netnsOf, parse } from './parse';
import { leaseHeld, monotonicMs, readLease } from './fencing';
import { writeVrrpFence } from './keepalived/keepalived-host';

/**
 * The per-host fence (DESIGN.md §6): a tiny process, separate from the agent, that outlives it. Every `pollMs` it reads
 * the agent's lease file; once the lease has lapsed it removes the addresses of every VIP interface the agent's state dir
 * records (`ip -n qlbaas-<lb> addr flush dev vip0`), and keeps them removed while the lease stays lapsed. haproxy keeps
 * running (bound with ip_nonlocal_bind) but nothing routes to it, and the host answers no ARP for the VIP. A renewed
 * lease (the agent is back) hands the VIPs back to the agent's reconciler, which plugs them again if they are still its.
 *
 * Usage: node watchdog.js <stateDir> [pollMs]   (the agent starts it, detached, if no watchdog runs for its state dir)
 */
export const watchdogPidFile = (dir: string): string => join(dir, 'watchdog.pid');

/** The pid of the live watchdog of `dir`, or null. */
export function liveWatchdog(dir: string): number | null {
  try {
    const pid = Number(readFileSync(watchdogPidFile(dir), 'utf8').trim());
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.some((a) => a.endsWith('watchdog.js')) && argv.includes(dir) ? pid : null;
  } catch {
    return null;
  }
}

/** Starts the watchdog for `dir` unless one runs; detached (own session) so it survives the agent. */
export function ensureWatchdog(dir: string, pollMs: number, logFile: string): number {
  const running = liveWatchdog(dir);
  if (running !== null) return running;
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(__dirname, 'watchdog.js'), dir, String(pollMs)], { detached: true, stdio: ['ignore', out, out] });
  child.unref();
  return child.pid ?? -1;
}

/** Stops the watchdog of `dir` (agent --cleanup). */
export function stopWatchdog(dir: string): void {
  const pid = liveWatchdog(dir);
  if (pid !== null) try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
}

const log = (fields: Record<string, unknown>, msg: string) =>
  process.stdout.write(`${JSON.stringify({ level: 'warn', time: Date.now(), app: 'lease-watchdog', ...fields, msg })}\n`);

/** One pass: lease held → nothing; lapsed → flush every plugged VIP this agent owns. Returns how many it withdrew. */
export async function fenceOnce(dir: string, nowMs: number, nowMono = monotonicMs()): Promise<number> {
  const held = leaseHeld(readLease(dir), nowMs, nowMono);
  // ACTIVE_STANDBY hook (issue 14): keepalived tracks this file; fenced puts every VRRP instance of this agent into
  // FAULT (VIP dropped, peer takes over) before the flush below, which keepalived as master would otherwise undo.
  try { writeVrrpFence(dir, !held); } catch { /* the check script's own lease test still fences keepalived */ }
  if (held) return 0;
  const namespaces = await listNetns();
  let withdrawn = 0;
  for (const r of stateDir(dir).list()) {
    const ns = netnsOf(parse.lbId(r.lbId)); // the state dir lists only records with a load-balancer id
    if (!namespaces.has(ns)) continue;
    const vip = (await links(ns).catch(() => [])).find((l) => l.ifname === VIP_IF);
    if (!vip?.addr_info?.length) continue;
    await ip(['-n', ns, 'addr', 'flush', 'dev', VIP_IF]).catch(() => undefined);
    withdrawn++;
  }
  return withdrawn;
}

async function main(): Promise<void> {
  const [dir, poll] = process.argv.slice(2);
  if (!dir) throw new Error('usage: watchdog.js <stateDir> [pollMs]');
  const pollMs = Number(poll) > 0 ? Number(poll) : 200;
  writeFileSync(watchdogPidFile(dir), String(process.pid));
  log({ op: 'watchdog.start', state_dir: dir, poll_ms: pollMs, level: 'info' }, 'lease watchdog running');
  process.on('SIGTERM', () => process.exit(0));
  for (;;) {
    if (!existsSync(dir)) process.exit(0); // the agent's state is gone: nothing left to fence
    const n = await fenceOnce(dir, Date.now()).catch((err: Error) => { log({ op: 'watchdog.error', err: err.message }, 'fence pass failed'); return 0; });
    if (n > 0) log({ op: 'lease', withdrawn: n, lease: readLease(dir) }, 'lease lapsed: VIPs withdrawn by the host watchdog');
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

if (require.main === module) void main();
