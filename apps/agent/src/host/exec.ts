import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** A host command failed; carries its stderr so the outcome (and the log) says why. */
export class HostCommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly stderr: string, readonly stdout = '') {
    super(`${command} failed (exit ${code}): ${stderr.trim().slice(0, 2000)}`);
    this.name = 'HostCommandFailed';
  }
}

/**
 * The priorities of the agent's helper processes (issue 11). Building a new LB (namespace, veth, VIP, its first haproxy
 * start) is background work: its helpers run `BUILD_NICE` steps below the agent, so that on a shared host the control
 * plane (nats-server, api) and the haproxies that already serve win the CPU during a burst of builds. What keeps or
 * changes what serves (lease renewal, the kernel fence's lease, runtime changes and reloads of serving LBs, repairs)
 * runs at the agent's own priority; a haproxy started niced is put back to it once its worker runs (`renice`).
 */
export const BUILD_NICE = 5;
/** The agent's own nice value when it started: the priority of what serves. */
export const SERVING_NICE = getPriority();

/** How much above the agent its lease keeper thread runs (lease-worker.ts): as nats-server and the api (lbaasctl up). */
export const LEASE_BOOST = 5;

/**
 * Gives the calling thread `nice` (Linux nice is per thread; the processes it starts inherit it): the lease keeper's
 * thread and its nft renewals then win the CPU over the agent's own work and its builds. Returns the value it has now.
 */
export function setThreadNice(nice: number): number {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  setPriority(tid, Math.max(-20, Math.min(19, nice)));
  return getPriority(tid);
}

export type RunOptions = { input?: string; timeoutMs?: number; /** A build step: run through nice(1), BUILD_NICE lower. */ build?: boolean };

/** The argument vector that runs `cmd` at build priority (nice(1) execs it: no extra fork). */
export const niced = (cmd: string, args: readonly string[]): [string, string[]] => ['nice', ['-n', String(BUILD_NICE), cmd, ...args]];

/** Runs a program (no shell), optionally feeding stdin; resolves with stdout, rejects with HostCommandFailed. */
export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const [file, argv] = opts.build ? niced(cmd, args) : [cmd, [...args]];
    const child = spawn(file, argv, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 15_000 });
    let out = '';
    let err = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('error', (e) => reject(new HostCommandFailed([cmd, ...args].join(' '), null, e.message)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new HostCommandFailed([cmd, ...args].join(' '), code, err, out))));
    if (child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE when the program exits early: its exit code tells the story
      child.stdin.end(opts.input);
    }
  });
}

const CAP_SYS_NICE = 23n;
/**
 * True when this process may give a process of another user (haproxy's workers run as `haproxy`) a higher priority
 * again: root, or CAP_SYS_NICE in its effective set. Without it the agent starts haproxy at its own priority.
 */
export function canRenice(): boolean {
  if (process.getuid?.() === 0) return true;
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return !!m && ((BigInt(`0x${m[1]}`) >> CAP_SYS_NICE) & 1n) === 1n;
}

/**
 * Sets the nice value of every thread of each process (Linux nice is per thread: a process's threads started before
 * keep theirs). A process or thread that ended meanwhile is skipped; anything else (no permission) throws.
 */
export function renice(pids: readonly number[], nice: number): void {
  // Until a pass changes nothing (at most 3): a thread started while the first pass ran inherited the old value.
  for (let pass = 0, changed = true; changed && pass < 3; pass++) {
    changed = false;
    for (const pid of pids) {
      let tids: number[];
      try {
        tids = readdirSync(`/proc/${pid}/task`).map(Number);
      } catch {
        continue;
      }
      for (const tid of tids) {
        try {
          if (getPriority(tid) === nice) continue;
          setPriority(tid, nice);
          changed = true;
        } catch (err) {
          if ((err as { info?: { code?: string } }).info?.code === 'ESRCH') continue;
          throw new HostCommandFailed(`renice ${nice} ${tid}`, null, (err as Error).message);
        }
      }
    }
  }
}
