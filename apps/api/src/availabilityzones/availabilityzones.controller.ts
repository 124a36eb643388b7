import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { zoneCatalog } from '@lbaas/domain';
import type { AvailabilityZoneCommand } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import { Policy } from '../http/policy-guard';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes, type Unsent } from '../http/writes';
import { AVAILABILITY_ZONE } from './availability-zone.fields';

/**
 * Octavia's availability zones (API 2.14), keyed by name: every caller lists and shows them
 * (`os_load-balancer_api:availability-zone:get_all|get_one`); create, update and delete are admin only
 * (`...:availability-zone:post|put|delete`). A load balancer created in a zone is placed, and failed over, only to agents
 * registered in the zone's agents' zone (its profile's compute_zone, else its name).
 */
@Controller(['v2/lbaas/availabilityzones', 'v2.0/lbaas/availabilityzones'])
export class AvailabilityZonesController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  private send(req: FastifyRequest, command: Unsent<AvailabilityZoneCommand>) {
    return this.writes.send(req, { aggregate: 'az', id: PROVIDER_CATALOG }, zoneCatalog, command);
  }

  @Get()
  @Policy('os_load-balancer_api:availability-zone:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('availability_zones', this.lookup.zones(), AVAILABILITY_ZONE, req);
  }

  @Get(':name')
  @Policy('os_load-balancer_api:availability-zone:get_one')
  show(@Req() req: FastifyRequest, @Param('name') name: string) {
    return single('availability_zone', AVAILABILITY_ZONE.render(this.lookup.zone(name)), req);
  }

  @Post()
  @HttpCode(201)
  @Policy('os_load-balancer_api:availability-zone:post')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = AVAILABILITY_ZONE.parseCreate(body);
    const settings = AVAILABILITY_ZONE.settings(b);
    await this.send(req, { type: 'CreateAvailabilityZone', data: settings });
    return { availability_zone: AVAILABILITY_ZONE.render(this.lookup.zone(settings.name)) };
  }

  @Put(':name')
  @Policy('os_load-balancer_api:availability-zone:put')
  async update(@Req() req: FastifyRequest, @Param('name') name: string, @Body() body: unknown) {
    const z = this.lookup.zone(name);
    await this.send(req, { type: 'UpdateAvailabilityZone', data: { name: z.name, changes: AVAILABILITY_ZONE.changes(AVAILABILITY_ZONE.parseUpdate(body)) } });
    return { availability_zone: AVAILABILITY_ZONE.render(this.lookup.zone(z.name)) };
  }

  @Delete(':name')
  @HttpCode(204)
  @Policy('os_load-balancer_api:availability-zone:delete')
  async remove(@Req() req: FastifyRequest, @Param('name') name: string): Promise<void> {
    const z = this.lookup.zone(name);
    await this.send(req, { type: 'DeleteAvailabilityZone', data: { name: z.name, loadBalancers: this.lookup.lbsUsing({ zone: z.name }) } });
  }
}
