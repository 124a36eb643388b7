import type { FastifyInstance } from 'fastify';
import type { ApiMetrics } from '../metrics';

/** Paths that never wait for the stream: health checks answer about this process as it is. */
const NO_CATCH_UP = /^\/healthcheck(\/|$|\?)/;

/**
 * Several api replicas behave as one: before a request is handled, this replica's view catches up with what the
 * stream held when the request arrived (libs/event-store catchUpBarrier), so a client that wrote through another
 * replica reads its write here too, and a write decides on what the client has seen. Without a leader the view
 * answers as it is (counted as stale) rather than blocking.
 */
export function installCatchUp(fastify: FastifyInstance, sync: () => Promise<'synced' | 'stale'>, metrics?: ApiMetrics): void {
  fastify.addHook('preHandler', async (req) => {
    if (NO_CATCH_UP.test(req.url)) return;
    const outcome = await sync();
    metrics?.catchUps.inc({ outcome });
  });
}
