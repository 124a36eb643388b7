import { renameSync, writeFileSync } from 'node:fs';
import { startAppProcess, type AppProcess, type AppProcessSpec } from '@lbaas/app-shell';

/** One process the supervisor keeps running. */
export type SupervisedApp = Readonly<{
  spec: AppProcessSpec;
  /** What it is: nats-server, api, scheduler, failover-watcher, agent. */
  role: string;
  /** Delay before the first restart after a crash (doubles for every crash in a row, up to `maxDelayMs`). */
  restartDelayMs?: number;
  /** Where its /metrics, /livez and /readyz are (lbaasctl status reads them). */
  metricsPort?: number;
}>;

/** What `lbaasctl status` shows about one process. */
export type ProcessStatus = Readonly<{
  name: string;
  role: string;
  pid: number | null;
  running: boolean;
  restarts: number;
  /** ISO time of the current (or last) start. */
  startedAt: string;
  lastExit: Readonly<{ code: number | null; signal: string | null; at: string; afterMs: number }> | null;
  /** ISO time of the next restart while one is scheduled. */
  restartAt: string | null;
  metricsPort: number | null;
}>;

/** The status file the supervisor keeps (`<home>/supervisor.json`). */
export type SupervisorStatus = Readonly<{ supervisorPid: number; startedAt: string; updatedAt: string; extra: Record<string, unknown>; processes: ProcessStatus[] }>;

export type SupervisorOptions = Readonly<{
  /** One line per event (started, exited, restarting, gave up). */
  say: (line: string) => void;
  /** Written (atomically) after every change, for `lbaasctl status`. */
  statusFile?: string;
  /** Facts for the status file (API URL, NATS URL, ...). */
  extra?: Record<string, unknown>;
  /** Default first restart delay (1000 ms). */
  restartDelayMs?: number;
  /** Largest restart delay (30000 ms). */
  maxDelayMs?: number;
  /** A process that ran this long before it crashed starts its backoff over (60000 ms). */
  stableAfterMs?: number;
  /** How a process is started (tests may count); default startAppProcess. */
  start?: (spec: AppProcessSpec) => Promise<AppProcess>;
}>;

type Entry = {
  app: SupervisedApp;
  proc: AppProcess | null;
  restarts: number;
  /** Crashes in a row (reset after a stable run): the backoff exponent. */
  streak: number;
  startedAt: number;
  lastExit: ProcessStatus['lastExit'];
  timer: NodeJS.Timeout | null;
  restartAt: number | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Keeps the embedded stack's processes running: a process that exits while the stack is up is started again after a
 * delay that doubles with every crash in a row (1 s, 2 s, 4 s ... 30 s; back to the start after a minute of running),
 * and every exit and restart is said. Only stopAll() (Ctrl-C) ends supervision; it never restarts anything after.
 */
export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private readonly startedAt = Date.now();

  constructor(private readonly o: SupervisorOptions) {}

  get stopping(): boolean {
    return this.stopped;
  }

  /** Starts `app` (waits until it is ready; throws if this first start fails) and supervises it from then on. */
  async add(app: SupervisedApp): Promise<AppProcess> {
    const name = app.spec.name;
    if (this.entries.has(name)) throw new Error(`${name} is supervised already`);
    const proc = await (this.o.start ?? startAppProcess)(app.spec);
    const e: Entry = { app, proc, restarts: 0, streak: 0, startedAt: Date.now(), lastExit: null, timer: null, restartAt: null };
    this.entries.set(name, e);
    this.watch(e, proc);
    this.save();
    return proc;
  }

  /** The process now running under `name` (a restart replaces it). */
  process(name: string): AppProcess | null {
    return this.entries.get(name)?.proc ?? null;
  }

  status(): ProcessStatus[] {
    return [...this.entries.values()].map((e) => ({
      name: e.app.spec.name, role: e.app.role, pid: e.proc?.running ? e.proc.pid ?? null : null, running: !!e.proc?.running,
      restarts: e.restarts, startedAt: iso(e.startedAt), lastExit: e.lastExit, restartAt: e.restartAt === null ? null : iso(e.restartAt),
      metricsPort: e.app.metricsPort ?? null,
    }));
  }

  /**
   * Ends supervision and stops every process, in `order` (names; the rest after, in reverse start order). A process
   * that is between restarts is not started again. Never throws: every stop is tried.
   */
  async stopAll(stopOne: (p: AppProcess, e: SupervisedApp) => Promise<void> = (p) => p.stop('SIGTERM')): Promise<void> {
    this.stopped = true;
    for (const e of this.entries.values()) if (e.timer) { clearTimeout(e.timer); e.timer = null; e.restartAt = null; }
    for (const e of [...this.entries.values()].reverse()) {
      if (!e.proc?.running) continue;
      await stopOne(e.proc, e.app).catch((err: unknown) => this.o.say(`stopping ${e.app.spec.name} failed: ${String(err)}`));
    }
    this.save();
  }

  /** Stops the named processes first (e.g. agents, before their cleanup), without restarting them. */
  async stopSome(names: readonly string[], stopOne: (p: AppProcess) => Promise<void> = (p) => p.stop('SIGTERM')): Promise<void> {
    this.stopped = true;
    await Promise.all(names.map(async (n) => {
      const e = this.entries.get(n);
      if (e?.timer) { clearTimeout(e.timer); e.timer = null; e.restartAt = null; }
      if (e?.proc?.running) await stopOne(e.proc).catch((err: unknown) => this.o.say(`stopping ${n} failed: ${String(err)}`));
    }));
    this.save();
  }

  private watch(e: Entry, proc: AppProcess): void {
    void proc.exited.then(() => {
      if (e.proc !== proc) return;
      const ranMs = Date.now() - e.startedAt;
      const st = proc.exitStatus;
      e.lastExit = { code: st?.code ?? null, signal: st?.signal ?? null, at: iso(Date.now()), afterMs: ranMs };
      if (this.stopped) { this.save(); return; }
      if (ranMs >= (this.o.stableAfterMs ?? 60_000)) e.streak = 0;
      this.schedule(e, `${e.app.spec.name} exited (${st?.signal ? `signal ${st.signal}` : `code ${st?.code}`}) after ${(ranMs / 1000).toFixed(1)} s`);
    });
  }

  private schedule(e: Entry, why: string): void {
    const first = e.app.restartDelayMs ?? this.o.restartDelayMs ?? 1_000;
    const delay = Math.min(first * 2 ** e.streak, Math.max(first, this.o.maxDelayMs ?? 30_000));
    e.streak++;
    e.restartAt = Date.now() + delay;
    this.o.say(`${why}; restarting it in ${(delay / 1000).toFixed(1)} s (restart #${e.restarts + 1}; its log: ${e.app.spec.logFile ?? 'in memory'})`);
    e.timer = setTimeout(() => void this.restart(e), delay);
    this.save();
  }

  private async restart(e: Entry): Promise<void> {
    e.timer = null;
    e.restartAt = null;
    if (this.stopped) return;
    e.restarts++;
    e.startedAt = Date.now();
    try {
      const proc = await (this.o.start ?? startAppProcess)(e.app.spec);
      if (this.stopped) { await proc.stop('SIGTERM'); return; }
      e.proc = proc;
      this.o.say(`${e.app.spec.name} restarted (pid ${proc.pid}, restart #${e.restarts})`);
      this.watch(e, proc);
      this.save();
    } catch (err) {
      if (this.stopped) return;
      this.schedule(e, `${e.app.spec.name} did not start again (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`);
    }
  }

  private save(): void {
    if (!this.o.statusFile) return;
    const s: SupervisorStatus = {
      supervisorPid: process.pid, startedAt: iso(this.startedAt), updatedAt: iso(Date.now()), extra: this.o.extra ?? {}, processes: this.status(),
    };
    try {
      writeFileSync(`${this.o.statusFile}.tmp`, `${JSON.stringify(s, null, 2)}\n`);
      renameSync(`${this.o.statusFile}.tmp`, this.o.statusFile);
    } catch {
      // the status file is a convenience: a full disk must not stop supervision
    }
  }
}
