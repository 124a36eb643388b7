import pino from 'pino';
import { AppMetrics, readMetricsConfig, startMetricsServer, viewReadiness } from './metrics';

// A real parser of the exposition format (its output is prom2json's); it ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parse = require('parse-prometheus-text-format') as (text: string) => { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string> }[] }[];

describe('AppMetrics and the metrics server', () => {
  const metrics = new AppMetrics('test-app', { instance: 'i1' });
  let server: Awaited<ReturnType<typeof startMetricsServer>>;
  const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server.port}${path}`, { method });
  let head = { lastSeq: null as number | null, seenAt: null as number | null, failures: 0, errors: 0 };
  let applied = 0;
  let connected = true;

  beforeAll(async () => {
    metrics.trackProjection('catalog', () => applied, () => head);
    server = await startMetricsServer({ config: { host: '127.0.0.1', port: 0 }, metrics, logger: pino({ level: 'silent' }) });
  });
  afterAll(() => server.close());

  it('serves the Prometheus text format that a real parser reads, with the app label on every series', async () => {
    metrics.eventStore.appended({ aggregate: 'lb', outcome: 'ok', seconds: 0.004, commit: { events: [{ type: 'MemberCreated' }, { type: 'MemberCreated' }] } });
    metrics.eventStore.appended({ aggregate: 'lb', outcome: 'unavailable', seconds: 12.5, commit: { events: [{ type: 'MemberDeleted' }] } });
    head = { lastSeq: 120, seenAt: performance.now(), failures: 0, errors: 0 };
    applied = 117;
    const res = await get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    const families = new Map(parse(text).map((f) => [f.name, f]));
    const one = (name: string, labels: Record<string, string> = {}) =>
      families.get(name)?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
    expect(one('lbaas_event_store_appends_total', { aggregate: 'lb', outcome: 'ok' })?.value).toBe('1');
    expect(one('lbaas_event_store_appends_total', { aggregate: 'lb', outcome: 'unavailable' })?.value).toBe('1');
    expect(one('lbaas_event_store_events_appended_total', { type: 'MemberCreated' })?.value).toBe('2');
    expect(families.get('lbaas_event_store_append_seconds')?.type).toBe('HISTOGRAM');
    // This parser (prom2json's shape) folds a histogram's series into one and drops their labels; there is one series here.
    expect(families.get('lbaas_event_store_append_seconds')?.metrics[0]?.buckets).toMatchObject({ '0.005': '1', '10': '1', '+Inf': '2' });
    expect(one('lbaas_projection_lag', { view: 'catalog' })?.value).toBe('3');
    expect(one('lbaas_stream_last_seq')?.value).toBe('120');
    expect(one('lbaas_nats_connection_events_total', { event: 'reconnect' })?.value).toBe('0');
    expect(families.has('lbaas_process_resident_memory_bytes')).toBe(true);
    for (const f of families.values()) {
      if (f.type !== 'HISTOGRAM' && f.type !== 'SUMMARY') for (const m of f.metrics) expect([f.name, m.labels]).toMatchObject([f.name, { app: 'test-app', instance: 'i1' }]);
    }
    // (the parser drops histograms' labels: the samples themselves carry them)
    const samples = text.split('\n').filter((l) => l && !l.startsWith('#'));
    expect(samples.filter((l) => !/\{.*app="test-app".*instance="i1"|\{.*instance="i1".*app="test-app"/.test(l))).toEqual([]);
  });

  it('answers /readyz from the readiness it was given (503 with the failed checks until ready) and /livez 200', async () => {
    expect((await get('/readyz')).status).toBe(503); // no readiness set yet: not started
    metrics.setReadiness(viewReadiness({ connected: () => connected, appliedSeq: () => applied, head: () => head, maxLag: 5 }));
    head = { lastSeq: 120, seenAt: performance.now(), failures: 0, errors: 0 };
    applied = 117;
    let r = await get('/readyz');
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ status: 'ok', app: 'test-app', natsConnected: true, caughtUp: true, lag: 3, appliedSeq: 117, streamLastSeq: 120 });
    applied = 100; // 20 behind
    r = await get('/readyz');
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ status: 'unavailable', caughtUp: false, lag: 20 });
    applied = 120;
    connected = false;
    expect((await get('/readyz')).status).toBe(503);
    connected = true;
    head = { ...head, seenAt: performance.now() - 60_000 }; // the stream has not answered for a minute
    expect(await (await get('/readyz')).json()).toMatchObject({ status: 'unavailable', streamHeadFresh: false });
    expect((await get('/livez')).status).toBe(200);
    const metricsText = await (await get('/metrics')).text();
    expect(metricsText).toMatch(/^lbaas_ready\{app="test-app",instance="i1"\} 0$/m);
  });

  it('refuses what it does not serve', async () => {
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/metrics', 'POST')).status).toBe(405);
  });

  it('reads METRICS_PORT: off unless set, 0 and off turn it off, anything else is a clear problem', () => {
    const r = { problems: [] as string[] };
    expect(readMetricsConfig({}, r)).toBeNull();
    expect(readMetricsConfig({ METRICS_PORT: '0' }, r)).toBeNull();
    expect(readMetricsConfig({ METRICS_PORT: 'off' }, r)).toBeNull();
    expect(readMetricsConfig({ METRICS_PORT: '9101' }, r)).toEqual({ host: '127.0.0.1', port: 9101 });
    expect(r.problems).toEqual([]);
    readMetricsConfig({ METRICS_PORT: 'nine' }, r);
    readMetricsConfig({ METRICS_PORT: '9101', METRICS_HOST: 'a b' }, r);
    expect(r.problems).toEqual(['METRICS_PORT must be a port (1..65535), 0 or off, got "nine"', 'METRICS_HOST must be an address, got "a b"']);
  });
});
