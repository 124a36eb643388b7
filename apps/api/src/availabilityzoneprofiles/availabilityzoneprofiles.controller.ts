import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { zoneCatalog } from '@lbaas/domain';
import type { AvailabilityZoneCommand } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import { Policy } from '../http/policy-guard';
import { listResponse, relink, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes, type Unsent } from '../http/writes';
import { AVAILABILITY_ZONE_PROFILE } from './availability-zone-profile.fields';

/**
 * Octavia's availability zone profiles: admin only for every route (`os_load-balancer_api:availability-zone-profile:
 * get_all|get_one|post|put|delete`). The list's links key is Octavia's `availability_zone_profile_links` (sic).
 */
@Controller(['v2/lbaas/availabilityzoneprofiles', 'v2.0/lbaas/availabilityzoneprofiles'])
export class AvailabilityZoneProfilesController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  private send(req: FastifyRequest, command: Unsent<AvailabilityZoneCommand>) {
    return this.writes.send(req, { aggregate: 'az', id: PROVIDER_CATALOG }, zoneCatalog, command);
  }

  @Get()
  @Policy('os_load-balancer_api:availability-zone-profile:get_all')
  list(@Req() req: FastifyRequest) {
    return relink(listResponse('availability_zone_profiles', this.lookup.zoneProfiles(), AVAILABILITY_ZONE_PROFILE, req),
      'availability_zone_profiles', 'availability_zone_profile_links');
  }

  @Get(':id')
  @Policy('os_load-balancer_api:availability-zone-profile:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('availability_zone_profile', AVAILABILITY_ZONE_PROFILE.render(this.lookup.zoneProfile(id)), req);
  }

  @Post()
  @HttpCode(201)
  @Policy('os_load-balancer_api:availability-zone-profile:post')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = AVAILABILITY_ZONE_PROFILE.parseCreate(body);
    const availabilityZoneProfileId = newId();
    await this.send(req, { type: 'CreateAvailabilityZoneProfile', data: { availabilityZoneProfileId, ...AVAILABILITY_ZONE_PROFILE.settings(b) } });
    return { availability_zone_profile: AVAILABILITY_ZONE_PROFILE.render(this.lookup.zoneProfile(availabilityZoneProfileId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:availability-zone-profile:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const p = this.lookup.zoneProfile(id);
    const changes = AVAILABILITY_ZONE_PROFILE.changes(AVAILABILITY_ZONE_PROFILE.parseUpdate(body));
    await this.send(req, { type: 'UpdateAvailabilityZoneProfile', data: { availabilityZoneProfileId: p.availabilityZoneProfileId, changes } });
    return { availability_zone_profile: AVAILABILITY_ZONE_PROFILE.render(this.lookup.zoneProfile(p.availabilityZoneProfileId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('os_load-balancer_api:availability-zone-profile:delete')
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const p = this.lookup.zoneProfile(id);
    await this.send(req, { type: 'DeleteAvailabilityZoneProfile', data: { availabilityZoneProfileId: p.availabilityZoneProfileId } });
  }
}
