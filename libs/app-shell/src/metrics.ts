import { createServer, type Server } from 'node:http';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics and health endpoints, one registry and one small HTTP server per app process (its own port:
 * METRICS_PORT). Names start with `lbaas_`; every series carries `app` (and `instance` where one host runs several,
 * e.g. agents). docs/deploy.md lists the ports and deploy/monitoring/ has the alert rules and a dashboard.
 */

/** Where an app serves /metrics, /livez and /readyz; null = off (METRICS_PORT unset, 0 or "off"). */
export type MetricsConfig = Readonly<{ host: string; port: number }> | null;

/** Reads METRICS_PORT (1..65535; unset, 0 or `off` = no metrics server) and METRICS_HOST (default 127.0.0.1). */
export function readMetricsConfig(env: Record<string, string | undefined>, r: { problems: string[] }): MetricsConfig {
  const raw = (env.METRICS_PORT ?? '').trim();
  if (raw === '' || raw === '0' || raw.toLowerCase() === 'off') return null;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    r.problems.push(`METRICS_PORT must be a port (1..65535), 0 or off, got ${JSON.stringify(raw)}`);
    return null;
  }
  const host = env.METRICS_HOST || '127.0.0.1';
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) r.problems.push(`METRICS_HOST must be an address, got ${JSON.stringify(host)}`);
  return { host, port };
}

/** One health verdict: ok, and the checks it was made of (shown as JSON on /livez and /readyz). */
export type HealthVerdict = Readonly<{ ok: boolean; checks: Readonly<Record<string, unknown>> }>;

/** An append as the event-store observer reports it (structurally libs/event-store's AppendObservation). */
type Append = Readonly<{ aggregate: string; outcome: string; seconds: number; commit: { events: readonly { type: string }[] }; reason?: string }>;

/** The stream head as libs/event-store's watchStreamHead reports it. */
type Head = Readonly<{
  lastSeq: number | null; seenAt: number | null; failures: number; errors: number;
  replicas?: Readonly<{ configured: number; current: number; lagging: number; offline: number }> | null;
}>;

/** Failure reasons of appends that are counted from the start (libs/event-store appendFailureReason has them all). */
const APPEND_FAULTS = ['insufficient_storage', 'no_leader', 'timeout', 'disconnected', 'unavailable'];

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The registry of one app process with the metrics every app has: NATS, event store, projections, readiness. */
export class AppMetrics {
  readonly registry = new Registry();
  private readonly natsConnected: Gauge;
  private readonly natsEvents: Counter;
  private readonly appends: Counter;
  private readonly appendSeconds: Histogram;
  private readonly eventsAppended: Counter;
  private readonly appendErrors: Counter;
  private readonly reads: Counter;
  private readonly readSeconds: Histogram;
  private readonly views = new Map<string, () => number>();
  private head: (() => Head) | null = null;
  private ready: (() => HealthVerdict) | null = null;
  private natsUp = false;

  constructor(readonly app: string, labels: Readonly<Record<string, string>> = {}) {
    this.registry.setDefaultLabels({ app, ...labels });
    collectDefaultMetrics({ register: this.registry, prefix: 'lbaas_' }); // lbaas_process_*, lbaas_nodejs_*
    const r = [this.registry];
    this.natsConnected = new Gauge({ name: 'lbaas_nats_connected', help: '1 while the NATS connection is up, 0 while it is disconnected or closed', registers: r });
    this.natsEvents = new Counter({ name: 'lbaas_nats_connection_events_total', help: 'NATS connection state changes (disconnect, reconnect, error, ldm = a server entered lame-duck mode)', labelNames: ['event'], registers: r });
    this.appends = new Counter({ name: 'lbaas_event_store_appends_total', help: 'Commits this process tried to append, by aggregate and outcome (ok, conflict, unavailable, error)', labelNames: ['aggregate', 'outcome'], registers: r });
    this.appendSeconds = new Histogram({ name: 'lbaas_event_store_append_seconds', help: 'Append latency (including the store\'s own retries), by aggregate', labelNames: ['aggregate'], buckets: SECONDS, registers: r });
    this.eventsAppended = new Counter({ name: 'lbaas_event_store_events_appended_total', help: 'Events in commits this process appended, by event type', labelNames: ['type'], registers: r });
    this.appendErrors = new Counter({ name: 'lbaas_event_store_append_errors_total', help: 'Appends that failed, by reason (insufficient_storage: the leader\'s store is full; no_leader: no stream leader or quorum; timeout; disconnected; unavailable; conflict; too_large; other)', labelNames: ['reason'], registers: r });
    for (const reason of APPEND_FAULTS) this.appendErrors.inc({ reason }, 0);
    this.reads = new Counter({ name: 'lbaas_event_store_reads_total', help: 'Aggregate reads, by aggregate and outcome', labelNames: ['aggregate', 'outcome'], registers: r });
    this.readSeconds = new Histogram({ name: 'lbaas_event_store_read_seconds', help: 'Aggregate read latency', labelNames: ['aggregate'], buckets: SECONDS, registers: r });
    for (const e of ['disconnect', 'reconnect', 'error', 'ldm']) this.natsEvents.inc({ event: e }, 0);
    const self = this;
    new Gauge({ name: 'lbaas_projection_applied_seq', help: 'Last stream sequence the view has applied', labelNames: ['view'], registers: r,
      collect() { this.reset(); for (const [view, seq] of self.views) this.set({ view }, seq()); } });
    new Gauge({ name: 'lbaas_projection_lag', help: 'Commits the view is behind the stream head (as last seen)', labelNames: ['view'], registers: r,
      collect() {
        this.reset();
        const last = self.head?.().lastSeq;
        if (last == null) return;
        for (const [view, seq] of self.views) this.set({ view }, Math.max(0, last - seq()));
      } });
    new Gauge({ name: 'lbaas_stream_last_seq', help: 'The event stream\'s last sequence, as this process last saw it', registers: r,
      collect() { const last = self.head?.().lastSeq; if (last != null) this.set(last); } });
    new Gauge({ name: 'lbaas_stream_head_age_seconds', help: 'Seconds since this process last learnt the stream head (grows while the stream has no leader)', registers: r,
      collect() { const at = self.head?.().seenAt; if (at != null) this.set((performance.now() - at) / 1000); } });
    new Gauge({ name: 'lbaas_stream_head_failures', help: 'Consecutive failed looks at the stream head (0 = the stream answers)', registers: r,
      collect() { this.set(self.head?.().failures ?? 0); } });
    // The stream's health as its leader reports it (stream info, looked at with the head): no leader, replicas behind or gone.
    new Gauge({ name: 'lbaas_stream_leader_known', help: '1 when the last look at the event stream got an answer from its leader, 0 when it did not (election, no quorum)', registers: r,
      collect() { const h = self.head?.(); if (h) this.set(h.seenAt !== null && h.failures === 0 ? 1 : 0); } });
    new Gauge({ name: 'lbaas_stream_replicas', help: 'Replicas of the event stream by state, as its leader last said: current, lagging (up but behind: catching up, or its store is full), offline (its node is down or refuses)', labelNames: ['state'], registers: r,
      collect() {
        this.reset();
        const rs = self.head?.().replicas;
        if (!rs) return;
        for (const state of ['current', 'lagging', 'offline'] as const) this.set({ state }, rs[state]);
        this.set({ state: 'configured' }, rs.configured);
      } });
    new Gauge({ name: 'lbaas_ready', help: '1 when the app is ready (connected, caught up with the stream), else 0', registers: r,
      collect() { this.set(self.ready?.().ok ? 1 : 0); } });
    // Leases and heartbeat silence are timed on the monotonic clock; this shows when the wall clock moved against it.
    const wall0 = Date.now();
    const mono0 = performance.now();
    new Gauge({ name: 'lbaas_wall_clock_offset_seconds', help: 'How far the wall clock moved against the monotonic clock since the start (a clock jump or step; NTP slewing stays near 0)', registers: r,
      collect() { this.set((Date.now() - wall0 - (performance.now() - mono0)) / 1000); } });
  }

  /** Follows a connection's state: connected gauge, disconnects, reconnects, errors, lame-duck notices. */
  watchNats(nc: NatsConnection): void {
    this.natsUp = !nc.isClosed();
    this.natsConnected.set(this.natsUp ? 1 : 0);
    void (async () => {
      for await (const s of nc.status()) {
        const t = String(s.type);
        if (t === 'disconnect' || t === 'reconnect') {
          this.natsUp = t === 'reconnect';
          this.natsConnected.set(this.natsUp ? 1 : 0);
        }
        if (t === 'disconnect' || t === 'reconnect' || t === 'error' || t === 'ldm') this.natsEvents.inc({ event: t });
      }
    })().catch(() => undefined);
    void nc.closed().then(() => { this.natsUp = false; this.natsConnected.set(0); });
  }

  /** Whether the watched NATS connection is up now. */
  natsConnectedNow(): boolean {
    return this.natsUp;
  }

  /** The observer to give observedEventStore (libs/event-store): append and read counts and latencies. */
  readonly eventStore = {
    appended: (o: Append): void => {
      this.appends.inc({ aggregate: o.aggregate, outcome: o.outcome });
      this.appendSeconds.observe({ aggregate: o.aggregate }, o.seconds);
      if (o.outcome !== 'ok') this.appendErrors.inc({ reason: o.reason ?? 'other' });
      if (o.outcome === 'ok') for (const e of o.commit.events) this.eventsAppended.inc({ type: e.type });
    },
    read: (o: Readonly<{ aggregate: string; ok: boolean; seconds: number }>): void => {
      this.reads.inc({ aggregate: o.aggregate, outcome: o.ok ? 'ok' : 'error' });
      this.readSeconds.observe({ aggregate: o.aggregate }, o.seconds);
    },
  };

  /** A view this process keeps (its applied sequence) and where the stream head comes from: lag gauges. */
  trackProjection(view: string, appliedSeq: () => number, head: () => Head): void {
    this.views.set(view, appliedSeq);
    this.head = head;
  }

  /** What /readyz answers (also the lbaas_ready gauge). */
  setReadiness(ready: () => HealthVerdict): void {
    this.ready = ready;
  }

  readiness(): HealthVerdict {
    return this.ready?.() ?? { ok: false, checks: { started: false } };
  }

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return new Counter({ name, help, labelNames: [...labelNames], registers: [this.registry] });
  }

  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: (g: Gauge) => void): Gauge {
    return new Gauge({ name, help, labelNames: [...labelNames], registers: [this.registry], ...(collect ? { collect() { collect(this); } } : {}) });
  }

  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets: readonly number[] = SECONDS): Histogram {
    return new Histogram({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [this.registry] });
  }
}

/**
 * The usual readiness of an app with a view: NATS connected, the stream head seen recently, and the view no more
 * than `maxLag` commits behind it. `extra` adds the app's own checks (replayed, listening, ...).
 */
export function viewReadiness(o: {
  connected: () => boolean; appliedSeq: () => number; head: () => Head; maxLag?: number; maxHeadAgeMs?: number;
  extra?: () => Record<string, boolean>;
}): () => HealthVerdict {
  return () => {
    const h = o.head();
    const applied = o.appliedSeq();
    const connected = o.connected();
    const headAgeMs = h.seenAt === null ? null : Math.round(performance.now() - h.seenAt);
    const lag = h.lastSeq === null ? null : Math.max(0, h.lastSeq - applied);
    const headFresh = headAgeMs !== null && headAgeMs <= (o.maxHeadAgeMs ?? 15_000);
    const caughtUp = lag !== null && lag <= (o.maxLag ?? 100);
    const extra = o.extra?.() ?? {};
    return {
      ok: connected && headFresh && caughtUp && Object.values(extra).every(Boolean),
      checks: { natsConnected: connected, streamHeadFresh: headFresh, caughtUp, streamHeadAgeMs: headAgeMs, streamLastSeq: h.lastSeq, appliedSeq: applied, lag, ...extra },
    };
  };
}

/** Serves /metrics (Prometheus text format), /livez and /readyz (200 or 503 with the checks as JSON). */
export async function startMetricsServer(o: {
  config: Exclude<MetricsConfig, null>; metrics: AppMetrics; logger: Logger; live?: () => HealthVerdict;
}): Promise<{ port: number; close(): Promise<void> }> {
  const live = o.live ?? (() => ({ ok: true, checks: { eventLoop: true } }));
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'method not allowed\n');
    if (path === '/metrics') {
      o.metrics.registry.metrics().then((text) => send(200, o.metrics.registry.contentType, text),
        (err: unknown) => send(500, 'text/plain', `metrics failed: ${String(err)}\n`));
      return;
    }
    if (path === '/livez' || path === '/readyz') {
      const v = path === '/livez' ? live() : o.metrics.readiness();
      return send(v.ok ? 200 : 503, 'application/json', `${JSON.stringify({ status: v.ok ? 'ok' : 'unavailable', app: o.metrics.app, ...v.checks })}\n`);
    }
    send(404, 'text/plain', 'not found: /metrics, /livez, /readyz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.config.port, o.config.host, () => { server.off('error', reject); resolve(); });
  });
  const port = (server.address() as { port: number }).port;
  o.logger.info({ op: 'metrics', host: o.config.host, port }, 'metrics and health on /metrics, /livez, /readyz');
  return { port, close: () => new Promise<void>((r) => server.close(() => r())) };
}
