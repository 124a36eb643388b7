import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION, newId } from '@lbaas/app-shell';
import { loadBalancer } from '@lbaas/domain';
import type { CreatePool, DeletePool, PoolSettings, UpdatePool } from '@lbaas/events';
import type { LoadBalancerView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { validationFailure } from '../shell/errors';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { allLbs, lbOf, listenerOf, poolOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { rememberDeleted, showChild } from '../shell/tombstones';
import { checkQuota } from '../quotas/quota';
import { PoolCreateBody, PoolUpdateBody } from './pool.dto';
import { POOL_FILTER_KEYS, renderPool } from './pool.wire';

@Controller(['v2/lbaas/pools', 'v2.0/lbaas/pools'])
export class PoolsController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = allLbs(this.view.catalog).flatMap((lb) =>
      [...lb.pools.values()].map((p) => ({ wire: () => renderPool(lb, p), extra: { id: p.poolId, name: p.name, loadbalancer_id: lb.lbId, listener_id: p.listenerId, project_id: lb.projectId, tags: p.tags } })));
    return listResponse('pools', items, q, selfUrl(req, this.config), POOL_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { pool: selectFields(showChild(this.view.catalog, id, () => poolOf(this.view.catalog, id), (found) => renderPool(found.lb, found.pool)), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(PoolCreateBody, body, 'pool_', 'pool');
    if (!b.listener_id && !b.loadbalancer_id) throw validationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    let lb: LoadBalancerView;
    if (b.listener_id) {
      lb = listenerOf(this.view.catalog, b.listener_id).lb;
      if (b.loadbalancer_id && b.loadbalancer_id !== lb.lbId) {
        throw validationFailure(`Listener ${b.listener_id} is not on load balancer ${b.loadbalancer_id}.`);
      }
    } else {
      lb = lbOf(this.view.catalog, b.loadbalancer_id as string);
    }
    noteLb(req, lb.lbId);
    checkQuota(this.view.catalog, this.config.quotaDefaults, lb.projectId, { pool: 1 });
    const command: CreatePool = {
      type: 'CreatePool',
      data: {
        lbId: lb.lbId, poolId: newId(), listenerId: b.listener_id ?? null, protocol: b.protocol,
        name: b.name ?? '', description: b.description ?? '', adminStateUp: b.admin_state_up ?? true, lbAlgorithm: b.lb_algorithm,
        sessionPersistence: b.session_persistence ?? null, tags: b.tags ?? [],
      },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = poolOf(this.view.catalog, command.data.poolId);
    return { pool: renderPool(after.lb, after.pool, 'create') };
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, pool } = poolOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const b = parseBody(PoolUpdateBody, body, 'pool_', 'pool');
    const changes: Partial<Record<keyof PoolSettings, unknown>> = {};
    if ('name' in b) changes.name = b.name ?? '';
    if ('description' in b) changes.description = b.description ?? '';
    if ('admin_state_up' in b) changes.adminStateUp = b.admin_state_up ?? true;
    if ('lb_algorithm' in b && b.lb_algorithm) changes.lbAlgorithm = b.lb_algorithm;
    if ('session_persistence' in b) changes.sessionPersistence = b.session_persistence ?? null;
    if ('tags' in b) changes.tags = b.tags ?? [];
    const command: UpdatePool = {
      type: 'UpdatePool', data: { lbId: lb.lbId, poolId: pool.poolId, changes: changes as Partial<PoolSettings> }, metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = poolOf(this.view.catalog, pool.poolId);
    return { pool: renderPool(after.lb, after.pool) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, pool } = poolOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const command: DeletePool = { type: 'DeletePool', data: { lbId: lb.lbId, poolId: pool.poolId }, metadata: this.writes.metadata() };
    const last = renderPool(lb, pool);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    rememberDeleted(pool.poolId, lb, last);
  }
}

@Module({ controllers: [PoolsController] })
export class PoolsModule {}
