import type { AppMetrics } from '@lbaas/app-shell';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Counter, Histogram } from 'prom-client';

/** The api's own metrics on top of every app's (AppMetrics): HTTP requests and the replicas' catch-up. */
export type ApiMetrics = Readonly<{
  /** By method, route pattern and status; its _count is the request counter. */
  http: Histogram;
  /** Catch-ups before answering (synced, stale: answered from the view as it was). */
  catchUps: Counter;
}>;

export function apiMetrics(m: AppMetrics): ApiMetrics {
  const catchUps = m.counter('lbaas_api_catch_ups_total', 'Requests that first caught this replica\'s view up with the stream, by outcome (synced; unknown: no leader to ask; stale: the view lagged past the wait)', ['outcome']);
  for (const outcome of ['synced', 'unknown', 'stale']) catchUps.inc({ outcome }, 0);
  return {
    http: m.histogram('lbaas_http_request_duration_seconds', 'HTTP requests by method, route (the pattern) and status, with their latency', ['method', 'route', 'status']),
    catchUps,
  };
}

type Timed = FastifyRequest & { metricsStart?: bigint };

/** Times every request (onRequest → onResponse) under its route pattern; an unmatched path counts as `unmatched`. */
export function installHttpMetrics(fastify: FastifyInstance, metrics: ApiMetrics): void {
  fastify.addHook('onRequest', (req: Timed, _reply, done) => {
    req.metricsStart = process.hrtime.bigint();
    done();
  });
  fastify.addHook('onResponse', (req: Timed, reply, done) => {
    const seconds = req.metricsStart ? Number(process.hrtime.bigint() - req.metricsStart) / 1e9 : 0;
    metrics.http.observe({ method: req.method, route: req.routeOptions?.url ?? 'unmatched', status: String(reply.statusCode) }, seconds);
    done();
  });
}
