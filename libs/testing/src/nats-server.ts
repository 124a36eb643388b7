import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderNatsServerConfig } from './nats-server-config';

/** How to start a throw-away nats-server. */
export type NatsServerOptions = Readonly<{
  /** Path of the nats-server binary (Debian's package by default). */
  binary?: string;
  /** Fixed client port; by default the server picks a free one (no race with other suites). */
  port?: number;
  /** Address the client port binds (default 127.0.0.1); e2e tests with host namespaces give a management link's address. */
  host?: string;
  /** Extra config lines appended verbatim. */
  extraConfig?: string;
  /** How long to wait for "Server is ready" (default 15 s). */
  startTimeoutMs?: number;
}>;

/** A running nats-server with JetStream, on 127.0.0.1, with its own temporary store directory. */
export interface NatsServer {
  /** `nats://127.0.0.1:<port>`; stays the same across restart(). */
  readonly url: string;
  readonly port: number;
  /** The JetStream store_dir (kept by restart(), removed by stop()). */
  readonly storeDir: string;
  /** The current process id, undefined while stopped. */
  readonly pid: number | undefined;
  /** Kills the server and removes its directory. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM by default, SIGKILL to simulate a crash) and starts it again on the same port and store. */
  restart(opts?: Readonly<{ signal?: NodeJS.Signals; downMs?: number }>): Promise<void>;
  /** The last lines the server logged, for failure messages. */
  logs(): string;
}

/** Thrown when nats-server exits or does not become ready in time. */
export class NatsServerStartFailed extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NatsServerStartFailed';
  }
}

const DEFAULT_BINARY = '/usr/sbin/nats-server';
const LOG_LINES = 200;
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Starts a real `nats-server -c <generated config>` and resolves once it accepts client connections. */
export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  installExitHook();
  const dir = await mkdtemp(join(tmpdir(), 'lbaas-nats-'));
  const storeDir = join(dir, 'store');
  const configPath = join(dir, 'nats.conf');
  const log: string[] = [];
  const binary = opts.binary ?? DEFAULT_BINARY;
  const timeoutMs = opts.startTimeoutMs ?? 15_000;
  const serverName = `lbaas-test-${process.pid}-${dir.slice(-6)}`;

  const launch = async (port: number) => {
    await writeFile(configPath, renderNatsServerConfig({ port, storeDir, serverName, extra: opts.extraConfig, host: opts.host }));
    return waitReady(binary, configPath, pushLog, timeoutMs, () => log.join('\n'));
  };

  let started: Started;
  try {
    started = await launch(opts.port ?? -1);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  let child: ChildProcess | undefined = started.child;
  const port = started.port;
  let stopped = false;

  return {
    url: `nats://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    logs: () => log.join('\n'),
    async stop() {
      if (stopped) return;
      stopped = true;
      if (child) await terminate(child, 'SIGTERM');
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
    async restart({ signal = 'SIGTERM', downMs = 0 } = {}) {
      if (stopped) throw new Error('nats-server was stopped; it cannot be restarted');
      if (child) await terminate(child, signal);
      child = undefined;
      if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
      child = (await retryOnPortInUse(() => launch(port))).child;
    },
  };

  function pushLog(line: string) {
    log.push(line);
    if (log.length > LOG_LINES) log.splice(0, log.length - LOG_LINES);
  }
}

type Started = { child: ChildProcess; port: number };

function waitReady(
  binary: string, configPath: string, pushLog: (line: string) => void, timeoutMs: number, logs: () => string,
): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-c', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    let port = 0;
    let ready = false;
    let partial = '';
    const fail = (message: string, cause?: unknown) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new NatsServerStartFailed(`${message}\n${logs()}`, { cause }));
    };
    const timer = setTimeout(() => fail(`nats-server not ready after ${timeoutMs} ms`), timeoutMs);
    child.once('error', (err) => fail(`cannot run ${binary}`, err));
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (!ready) fail(`nats-server exited (code ${code}, signal ${signal}) before it was ready`);
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        pushLog(line);
        const m = /Listening for client connections on [0-9.]+:(\d+)/.exec(line);
        if (m) port = Number(m[1]);
        if (!ready && port > 0 && line.includes('Server is ready')) {
          ready = true;
          clearTimeout(timer);
          resolve({ child, port });
        }
      }
    });
  });
}

async function retryOnPortInUse<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (err) {
      const inUse = err instanceof Error && /address already in use/i.test(err.message);
      if (!inUse || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      resolve();
    });
    child.kill(signal);
  });
}

function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test runner that dies mid-suite must not leave servers behind.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}
