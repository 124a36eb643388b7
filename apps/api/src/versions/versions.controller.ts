import { Controller, Get, Req } from '@nestjs/common';
import { PROVIDER } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import { baseUrl } from '../http/request-context';
import { versionDocument } from './versions';
import { Policy } from '../http/policy-guard';

@Controller()
export class VersionsController {
  @Get()
  @Policy('open')
  root(@Req() req: FastifyRequest) {
    return versionDocument(baseUrl(req));
  }
}

/** The providers this control plane offers (one: itself). */
@Controller(['v2/lbaas/providers', 'v2.0/lbaas/providers'])
export class ProvidersController {
  @Get()
  @Policy('os_load-balancer_api:provider:get_all')
  list() {
    return { providers: [{ name: PROVIDER, description: 'Event-sourced haproxy load balancers in network namespaces.' }] };
  }
}
