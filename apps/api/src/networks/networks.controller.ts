import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { CONFIG, newId } from '@lbaas/app-shell';
import { network as networkDecider } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError } from '../http/errors';
import { listResponse, neutronList, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { projectFor } from '../http/request-context';
import { Writes } from '../http/writes';
import { NETWORK } from './network.fields';
import { Policy } from '../http/policy-guard';

/**
 * Neutron's networks (a project's own; `shared` ones are visible to every project). Every network here is a flat
 * provider network, so creating and deleting them is for admins (http/policy.ts), and one physical network carries at
 * most one of them (Neutron's flat type driver).
 */
@Controller(['v2.0/networks', 'v2/networks'])
export class NetworksController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, @Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get()
  @Policy('get_network')
  list(@Req() req: FastifyRequest) {
    return neutronList('networks', listResponse('networks', this.lookup.networks(), NETWORK, req, { strict: false }));
  }

  @Get(':id')
  @Policy('get_network')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('network', NETWORK.render(this.lookup.network(id)), req);
  }

  @Post()
  @Policy('create_network')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = NETWORK.parseCreate(body);
    const projectId = projectFor(b, this.config.defaultProjectId);
    const { physicalNetwork, ...settings } = NETWORK.settings(b);
    if (!physicalNetwork) throw new ApiError(400, 'Invalid input for operation: physical_network required for flat provider network.');
    const networkId = newId();
    await this.writes.send(req, { aggregate: 'network', id: networkId }, networkDecider, {
      type: 'CreateNetwork',
      data: { networkId, projectId, physicalNetwork, ...settings, networksOnPhysicalNetwork: this.lookup.networksOnPhysicalNetwork(physicalNetwork) },
    }, { projectId });
    return { network: NETWORK.render(this.lookup.network(networkId)) };
  }

  @Delete(':id')
  @Policy('delete_network')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const n = this.lookup.ownNetwork(id);
    await this.writes.send(req, { aggregate: 'network', id: n.networkId }, networkDecider, {
      type: 'DeleteNetwork', data: { networkId: n.networkId, subnetCount: n.subnetIds.length },
    });
  }
}
