import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { subnet as subnetDecider } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import { listResponse, neutronList, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { projectFor } from '../http/request-context';
import { Writes } from '../http/writes';
import { defaultGateway, SUBNET } from './subnet.fields';
import { Policy } from '../http/policy-guard';

/** Neutron's subnets (IPAM for VIPs); those of a shared network are visible to every project. */
@Controller(['v2.0/subnets', 'v2/subnets'])
export class SubnetsController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  @Get()
  @Policy('get_subnet')
  list(@Req() req: FastifyRequest) {
    return neutronList('subnets', listResponse('subnets', this.lookup.subnets(), SUBNET, req, { strict: false }));
  }

  @Get(':id')
  @Policy('get_subnet')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('subnet', SUBNET.render(this.lookup.subnet(id)), req);
  }

  @Post()
  @Policy('create_subnet')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = SUBNET.parseCreate(body);
    // Only on the caller's own networks (a shared one is usable for VIPs, not for new subnets).
    const n = this.lookup.ownNetwork(b.network_id);
    // Subnets belong to their network's project unless the caller says otherwise.
    const projectId = projectFor(b, null, n.projectId);
    const subnetId = newId();
    await this.writes.send(req, { aggregate: 'subnet', id: subnetId }, subnetDecider, {
      type: 'CreateSubnet',
      data: {
        subnetId, networkId: n.networkId, projectId, ...SUBNET.settings(b), segmentSubnets: this.lookup.segmentSubnets(n.networkId),
        ...(b.ip_version != null ? { ipVersion: b.ip_version } : {}),
        // Neutron: an absent gateway_ip means the first host; an explicit null means none.
        gatewayIp: 'gateway_ip' in b ? b.gateway_ip ?? null : defaultGateway(b.cidr),
      },
    }, { projectId });
    return { subnet: SUBNET.render(this.lookup.subnet(subnetId)) };
  }

  @Delete(':id')
  @Policy('delete_subnet')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const s = this.lookup.ownSubnet(id);
    await this.writes.send(req, { aggregate: 'subnet', id: s.subnetId }, subnetDecider, { type: 'DeleteSubnet', data: { subnetId: s.subnetId } });
  }
}
