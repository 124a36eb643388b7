import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { PROVIDER_CATALOG } from '@lbaas/contracts';
import { flavorCatalog } from '@lbaas/domain';
import type { FlavorCommand } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import { Policy } from '../http/policy-guard';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes, type Unsent } from '../http/writes';
import { FLAVOR } from './flavor.fields';

/**
 * Octavia's flavors (API 2.6): every caller lists and shows them (`os_load-balancer_api:flavor:get_all|get_one`);
 * create, update and delete are admin only (`...:flavor:post|put|delete`; noauth: everybody is admin). Stored in the
 * provider's flavor aggregate (`lbaas.evt.flavor.lbaas`).
 */
@Controller(['v2/lbaas/flavors', 'v2.0/lbaas/flavors'])
export class FlavorsController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  private send(req: FastifyRequest, command: Unsent<FlavorCommand>) {
    return this.writes.send(req, { aggregate: 'flavor', id: PROVIDER_CATALOG }, flavorCatalog, command);
  }

  @Get()
  @Policy('os_load-balancer_api:flavor:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('flavors', this.lookup.flavors(), FLAVOR, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:flavor:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('flavor', FLAVOR.render(this.lookup.flavor(id)), req);
  }

  @Post()
  @HttpCode(201)
  @Policy('os_load-balancer_api:flavor:post')
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = FLAVOR.parseCreate(body);
    const flavorId = newId();
    await this.send(req, { type: 'CreateFlavor', data: { flavorId, ...FLAVOR.settings(b) } });
    return { flavor: FLAVOR.render(this.lookup.flavor(flavorId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:flavor:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const f = this.lookup.flavor(id);
    await this.send(req, { type: 'UpdateFlavor', data: { flavorId: f.flavorId, changes: FLAVOR.changes(FLAVOR.parseUpdate(body)) } });
    return { flavor: FLAVOR.render(this.lookup.flavor(f.flavorId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  @Policy('os_load-balancer_api:flavor:delete')
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const f = this.lookup.flavor(id);
    await this.send(req, { type: 'DeleteFlavor', data: { flavorId: f.flavorId, loadBalancers: this.lookup.lbsUsing({ flavorId: f.flavorId }) } });
  }
}
