import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  bootstrapNats, freePort, startAppProcess, startNatsServer, startNatsServerWithIdentities,
  type AppProcess, type NatsServer, type NatsServerWithIdentities,
} from '@lbaas/testing';

const run = promisify(execFile);
const ROOT = resolve(__dirname, '../..');
const entry = (app: string) => join(ROOT, 'apps', app, 'dist', 'main.js');

/** The whole system as real processes: nats-server, api, scheduler, failover-watcher and agents (built apps in dist/). */
export type Stack = {
  nats: NatsServer;
  /** With `identities`: the identities (and TLS certificates) every app connects with. */
  secure?: NatsServerWithIdentities;
  apiUrl: string;
  procs: Map<string, AppProcess>;
  agentIds: string[];
  /** Starts (again) one agent by id. */
  startAgent(agentId: string): Promise<AppProcess>;
  /** Stops one app (api, scheduler, failover-watcher or an agent id) and starts it again with the same settings. */
  restart(name: string): Promise<AppProcess>;
  /** Everything one app logged (its log file, across restarts). */
  log(name: string): string;
  stop(): Promise<void>;
};

export type StackOptions = {
  runId: string;
  physicalNetwork: string;
  bridge: string;
  agents: number;
  projectId?: string;
  env?: Record<string, string>;
  /** Every app connects with its own NATS identity from the permission table (and, with tls, TLS + client certs). */
  identities?: { tls: boolean };
  /** The api's own variables over the defaults (e.g. AUTH_STRATEGY=keystone and its KEYSTONE_* settings). */
  apiEnv?: Record<string, string>;
  /** Runs on the fresh nats-server before any app starts (e.g. `lbaasctl dr import` of a backup). */
  beforeApps?: (nats: NatsServer) => Promise<void>;
};

/** Starts every app of the system as a process, each logging JSON to a temp dir (printed on failure). */
export async function startStack(o: StackOptions): Promise<Stack> {
  const home = mkdtempSync(join(tmpdir(), `lbaas-e2e-${o.runId}-`));
  const agentIds = Array.from({ length: o.agents }, (_, i) => `e2e${o.runId}-${String.fromCharCode(97 + i)}`);
  const secure = o.identities ? await startNatsServerWithIdentities({ agents: agentIds, tls: o.identities.tls }) : undefined;
  const nats = secure?.server ?? await startNatsServer();
  const apiPort = await freePort();
  const procs = new Map<string, AppProcess>();
  const specs = new Map<string, { app: string; env: Record<string, string> }>();
  const common = { NATS_URL: nats.url, LOG_LEVEL: 'info', ...o.env };
  const identityOf = (app: string, env: Record<string, string>) => (app === 'agent' ? `agent-${env.AGENT_ID}` : app);
  const start = async (name: string, app: string, env: Record<string, string>) => {
    specs.set(name, { app, env });
    const p = await startAppProcess({
      name, command: [process.execPath, entry(app)], env: { ...common, ...secure?.env(identityOf(app, env)), ...env },
      logFile: join(home, `${name}.log`), startTimeoutMs: 60_000,
    });
    procs.set(name, p);
    return p;
  };
  const agentEnv = (id: string) => ({
    AGENT_ID: id, HOST_NAME: `host-${id}`, BRIDGE_MAPPINGS: `${o.physicalNetwork}:${o.bridge}`,
    STATE_DIR: join(home, 'agents', id), RUN_DIR: `/run/lbaas-e2e/${id}`,
  });
  const stack: Stack = {
    nats, secure, apiUrl: `http://127.0.0.1:${apiPort}`, procs, agentIds,
    startAgent: (id) => start(id, 'agent', agentEnv(id)),
    log: (name) => { try { return readFileSync(join(home, `${name}.log`), 'utf8'); } catch { return ''; } },
    async restart(name) {
      const spec = specs.get(name);
      if (!spec) throw new Error(`no app ${name} in this stack`);
      await procs.get(name)?.stop();
      return start(name, spec.app, spec.env);
    },
    async stop() {
      for (const id of agentIds) await procs.get(id)?.stop();
      for (const id of agentIds) {
        await run(process.execPath, [entry('agent'), '--cleanup'], { env: { ...process.env, ...common, ...agentEnv(id) } }).catch(() => undefined);
      }
      for (const [, p] of procs) await p.stop();
      await (secure ?? nats).stop();
      if (!process.env.KEEP_E2E_LOGS) rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    await o.beforeApps?.(nats);
    // The operator's step: the apps wait for the stream, they never create it.
    await bootstrapNats(nats.url, { options: secure?.options('operator') });
    await start('api', 'api', { API_HOST: '127.0.0.1', API_PORT: String(apiPort), DEFAULT_PROJECT_ID: o.projectId ?? 'e2e-project', AUTH_STRATEGY: 'noauth', ...o.apiEnv });
    await start('scheduler', 'scheduler', {});
    await start('failover-watcher', 'failover-watcher', {});
    for (const id of agentIds) await stack.startAgent(id);
  } catch (err) {
    await stack.stop().catch(() => undefined);
    throw err;
  }
  return stack;
}

/** A JSON answer from the API: status and parsed body (null for an empty body). */
export type ApiAnswer<T = any> = { status: number; body: T };

/** A tiny client for the API under test. */
export function apiClient(baseUrl: string, headers: Record<string, string> = {}) {
  const call = async <T = any>(method: string, path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const res = await fetch(baseUrl + path, {
      method, headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };
  return {
    call,
    get: <T = any>(p: string) => call<T>('GET', p),
    post: <T = any>(p: string, b: unknown) => call<T>('POST', p, b),
    put: <T = any>(p: string, b: unknown) => call<T>('PUT', p, b),
    del: <T = any>(p: string) => call<T>('DELETE', p),
    /** Polls GET `path` until `ok(body)`; throws with the last body after `timeoutMs`. */
    async waitFor<T = any>(path: string, ok: (body: T, status: number) => boolean, timeoutMs = 20_000): Promise<T> {
      const t0 = Date.now();
      for (;;) {
        const r = await call<T>('GET', path);
        if (ok(r.body, r.status)) return r.body;
        if (Date.now() - t0 > timeoutMs) throw new Error(`GET ${path}: condition not met within ${timeoutMs} ms; last ${r.status} ${JSON.stringify(r.body)}`);
        await new Promise((res) => setTimeout(res, 100));
      }
    },
  };
}
export type ApiClient = ReturnType<typeof apiClient>;

/**
 * POSTs `{ [rootKey]: body }` to `path` (a 201, or it throws with the answer), waits for `settled` (e.g. the load
 * balancer ACTIVE again) and returns the new object's id: the step every top-down tree build in the e2e tests repeats.
 */
export async function createAndSettle(
  api: ApiClient, path: string, rootKey: string, body: Record<string, unknown>, settled: () => Promise<unknown>,
): Promise<string> {
  const r = await api.post(path, { [rootKey]: body });
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  await settled();
  return r.body[rootKey].id;
}
