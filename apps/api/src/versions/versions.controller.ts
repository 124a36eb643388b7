import { Controller, Get, Inject, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import { PROVIDER } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { baseUrl } from '../http/request-context';
import { versionDocument } from './versions';

@Controller()
export class VersionsController {
  constructor(@Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get()
  root(@Req() req: FastifyRequest) {
    return versionDocument(baseUrl(req, this.config));
  }
}

/** The providers this control plane offers (one: itself). */
@Controller(['v2/lbaas/providers', 'v2.0/lbaas/providers'])
export class ProvidersController {
  @Get()
  list() {
    return { providers: [{ name: PROVIDER, description: 'Event-sourced haproxy load balancers in network namespaces.' }] };
  }
}
