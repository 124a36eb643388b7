import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CONFIG, LOGGER, PROJECTION, newId } from '@lbaas/app-shell';
import { PROVIDER, loadBalancer, subnet as subnetDecider } from '@lbaas/domain';
import type { CreateLoadBalancerGraph, CreateLoadBalancer, DeleteLoadBalancer, LoadBalancerSettings, ReleaseVip, UpdateLoadBalancer } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ApiConfig } from '../config';
import { ApiError, validationFailure } from '../shell/errors';
import { listResponse, fieldsOf, type Query as Q } from '../shell/listing';
import { allLbs, exactFilter, lbOf } from '../shell/lookup';
import { visible } from '../shell/project-scope';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, projectFor, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { LoadBalancerCreateBody, LoadBalancerUpdateBody } from './load-balancer.dto';
import { LB_FILTER_KEYS, lbListKeys, renderLoadBalancer, renderStatusTree } from './load-balancer.wire';
import { chooseVipSubnet } from './vip-subnet';
import { graphSteps } from './graph';
import { checkQuota } from '../quotas/quota';
import { fetchStats, sumStats } from './stats';
import { AGENT_QUERIES, type AgentQueries } from '../shell/agent-queries';
import { renderGraph } from './graph.wire';

@Controller(['v2/lbaas/loadbalancers', 'v2.0/lbaas/loadbalancers'])
export class LoadBalancersController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly writes: Writes,
    @Inject(AGENT_QUERIES) private readonly ask: AgentQueries,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    // The CLI finds objects by ?id= and ?name=: narrow on those before building list items (10,000 trees are common).
    const id = exactFilter(q, 'id'), name = exactFilter(q, 'name');
    const lbs = id !== null ? [this.view.catalog.loadBalancers.lbs.get(id.toLowerCase())].filter((lb): lb is NonNullable<typeof lb> => lb !== undefined && visible(lb.projectId))
      : allLbs(this.view.catalog).filter((lb) => name === null || lb.name === name);
    const items = lbs.map((lb) => ({ wire: () => renderLoadBalancer(lb), extra: lbListKeys(lb) }));
    return listResponse('loadbalancers', items, q, selfUrl(req, this.config), LB_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { loadbalancer: selectFields(renderLoadBalancer(lbOf(this.view.catalog, id)), fieldsOf(q)) };
  }

  @Get([':id/status', ':id/statuses'])
  status(@Param('id') id: string) {
    return renderStatusTree(lbOf(this.view.catalog, id));
  }

  @Get(':id/stats')
  async stats(@Param('id') id: string) {
    const lb = lbOf(this.view.catalog, id);
    return { stats: sumStats((await fetchStats(lb, this.ask)).values()) };
  }

  /** The create saga: choose the subnet, allocate the VIP there, create the LB; release the VIP if that fails. */
  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    // 1. Validate everything before anything is appended.
    const b = parseBody(LoadBalancerCreateBody, body, 'load_balancer', 'loadbalancer');
    const projectId = projectFor(req, this.config, b);
    if (b.provider && b.provider !== PROVIDER) throw new ApiError(400, `Provider '${b.provider}' is not enabled.`);
    if (b.vip_port_id) throw validationFailure('vip_port_id is not supported yet; use vip_subnet_id or vip_network_id.');
    if (!b.vip_subnet_id && !b.vip_network_id) throw validationFailure('VIP must contain one of: vip_port_id, vip_network_id, vip_subnet_id.');
    const subnet = chooseVipSubnet(this.view.catalog.networks, {
      vipSubnetId: b.vip_subnet_id ?? null, vipNetworkId: b.vip_network_id ?? null, vipAddress: b.vip_address ?? null,
    });
    const lbId = newId();
    const portId = newId();
    const steps = graphSteps(lbId, b.listeners ?? [], b.pools ?? [], new Set(this.view.catalog.networks.subnets.keys()));
    const count = (type: string) => steps.filter((s) => s.type === type).length;
    checkQuota(this.view.catalog, this.config.quotaDefaults, projectId, {
      loadbalancer: 1, listener: count('CreateListener'), pool: count('CreatePool'), member: count('CreateMember'), healthmonitor: count('CreateHealthMonitor'),
    });
    const actor = actorOf(req, projectId);
    noteLb(req, lbId);
    // 2. Allocate the VIP on the subnet aggregate (the decider honours vip_address or picks the next free one).
    const subnetStream = { aggregate: 'subnet' as const, id: subnet.subnetId };
    const allocated = await this.writes.run(subnetStream, subnetDecider, {
      type: 'AllocateVip', data: { subnetId: subnet.subnetId, lbId, portId, address: b.vip_address ?? null }, metadata: this.writes.metadata(),
    }, actor, { wait: false });
    // The allocation's own event says which address (a retried allocation yields none: then the view knows it).
    const vip = this.view.catalog.networks.subnets.get(subnet.subnetId)?.vips.get(lbId);
    const vipAddress = (allocated.events as readonly { type: string; data: { address?: string } }[])
      .find((e) => e.type === 'VipAllocated')?.data.address ?? vip?.address;
    if (!vipAddress) throw new Error(`VIP allocation for ${lbId} on ${subnet.subnetId} left no address`);
    // 3. Create the load balancer; if that is refused, give the address back before answering.
    const command: CreateLoadBalancer = {
      type: 'CreateLoadBalancer',
      data: {
        lbId, projectId, vipAddress, vipSubnetId: subnet.subnetId, vipNetworkId: subnet.networkId, vipPortId: vip?.portId ?? portId,
        provider: PROVIDER, name: b.name ?? '', description: b.description ?? '', adminStateUp: b.admin_state_up ?? true, tags: b.tags ?? [],
      },
      metadata: this.writes.metadata(),
    };
    const graph: CreateLoadBalancerGraph = { type: 'CreateLoadBalancerGraph', data: { loadBalancer: command.data, steps }, metadata: command.metadata };
    try {
      await this.writes.run({ aggregate: 'lb', id: lbId }, loadBalancer, steps.length > 0 ? graph : command, actor, { isNew: true });
    } catch (err) {
      const release: ReleaseVip = {
        type: 'ReleaseVip', data: { subnetId: subnet.subnetId, lbId, reason: 'abandoned' }, metadata: this.writes.metadata(),
      };
      await this.writes.run(subnetStream, subnetDecider, release, actor).catch((releaseErr: unknown) =>
        this.logger.error({ op: 'lb-create-saga', lbId, err: releaseErr }, 'could not release the VIP of a refused load balancer; the sweeper will'));
      throw err;
    }
    const created = lbOf(this.view.catalog, lbId);
    return { loadbalancer: steps.length > 0 ? renderGraph(created) : renderLoadBalancer(created, 'create') };
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const lb = lbOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const b = parseBody(LoadBalancerUpdateBody, body, 'load_balancer', 'loadbalancer');
    const changes: Partial<LoadBalancerSettings> = {
      ...('name' in b ? { name: b.name ?? '' } : {}),
      ...('description' in b ? { description: b.description ?? '' } : {}),
      ...('admin_state_up' in b ? { adminStateUp: b.admin_state_up ?? true } : {}),
      ...('tags' in b ? { tags: b.tags ?? [] } : {}),
    };
    const command: UpdateLoadBalancer = { type: 'UpdateLoadBalancer', data: { lbId: lb.lbId, changes }, metadata: this.writes.metadata() };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req));
    return { loadbalancer: renderLoadBalancer(lbOf(this.view.catalog, lb.lbId)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string, @Query() q: Q): Promise<void> {
    const lb = lbOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const raw = Array.isArray(q.cascade) ? q.cascade[0] : q.cascade;
    const cascade = raw !== undefined && /^(true|1|yes)$/i.test(raw);
    const command: DeleteLoadBalancer = { type: 'DeleteLoadBalancer', data: { lbId: lb.lbId, cascade }, metadata: this.writes.metadata() };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req));
  }
}

@Module({ controllers: [LoadBalancersController] })
export class LoadBalancersModule {}
