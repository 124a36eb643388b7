import { spawn } from 'node:child_process';

/** A host command failed; carries its stderr so the outcome (and the log) says why. */
export class HostCommandFailed extends Error {
  constructor(readonly command: string, readonly code: number | null, readonly stderr: string, readonly stdout = '') {
    super(`${command} failed (exit ${code}): ${stderr.trim().slice(0, 2000)}`);
    this.name = 'HostCommandFailed';
  }
}

/** Runs a program (no shell), optionally feeding stdin; resolves with stdout, rejects with HostCommandFailed. */
export function run(cmd: string, args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'], timeout: opts.timeoutMs ?? 15_000 });
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
