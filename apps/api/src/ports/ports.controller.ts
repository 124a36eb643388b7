import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { selectFields } from '../http/attributes';
import { fieldsOf, listResponse, neutronList, type Query as Q } from '../http/listing';
import { Lookup } from '../http/lookup';
import { selfUrl } from '../http/request-context';
import { PORT } from './port.fields';

/** Neutron's ports: the caller's VIP allocations (read only). */
@Controller(['v2.0/ports', 'v2/ports'])
export class PortsController {
  constructor(private readonly lookup: Lookup, @Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    return neutronList('ports', listResponse('ports', this.lookup.ports(), PORT, q, selfUrl(req, this.config), { strict: false }));
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { port: selectFields(PORT.render(this.lookup.port(id)), fieldsOf(q)) };
  }
}
