import { EVENT_STREAM, type Actor } from '@lbaas/contracts';
import { agent as agentDecider, loadBalancer } from '@lbaas/domain';
import { bootstrapEventStore, handle, jetStreamEventStore, runProjection, type EventStore, type Projection } from '@lbaas/event-store';
import { evolveCatalog, initialCatalog, type Catalog } from '@lbaas/projections';
import { SecretStore } from '@lbaas/secret-store';
import { natsServerPerFile, type NatsServerPerFile } from '@lbaas/testing';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { randomBytes, randomUUID } from 'node:crypto';
import pino, { type Logger } from 'pino';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiApp, type ApiDeps } from './app';
import { loadConfig } from './config';
import { streamHealth } from './health/health';

/** An answer as the tests read it: the body parsed when it is JSON. */
export type Reply = { status: number; body: any; headers: Record<string, unknown>; raw: string };

/** The api in-process against this file's real nats-server, and what the tests do around it. */
export type ApiHarness = {
  readonly nats: NatsServerPerFile;
  readonly app: NestFastifyApplication;
  readonly store: EventStore;
  readonly projection: Projection;
  readonly catalog: Catalog;
  /** HTTP through Fastify's inject; a string body is sent as it is (malformed JSON). */
  api(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Reply>;
  /** What the hosting agent does: (be placed and) report the tree's latest desired version applied, so it is ACTIVE. */
  converge(lbId: string): Promise<void>;
  /** The stream's last sequence (a test that expects nothing stored compares it). */
  lastSeq(): Promise<number>;
  /**
   * Another api app on the same NATS and view, configured by `env` (e.g. AUTH_STRATEGY=keystone); closed in afterAll.
   * Call it in a beforeAll after the harness's own.
   */
  startApp(env: Record<string, string>, deps?: Partial<ApiDeps>): Promise<{ app: NestFastifyApplication; api: ApiHarness['api'] }>;
};

/** The environment of an api validating tokens with the test Keystone `ks` (its service user's password in a file). */
export function keystoneEnv(ks: { url: string; users: { lbaas: { password: string } } }, extra: Record<string, string> = {}): Record<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-api-ks-'));
  const file = join(dir, 'service-password');
  writeFileSync(file, `${ks.users.lbaas.password}\n`, { mode: 0o600 });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { AUTH_STRATEGY: 'keystone', KEYSTONE_URL: ks.url, KEYSTONE_SERVICE_PASSWORD_FILE: file, ...extra };
}

type Inject = (opts: InjectOptions) => Promise<LightMyRequestResponse>;
const caller = (inject: Inject): ApiHarness['api'] => async (method, url, body, headers = {}) => {
  const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await inject({
    method: method as 'GET', url, payload, headers: { ...(payload !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
  });
  let parsed: unknown = null;
  try { parsed = res.body ? JSON.parse(res.body) : null; } catch { parsed = res.body; }
  return { status: res.statusCode, body: parsed, headers: res.headers, raw: res.body };
};

export const now = (): string => new Date().toISOString();

/**
 * Starts the api for this test file (beforeAll; stopped in afterAll): a real nats-server, the event stream, the
 * Catalog fed by the projection runner, one registered agent, optionally a secret store. No agent process runs: the
 * test plays the agent by reporting DesiredStateApplied through the load-balancer decider, as the hosting agent would.
 */
export function apiHarness(opts: {
  agentId: string; host?: string; logger?: Logger; secrets?: boolean;
  /** The api's environment; a function is called in beforeAll (e.g. once a test Keystone is up). */
  env?: Record<string, string> | (() => Record<string, string>);
}): ApiHarness {
  const nats = natsServerPerFile();
  const agentActor: Actor = { kind: 'service', service: `agent:${opts.agentId}` };
  const h = { nats } as { -readonly [K in keyof ApiHarness]: ApiHarness[K] };
  const extra: NestFastifyApplication[] = [];
  let secrets: SecretStore | null = null;
  const depsFor = (env: Record<string, string>): ApiDeps => {
    const waitFor = (seq: number, ms?: number) => h.projection.waitFor(seq, ms);
    return {
      config: loadConfig({ NATS_URL: nats.url, API_BASE_URI: 'http://127.0.0.1:9876', ...env }), store: h.store, clock: { now },
      logger: opts.logger ?? pino({ level: 'silent' }), secrets, view: { catalog: h.catalog, waitFor }, health: streamHealth(nats.connection, waitFor),
    };
  };

  beforeAll(async () => {
    await bootstrapEventStore(nats.connection); // the operator's step: stream, secrets bucket, snapshot store
    h.store = jetStreamEventStore(nats.connection);
    h.catalog = initialCatalog();
    h.projection = await runProjection(nats.connection, { onCommit: (c) => evolveCatalog(h.catalog, c) });
    secrets = opts.secrets ? await SecretStore.open(nats.connection, randomBytes(32)) : null;
    h.app = await createApiApp(depsFor(typeof opts.env === 'function' ? opts.env() : opts.env ?? {}));
    await handle(h.store, { aggregate: 'agent', id: opts.agentId }, agentDecider, {
      type: 'RegisterAgent', data: { agentId: opts.agentId, host: opts.host ?? `host-${opts.agentId}`, bridgeMappings: { physnet1: 'br-lb' }, leaseMs: 10_000 },
      metadata: { commandId: randomUUID(), now: now() },
    }, agentActor).then((r) => h.projection.waitFor(r.seq));
  }, 60_000);

  afterAll(async () => {
    for (const app of extra) await app.close();
    await h.app?.close();
    await h.projection?.stop();
  });

  h.api = (method, url, body, headers) => caller((o) => h.app.inject(o))(method, url, body, headers);
  h.startApp = async (env, deps = {}) => {
    const app = await createApiApp({ ...depsFor(env), ...deps });
    extra.push(app);
    return { app, api: caller((o) => app.inject(o)) };
  };

  h.converge = async (lbId) => {
    const stream = { aggregate: 'lb' as const, id: lbId };
    let lb = h.catalog.loadBalancers.lbs.get(lbId);
    if (!lb) return;
    if (!lb.placement) {
      const placed = await handle(h.store, stream, loadBalancer, {
        type: 'PlaceLoadBalancer', data: { lbId, agentId: opts.agentId, expectedEpoch: 0, reason: 'initial' }, metadata: { commandId: randomUUID(), now: now() },
      }, { kind: 'service', service: 'scheduler' });
      await h.projection.waitFor(placed.seq);
      lb = h.catalog.loadBalancers.lbs.get(lbId);
      if (!lb?.placement) throw new Error('placement did not reach the view');
    }
    const applied = await handle(h.store, stream, loadBalancer, {
      type: 'ReportApplied', data: { lbId, agentId: opts.agentId, epoch: lb.placement.epoch, version: lb.version }, metadata: { commandId: randomUUID(), now: now() },
    }, agentActor);
    await h.projection.waitFor(applied.seq);
  };

  h.lastSeq = async () => (await (await nats.connection.jetstreamManager()).streams.info(EVENT_STREAM)).state.last_seq;
  return h;
}
