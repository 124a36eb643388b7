import { Controller, Get, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Policy } from '../http/policy-guard';
import type { HealthProbe } from './health';

/** Injection token of the api's HealthProbe. */
export const HEALTH = Symbol('HEALTH');

/**
 * Octavia's /healthcheck (oslo.middleware's): `OK` with 200 when the api is connected and caught up, 503 with the
 * reason otherwise. No token needed, so load balancers in front of the api can probe it.
 */
@Controller()
export class HealthcheckController {
  constructor(@Inject(HEALTH) private readonly probe: HealthProbe) {}

  @Get('healthcheck')
  @Policy('open')
  async check(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const h = await this.probe();
    void reply.status(h.ok ? 200 : 503).header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store');
    return h.ok ? 'OK' : `Service Unavailable: ${h.detail}`;
  }
}
