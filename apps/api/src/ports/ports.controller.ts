import { Controller, Get, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { listResponse, neutronList, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { PORT } from './port.fields';
import { Policy } from '../http/policy-guard';

/** Neutron's ports: the caller's VIP allocations (read only). */
@Controller(['v2.0/ports', 'v2/ports'])
export class PortsController {
  constructor(private readonly lookup: Lookup) {}

  @Get()
  @Policy('get_port')
  list(@Req() req: FastifyRequest) {
    return neutronList('ports', listResponse('ports', this.lookup.ports(), PORT, req, { strict: false }));
  }

  @Get(':id')
  @Policy('get_port')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('port', PORT.render(this.lookup.port(id)), req);
  }
}
