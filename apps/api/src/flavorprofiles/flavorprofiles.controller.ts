import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { flavorCatalog } from '@lbaas/domain';
import type { FlavorCommand } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import { Policy } from '../http/policy-guard';
import { listResponse, relink, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes, type Unsent } from '../http/writes';
import { FLAVOR_PROFILE } from './flavor-profile.fields';

/**
 * Octavia's flavor profiles: admin only for every route (`os_load-balancer_api:flavor-profile:get_all|get_one|post|put|
 * delete`). The list's links key is Octavia's `flavorprofile_links` (sic).
 */
@Controller(['v2/lbaas/flavorprofiles', 'v2.0/lbaas/flavorprofiles'])
export class FlavorProfilesController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  private send(req: FastifyRequest, command: Unsent<FlavorCommand>) {
    return this.writes.send(req, { aggregate: 'flavor', id: PROVIDER_CATALOG }, flavorCatalog, command);
  }

  @Get()
  @Policy('os_load-balancer_api:flavor-profile:get_all')
  list(@Req() req: FastifyRequest) {
    return relink(listResponse('flavorprofiles', this.lookup.flavorProfiles(), FLAVOR_PROFILE, req), 'flavorprofiles', 'flavorprofile_links');
  }

  @Get(':id')
  @Policy('os_load-balancer_api:flavor-profile:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('flavorprofile', FLAVOR_PROFILE.render(this.lookup.flavorProfile(id)), req);
  }

  @Post()
  @HttpCode(201)
  @Policy('os_load-balancer_api:flavor-profile:post')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = FLAVOR_PROFILE.parseCreate(body);
    const flavorProfileId = newId();
    await this.send(req, { type: 'CreateFlavorProfile', data: { flavorProfileId, ...FLAVOR_PROFILE.settings(b) } });
    return { flavorprofile: FLAVOR_PROFILE.render(this.lookup.flavorProfile(flavorProfileId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:flavor-profile:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const p = this.lookup.flavorProfile(id);
    const changes = FLAVOR_PROFILE.changes(FLAVOR_PROFILE.parseUpdate(body));
    await this.send(req, { type: 'UpdateFlavorProfile', data: { flavorProfileId: p.flavorProfileId, changes } });
    return { flavorprofile: FLAVOR_PROFILE.render(this.lookup.flavorProfile(p.flavorProfileId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('os_load-balancer_api:flavor-profile:delete')
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const p = this.lookup.flavorProfile(id);
    await this.send(req, { type: 'DeleteFlavorProfile', data: { flavorProfileId: p.flavorProfileId } });
  }
}
