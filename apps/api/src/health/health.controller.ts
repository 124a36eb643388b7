import { Controller, Get, Inject, Req, Res } from '@nestjs/common';
import type { HealthVerdict } from '@lbaas/app-shell';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What /healthcheck asks: the api's readiness (NATS connected, view caught up with the stream); main.ts wires it. */
export const API_HEALTH = Symbol('API_HEALTH');
export type ApiHealth = () => HealthVerdict;
/** Without a wiring (tests of the HTTP surface alone) the api is healthy while it answers. */
export const alwaysHealthy: ApiHealth = () => ({ ok: true, checks: {} });

/**
 * Octavia's `/healthcheck` (oslo.middleware's healthcheck, as Octavia mounts it; unauthenticated): 200 `OK` as
 * text, or 503 with the reason; `Accept: application/json` gets `{"detailed": false, "reasons": [...]}`. HEAD
 * (Fastify's, from the GET) answers the status alone. Load balancers in front of several api replicas probe it.
 */
@Controller('healthcheck')
export class HealthController {
  constructor(@Inject(API_HEALTH) private readonly health: ApiHealth) {}

  @Get()
  get(@Req() req: FastifyRequest, @Res() reply: FastifyReply): void {
    const v = this.health();
    const reason = v.ok ? 'OK' : `Service Unavailable: ${Object.entries(v.checks).filter(([, ok]) => ok === false).map(([k]) => k).join(', ') || 'not ready'}`;
    void reply.status(v.ok ? 200 : 503).header('cache-control', 'no-store');
    if (/application\/json/.test(String(req.headers.accept ?? ''))) {
      void reply.header('content-type', 'application/json').send({ detailed: false, reasons: [reason] });
    } else {
      void reply.header('content-type', 'text/plain; charset=UTF-8').send(reason);
    }
  }
}
