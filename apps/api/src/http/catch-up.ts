import type { FastifyInstance } from 'fastify';
import type { ApiMetrics } from '../metrics';
import { RETRY_AFTER_S } from './error-filter';

/** Paths that never wait for the stream: health checks answer about this process as it is. */
const NO_CATCH_UP = /^\/healthcheck(\/|$|\?)/;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * How long a write waits for this replica's view to catch up before it is refused (a read waits the barrier's 3 s,
 * then is answered from the view as it is). Longer than the projection's stall guard takes to recreate a consumer that
 * stopped pulling after its server went lame-duck (two looks 2 s apart, then the recreate: up to ~6 s), so a write
 * during a rolling restart waits instead of getting a 503 (a CI run had one after 5.6 s); shorter than the 10 s the
 * write then waits to read itself.
 */
export const WRITE_CATCH_UP_MS = 8_000;

/**
 * Several api replicas behave as one: before a request is handled, this replica's view catches up with what the
 * stream held when the request arrived (libs/event-store catchUpBarrier), so a client that wrote through another
 * replica reads its write here too, and a write decides on what the client has seen. Without a stream leader to ask
 * ('unknown': nothing new can be appended meanwhile either) the view answers as it is and a write goes on to the
 * event store, which rides out the election or answers 503. When the head is known and the view lags behind it
 * past the barrier's wait ('stale'), a read is answered from the view as it is, and a write gets 503 with
 * Retry-After at once: it would decide on a view that misses what the client may have written elsewhere.
 */
export function installCatchUp(fastify: FastifyInstance, sync: (applyTimeoutMs?: number) => Promise<'synced' | 'unknown' | 'stale'>, metrics?: ApiMetrics): void {
  fastify.addHook('preHandler', async (req, reply) => {
    if (NO_CATCH_UP.test(req.url)) return;
    const outcome = await sync(READS.has(req.method) ? undefined : WRITE_CATCH_UP_MS);
    metrics?.catchUps.inc({ outcome });
    if (outcome === 'stale' && !READS.has(req.method)) {
      void reply.code(503).header('retry-after', String(RETRY_AFTER_S)).header('content-type', 'application/json')
        .send({ faultcode: 'Server', faultstring: 'This api replica could not catch up with the event store; retry the request.', debuginfo: null });
      return reply;
    }
  });
}
