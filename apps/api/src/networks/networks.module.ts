import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION, newId } from '@lbaas/app-shell';
import { isUuid } from '@lbaas/contracts';
import { network as networkDecider, subnet as subnetDecider } from '@lbaas/domain';
import type { CreateNetwork, CreateSubnet, DeleteNetwork, DeleteSubnet } from '@lbaas/events';
import type { NetworkView, SubnetView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError } from '../shell/errors';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import type { ReadModel } from '../shell/read-model';
import { actorOf, projectFor, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields, type Wire } from '../shell/wire';
import { Writes } from '../shell/writes';
import { NetworkCreateBody, SubnetCreateBody } from './network.dto';
import {
  NETWORK_FILTER_KEYS, PORT_FILTER_KEYS, SUBNET_FILTER_KEYS, defaultGateway, renderNetwork, renderPort, renderSubnet,
} from './network.wire';

/** Neutron lists carry `<plural>_links` only when paginating. */
const neutronList = (plural: string, body: Wire): Wire => {
  const links = body[`${plural}_links`];
  if (Array.isArray(links) && links.length === 0) delete body[`${plural}_links`];
  return body;
};

const networkNotFound = (id: string) => new ApiError(404, `Network ${id} could not be found.`);
const subnetNotFound = (id: string) => new ApiError(404, `Subnet ${id} could not be found.`);
const portNotFound = (id: string) => new ApiError(404, `Port ${id} could not be found.`);

@Controller(['v2.0/networks', 'v2/networks'])
export class NetworksController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  private find(id: string): NetworkView {
    const n = isUuid(id) ? this.view.catalog.networks.networks.get(id.toLowerCase()) : undefined;
    if (!n) throw networkNotFound(id);
    return n;
  }

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = [...this.view.catalog.networks.networks.values()].map((n) => ({ wire: renderNetwork(n) }));
    return neutronList('networks', listResponse('networks', items, q, selfUrl(req, this.config), NETWORK_FILTER_KEYS, { strict: false }));
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { network: selectFields(renderNetwork(this.find(id)), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(NetworkCreateBody, body, 'network', 'network');
    const projectId = projectFor(req, this.config, b);
    const physicalNetwork = b['provider:physical_network'];
    if (!physicalNetwork) throw new ApiError(400, 'Invalid input for operation: physical_network required for flat provider network.');
    const command: CreateNetwork = {
      type: 'CreateNetwork',
      data: { networkId: newId(), projectId, name: b.name ?? '', physicalNetwork, shared: b.shared ?? false },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'network', id: command.data.networkId }, networkDecider, command, actorOf(req, projectId));
    return { network: renderNetwork(this.find(command.data.networkId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const n = this.find(id);
    const command: DeleteNetwork = {
      type: 'DeleteNetwork', data: { networkId: n.networkId, subnetCount: n.subnetIds.length }, metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'network', id: n.networkId }, networkDecider, command, actorOf(req));
  }
}

@Controller(['v2.0/subnets', 'v2/subnets'])
export class SubnetsController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  private find(id: string): SubnetView {
    const s = isUuid(id) ? this.view.catalog.networks.subnets.get(id.toLowerCase()) : undefined;
    if (!s) throw subnetNotFound(id);
    return s;
  }

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = [...this.view.catalog.networks.subnets.values()].map((s) => ({ wire: renderSubnet(s) }));
    return neutronList('subnets', listResponse('subnets', items, q, selfUrl(req, this.config), SUBNET_FILTER_KEYS, { strict: false }));
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { subnet: selectFields(renderSubnet(this.find(id)), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(SubnetCreateBody, body, 'subnet', 'subnet');
    const n = this.view.catalog.networks.networks.get(b.network_id);
    if (!n) throw networkNotFound(b.network_id);
    // Subnets belong to their network's project unless the caller says otherwise.
    const projectId = projectFor(req, { ...this.config, defaultProjectId: n.projectId }, b);
    const command: CreateSubnet = {
      type: 'CreateSubnet',
      data: {
        subnetId: newId(), networkId: n.networkId, projectId, name: b.name ?? '', cidr: b.cidr,
        // Neutron: an absent gateway_ip means the first host; an explicit null means none.
        gatewayIp: 'gateway_ip' in b ? b.gateway_ip ?? null : defaultGateway(b.cidr),
        allocationPools: b.allocation_pools ?? null,
      },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'subnet', id: command.data.subnetId }, subnetDecider, command, actorOf(req, projectId));
    return { subnet: renderSubnet(this.find(command.data.subnetId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const s = this.find(id);
    const command: DeleteSubnet = { type: 'DeleteSubnet', data: { subnetId: s.subnetId }, metadata: this.writes.metadata() };
    await this.writes.run({ aggregate: 'subnet', id: s.subnetId }, subnetDecider, command, actorOf(req));
  }
}

@Controller(['v2.0/ports', 'v2/ports'])
export class PortsController {
  constructor(@Inject(PROJECTION) private readonly view: ReadModel, @Inject(CONFIG) private readonly config: ApiConfig) {}

  private ports() {
    const catalog = this.view.catalog;
    return [...catalog.networks.subnets.values()].flatMap((s) =>
      [...s.vips.values()].map((v) => ({ wire: renderPort(catalog, s, v), extra: { subnet_id: s.subnetId, ip_address: v.address } })));
  }

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    return neutronList('ports', listResponse('ports', this.ports(), q, selfUrl(req, this.config), PORT_FILTER_KEYS, { strict: false }));
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    const port = this.ports().find((p) => p.wire.id === id.toLowerCase());
    if (!port) throw portNotFound(id);
    return { port: selectFields(port.wire, fieldsOf(q)) };
  }
}

@Module({ controllers: [NetworksController, SubnetsController, PortsController] })
export class NetworksModule {}
