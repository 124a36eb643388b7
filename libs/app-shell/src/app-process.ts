import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';

/** One of our apps (or nats-server) started as a real process: `lbaasctl up` supervises the embedded stack with it, tests start theirs. */
export type AppProcessSpec = Readonly<{
  /** Name used in messages, e.g. `agent-a`. */
  name: string;
  /** Command and arguments, e.g. ['node', 'apps/api/dist/main.js']. */
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  cwd?: string;
  /** Where stdout and stderr go (appended); kept in memory only when omitted. */
  logFile?: string;
  /** The process counts as started once a log line matches this (default: a pino line with "op":"ready"). */
  readyLine?: RegExp;
  startTimeoutMs?: number;
}>;

/** A started process: its output, and ways to stop it gracefully or kill it hard. */
export interface AppProcess {
  readonly name: string;
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<void>;
  /** How it exited (null while it runs): its exit code, or the signal that ended it. */
  readonly exitStatus: Readonly<{ code: number | null; signal: string | null }> | null;
  /** The last lines it printed. */
  output(): string;
  /** Resolves when a line matching `re` appears (already printed lines count). */
  waitForLine(re: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM (or the given signal), then SIGKILL after `graceMs`; resolves when it exited. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

/** Thrown when a process exits or stays silent before it reports ready. */
export class AppProcessFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppProcessFailed';
  }
}

const MAX_LINES = 400;
const alive = new Set<ChildProcess>();
let hooked = false;

/** Starts a process and resolves once it reported ready (see readyLine). */
export async function startAppProcess(spec: AppProcessSpec): Promise<AppProcess> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => { for (const c of alive) c.kill('SIGKILL'); });
  }
  const [cmd, ...args] = spec.command;
  const child = spawn(cmd, args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  alive.add(child);
  const lines: string[] = [];
  let file: WriteStream | undefined;
  if (spec.logFile) {
    mkdirSync(dirname(spec.logFile), { recursive: true });
    file = createWriteStream(spec.logFile, { flags: 'a' });
    // A log file that cannot be written (disk full, removed directory) must never take the launcher down with it.
    file.on('error', () => { file = undefined; });
  }
  const waiters = new Set<{ re: RegExp; resolve: (l: string) => void }>();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    const done = () => { exited = true; alive.delete(child); resolve(); };
    child.once('exit', done);
    // A command that cannot be started (ENOENT, EACCES) emits 'error' and no 'exit'.
    child.once('error', (err) => { lines.push(`${spec.name}: cannot start ${cmd}: ${err.message}`); done(); });
  });
  // Output can still arrive after 'exit' (the pipes drain until 'close'): the log file ends only then, so a late
  // line is never written after end (ERR_STREAM_WRITE_AFTER_END used to kill `lbaasctl up` half-way through its cleanup).
  child.once('close', () => { const f = file; file = undefined; f?.end(); });
  const onData = (buf: Buffer, rest: { s: string }) => {
    if (file?.writable) file.write(buf);
    const text = rest.s + buf.toString('utf8');
    const parts = text.split('\n');
    rest.s = parts.pop() ?? '';
    for (const line of parts) {
      lines.push(line);
      if (lines.length > MAX_LINES) lines.shift();
      for (const w of waiters) if (w.re.test(line)) { waiters.delete(w); w.resolve(line); }
    }
  };
  const out = { s: '' };
  const err = { s: '' };
  child.stdout?.on('data', (b: Buffer) => onData(b, out));
  child.stderr?.on('data', (b: Buffer) => onData(b, err));

  const proc: AppProcess = {
    name: spec.name,
    get pid() { return child.pid; },
    get running() { return !exited; },
    exited: exit,
    get exitStatus() { return exited ? { code: child.exitCode, signal: child.signalCode } : null; },
    output: () => lines.join('\n'),
    waitForLine(re, timeoutMs = 30_000) {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const w = { re, resolve: (l: string) => { clearTimeout(t); resolve(l); } };
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new AppProcessFailed(`${spec.name}: no line matching ${re} within ${timeoutMs} ms; last output:\n${lines.slice(-30).join('\n')}`));
        }, timeoutMs);
        waiters.add(w);
        void exit.then(() => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(t);
          reject(new AppProcessFailed(`${spec.name} exited (code ${child.exitCode}, signal ${child.signalCode}); last output:\n${lines.slice(-30).join('\n')}`));
        });
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 5000) {
      if (exited) return;
      child.kill(signal);
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exit;
      clearTimeout(t);
    },
  };
  await proc.waitForLine(spec.readyLine ?? /"op":"ready"/, spec.startTimeoutMs ?? 30_000);
  return proc;
}
