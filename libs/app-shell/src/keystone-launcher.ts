import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { chmod, cp, lstat, mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Debian 12's Keystone 22 (package `keystone`) run as a process of our own: `keystone-wsgi-public` under uWSGI
 * (python3 plugin), one process with threads (Keystone's in-memory cache is per process: two processes could
 * disagree about a revoked token), SQLite in WAL mode (Keystone 22 keeps a read transaction open after issuing
 * and validating tokens, so without WAL concurrent writes fail with "database is locked"), fernet tokens.
 * Used by the test helper in libs/testing and by `lbaasctl up --keystone`.
 */
export type KeystoneOptions = Readonly<{
  /** Directory holding keystone.conf, the database, the key repositories and the log (created if missing; kept). */
  dir: string;
  /** Address and port uWSGI binds (default 127.0.0.1; the port is required: the catalog names it). */
  host?: string;
  port: number;
  /** Password of the bootstrap user `admin` (passed in the environment, never on a command line). */
  adminPassword: string;
  /** Region of the catalog entries (default RegionOne). */
  region?: string;
  /** bcrypt cost of stored passwords (Keystone's default 12, about 0.3 s per password check; 4 is ~1 ms, for tests). */
  passwordHashRounds?: number;
  /** Lifetime of issued tokens in seconds (Keystone's default 3600). */
  tokenExpirationS?: number;
  /** uWSGI threads of the one Keystone process (default 8). */
  threads?: number;
  /** Where Keystone's and uWSGI's output goes (appended); kept in memory only (last lines) when omitted. */
  logFile?: string;
  /** How long start-up may take before it counts as failed (default 60 s). */
  startTimeoutMs?: number;
  /**
   * For tests: a directory to take the schema and the keys from instead of creating them (db_sync and the key set-up
   * take ~8 s of a ~10 s set-up). The first start that names it fills it, later ones copy it and run only bootstrap.
   * Every Keystone started from one seed shares its fernet and credential keys: never for a real deployment.
   */
  seedDir?: string;
  /** Paths of Debian's executables, for other layouts. */
  binaries?: Readonly<{ keystoneManage?: string; uwsgi?: string; wsgiPublic?: string; python?: string }>;
}>;

/** One command of the set-up, as an argument vector and the variables it needs. */
export type KeystoneStep = Readonly<{ name: string; argv: readonly string[]; env: Readonly<Record<string, string>> }>;

/** Everything a Keystone start consists of, computed without touching the machine. */
export type KeystonePlan = Readonly<{
  /** `http://host:port`: the identity endpoint without a version (clients append /v3). */
  url: string;
  configFile: string;
  database: string;
  /** keystone.conf and the empty policy directory. */
  files: readonly Readonly<{ path: string; content: string }>[];
  directories: readonly string[];
  /** Run once, in order, when the database does not exist yet (db_sync, WAL, fernet keys, credential keys, bootstrap). */
  setup: readonly KeystoneStep[];
  /** The long-running uWSGI process. */
  serve: KeystoneStep;
}>;

const DEFAULT_BINARIES = {
  keystoneManage: '/usr/bin/keystone-manage',
  uwsgi: '/usr/bin/uwsgi',
  wsgiPublic: '/usr/bin/keystone-wsgi-public',
  python: '/usr/bin/python3',
} as const;

/** The admin project's name: set explicitly, or Keystone reports every project as the admin project. */
export const KEYSTONE_ADMIN_PROJECT = 'admin';

/** The keystone.conf of a plan (pure). */
export function renderKeystoneConfig(o: Readonly<{ dir: string; passwordHashRounds?: number; tokenExpirationS?: number }>): string {
  const p = keystonePaths(o.dir);
  const lines = [
    '# Written by lbaas (libs/app-shell keystone-launcher); regenerated at every start.',
    '[DEFAULT]',
    'use_stderr = true',
    '[database]',
    `connection = sqlite:///${p.database}`,
    '[token]',
    'provider = fernet',
    ...(o.tokenExpirationS !== undefined ? [`expiration = ${o.tokenExpirationS}`] : []),
    '[fernet_tokens]',
    `key_repository = ${p.fernetKeys}`,
    '[fernet_receipts]',
    `key_repository = ${p.receiptKeys}`,
    '[credential]',
    `key_repository = ${p.credentialKeys}`,
    '[cache]',
    // Without it one validation recomputes roles many times and takes ~0.5 s; with it ~10 ms.
    'enabled = true',
    'backend = dogpile.cache.memory',
    '[identity]',
    ...(o.passwordHashRounds !== undefined ? [`password_hash_rounds = ${o.passwordHashRounds}`] : []),
    '[resource]',
    `admin_project_name = ${KEYSTONE_ADMIN_PROJECT}`,
    'admin_project_domain_name = Default',
    '[oslo_policy]',
    // Debian's /etc/keystone/policy.d must not apply; an empty directory of our own (an empty value means the cwd).
    `policy_file = ${p.policyFile}`,
    `policy_dirs = ${p.policyDir}`,
    '',
  ];
  return lines.join('\n');
}

/** Plans a Keystone start: files, set-up steps and the uWSGI command (pure). */
export function keystonePlan(o: KeystoneOptions): KeystonePlan {
  if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) throw new Error(`keystone: port must be 1..65535, got ${o.port}`);
  if (!o.adminPassword) throw new Error('keystone: an admin password is required');
  const host = o.host ?? '127.0.0.1';
  const bin = { ...DEFAULT_BINARIES, ...o.binaries };
  const p = keystonePaths(o.dir);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${o.port}`;
  const configEnv = { OS_KEYSTONE_CONFIG_FILES: p.configFile };
  const manage = (name: string, ...args: string[]): KeystoneStep => ({
    name, argv: [bin.keystoneManage, '--config-file', p.configFile, ...args], env: {},
  });
  const setup: KeystoneStep[] = [
    manage('db_sync', 'db_sync'),
    {
      name: 'wal',
      argv: [bin.python, '-c', 'import sqlite3,sys; m=sqlite3.connect(sys.argv[1]).execute("pragma journal_mode=wal").fetchone()[0]; sys.exit(m!="wal")', p.database],
      env: {},
    },
    manage('fernet_setup', 'fernet_setup', '--keystone-user', 'root', '--keystone-group', 'root'),
    manage('credential_setup', 'credential_setup', '--keystone-user', 'root', '--keystone-group', 'root'),
    {
      ...manage('bootstrap', 'bootstrap', '--bootstrap-username', 'admin', '--bootstrap-project-name', KEYSTONE_ADMIN_PROJECT,
        '--bootstrap-role-name', 'admin', '--bootstrap-region-id', o.region ?? 'RegionOne',
        '--bootstrap-admin-url', `${url}/v3`, '--bootstrap-internal-url', `${url}/v3`, '--bootstrap-public-url', `${url}/v3`),
      env: { OS_BOOTSTRAP_PASSWORD: o.adminPassword },
    },
  ];
  const serve: KeystoneStep = {
    name: 'uwsgi',
    argv: [
      bin.uwsgi, '--plugins', 'python3', '--http-socket', `${host.includes(':') ? `[${host}]` : host}:${o.port}`,
      '--wsgi-file', bin.wsgiPublic, '--need-app', '--master', '--processes', '1', '--threads', String(o.threads ?? 8),
      '--enable-threads', '--lazy-apps', '--die-on-term', '--no-orphans', '--buffer-size', '65535',
      '--worker-reload-mercy', '2', '--reload-mercy', '2', '--chdir', o.dir, '--disable-logging',
      // uWSGI's http-socket closes every connection after its response without saying so; clients that keep
      // connections alive then race the close (ECONNRESET). Its http11-socket keeps them, but one idle connection
      // holds a thread. So: say it.
      '--add-header', 'Connection: close',
    ],
    env: configEnv,
  };
  return {
    url,
    configFile: p.configFile,
    database: p.database,
    directories: [o.dir, p.fernetKeys, p.receiptKeys, p.credentialKeys, p.policyDir],
    files: [{ path: p.configFile, content: renderKeystoneConfig(o) }],
    setup,
    serve,
  };
}

function keystonePaths(dir: string) {
  return {
    configFile: join(dir, 'keystone.conf'),
    database: join(dir, 'keystone.db'),
    fernetKeys: join(dir, 'fernet-keys'),
    receiptKeys: join(dir, 'receipt-keys'),
    credentialKeys: join(dir, 'credential-keys'),
    policyDir: join(dir, 'policy.d'),
    policyFile: join(dir, 'policy.yaml'),
  };
}

/** A running Keystone started by launchKeystone(). */
export interface KeystoneProcess {
  /** `http://host:port` (append /v3 for the API). */
  readonly url: string;
  readonly dir: string;
  /** Process id of the uWSGI master (its workers share its process group), undefined while stopped. */
  readonly pid: number | undefined;
  /** True when this start created the database (db_sync, bootstrap); false when it reused the directory. */
  readonly created: boolean;
  /** Milliseconds the set-up steps and the start took. */
  readonly timings: Readonly<{ setupMs: number; startMs: number }>;
  /** Signals the whole process group (e.g. SIGSTOP/SIGCONT to make Keystone hang, for tests). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after 5 s; resolves when uWSGI exited. Idempotent. Keeps the directory. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port and directory (the database, keys and tokens survive). */
  restart(): Promise<void>;
  /** The last lines Keystone and uWSGI printed. */
  logs(): string;
}

/** Thrown when a set-up step fails or Keystone does not answer in time; the message carries its output. */
export class KeystoneStartFailed extends Error {
  constructor(message: string, readonly portInUse = false, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KeystoneStartFailed';
  }
}

const MAX_LINES = 300;
const live = new Set<ChildProcess>();
let exitHook = false;

/**
 * Creates the directory layout (first start only: db_sync, WAL, fernet and credential keys, bootstrap of `admin`),
 * then starts uWSGI and resolves once `GET /v3` answers 200. Needs root (the key repositories belong to root).
 */
export async function launchKeystone(o: KeystoneOptions): Promise<KeystoneProcess> {
  if (!exitHook) {
    exitHook = true;
    // A dying parent must not leave Keystone listening.
    process.once('exit', () => { for (const c of live) killGroup(c, 'SIGKILL'); });
  }
  const plan = keystonePlan(o);
  const lines: string[] = [];
  const file: WriteStream | undefined = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  const push = (chunk: Buffer) => {
    file?.write(chunk);
    for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(l);
    if (lines.length > MAX_LINES) lines.splice(0, lines.length - MAX_LINES);
  };
  const logs = () => lines.join('\n');
  const timeoutMs = o.startTimeoutMs ?? 60_000;

  const t0 = performance.now();
  for (const d of plan.directories) await mkdir(d, { recursive: true, mode: 0o700 });
  for (const f of plan.files) {
    await writeFile(f.path, f.content, { mode: 0o600 });
    await chmod(f.path, 0o600);
  }
  const created = !existsSync(plan.database);
  if (created) {
    // A seed stands for every step before bootstrap (bootstrap names the port and the admin password).
    const b = plan.setup.findIndex((step) => step.name === 'bootstrap');
    const [seedable, rest] = b < 0 ? [plan.setup, []] : [plan.setup.slice(0, b), plan.setup.slice(b)];
    if (!(o.seedDir && await copySeed(o.seedDir, o.dir))) {
      for (const step of seedable) await runStep(step, push, logs, timeoutMs);
      if (o.seedDir) await saveSeed(o.dir, o.seedDir);
    }
    for (const step of rest) await runStep(step, push, logs, timeoutMs);
  }
  const setupMs = performance.now() - t0;

  let child: ChildProcess | undefined;
  let stopping: Promise<void> | undefined;
  const start = async () => {
    child = await serve(plan, push, logs, timeoutMs);
    stopping = undefined;
  };
  const t1 = performance.now();
  try {
    await start();
  } catch (err) {
    file?.end();
    throw err;
  }
  const startMs = performance.now() - t1;

  const stop = () => {
    if (!child) return Promise.resolve();
    const c = child;
    stopping ??= terminate(c).then(() => { if (child === c) child = undefined; });
    return stopping;
  };
  return {
    url: plan.url,
    dir: o.dir,
    created,
    timings: { setupMs: Math.round(setupMs), startMs: Math.round(startMs) },
    get pid() { return child?.pid; },
    signal(sig) { if (child) killGroup(child, sig); },
    stop: async () => { await stop(); file?.end(); },
    async restart() {
      await stop();
      // The port was just released; another process may take it, but not for long on loopback in tests.
      for (let attempt = 1; ; attempt++) {
        try {
          await start();
          return;
        } catch (err) {
          if (!(err instanceof KeystoneStartFailed && err.portInUse) || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    logs,
  };
}

/** What a seed holds, relative to the Keystone directory: the database (and its WAL files, if any) and the key repositories. */
const seedEntries = async (dir: string) => [
  ...(await readdir(dir)).filter((f) => /^keystone\.db(-wal|-shm)?$/.test(f)), 'fernet-keys', 'receipt-keys', 'credential-keys',
];
const SEED_COMPLETE = '.complete';

/**
 * Copies a complete seed into `dir`; false when there is none (the caller then runs the set-up, and fills it), or when
 * it is not this user's alone (a seed lives in a shared temp directory: somebody else's keys are never taken).
 */
async function copySeed(seedDir: string, dir: string): Promise<boolean> {
  if (!existsSync(join(seedDir, SEED_COMPLETE))) return false;
  const st = await lstat(seedDir);
  if (!st.isDirectory() || st.uid !== process.getuid?.() || (st.mode & 0o077) !== 0) return false;
  for (const e of await seedEntries(seedDir)) await cp(join(seedDir, e), join(dir, e), { recursive: true, force: true });
  return true;
}

/** Saves `dir`'s schema and keys as a seed (written aside, then renamed: a seed is whole or absent). */
async function saveSeed(dir: string, seedDir: string): Promise<void> {
  const tmp = `${seedDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  for (const e of await seedEntries(dir)) await cp(join(dir, e), join(tmp, e), { recursive: true });
  await writeFile(join(tmp, SEED_COMPLETE), '');
  await rename(tmp, seedDir).catch(() => rm(tmp, { recursive: true, force: true })); // another start saved one first
}

function runStep(step: KeystoneStep, push: (b: Buffer) => void, logs: () => string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = step.argv;
    const c = spawn(cmd, args, { env: { ...process.env, ...step.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const t = setTimeout(() => c.kill('SIGKILL'), timeoutMs);
    c.stdout?.on('data', push);
    c.stderr?.on('data', push);
    c.once('error', (err) => { clearTimeout(t); reject(new KeystoneStartFailed(`keystone: cannot run ${cmd} (is Debian's keystone package installed? scripts/install.sh --tests)`, false, { cause: err })); });
    c.once('exit', (code, signal) => {
      clearTimeout(t);
      if (code === 0) resolve();
      else reject(new KeystoneStartFailed(`keystone: set-up step ${step.name} failed (code ${code}, signal ${signal}):\n${logs().split('\n').slice(-30).join('\n')}`));
    });
  });
}

async function serve(plan: KeystonePlan, push: (b: Buffer) => void, logs: () => string, timeoutMs: number): Promise<ChildProcess> {
  const [cmd, ...args] = plan.serve.argv;
  // Its own process group: stop() and signal() reach the master and its worker alike.
  const child = spawn(cmd, args, { env: { ...process.env, ...plan.serve.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.stdout?.on('data', push);
  child.stderr?.on('data', push);
  let exited = false;
  let spawnError: Error | undefined;
  child.once('error', (err) => { spawnError = err; exited = true; });
  child.once('exit', () => { exited = true; live.delete(child); });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) {
      const out = logs();
      throw new KeystoneStartFailed(
        spawnError ? `keystone: cannot run ${cmd}: ${spawnError.message}` : `keystone: uWSGI exited before Keystone answered:\n${out.split('\n').slice(-30).join('\n')}`,
        /Address already in use/.test(out), { cause: spawnError });
    }
    if (Date.now() > deadline) {
      killGroup(child, 'SIGKILL');
      throw new KeystoneStartFailed(`keystone: no answer on ${plan.url}/v3 within ${timeoutMs} ms:\n${logs().split('\n').slice(-30).join('\n')}`);
    }
    try {
      const res = await fetch(`${plan.url}/v3`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const hard = setTimeout(() => killGroup(child, 'SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(hard);
      // Workers of an exited master die with it (--no-orphans); make sure of it.
      try { if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL'); } catch { /* the group is gone */ }
      resolve();
    });
    // A stopped (SIGSTOP) Keystone must be continued to handle SIGTERM.
    killGroup(child, 'SIGCONT');
    killGroup(child, 'SIGTERM');
  });
}
