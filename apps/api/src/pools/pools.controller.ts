import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Put, Req } from '@nestjs/common';
import { CONFIG, newId } from '@lbaas/app-shell';
import type { LoadBalancerView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { validationFailure } from '../http/errors';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { QuotaCheck } from '../quotas/quota';
import { checkPoolTlsRefs } from '../secrets/tls-refs';
import { POOL, renderPool } from './pool.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/pools', 'v2.0/lbaas/pools'])
export class PoolsController {
  constructor(
    private readonly lookup: Lookup, private readonly writes: Writes, private readonly quota: QuotaCheck,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Get()
  @Policy('os_load-balancer_api:pool:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('pools', this.lookup.pools(), POOL, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:pool:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('pool', this.lookup.shown('pool', id, () => this.lookup.pool(id), (x) => renderPool(x)), req);
  }

  @Post()
  @Policy('os_load-balancer_api:pool:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = POOL.parseCreate(body);
    if (!b.listener_id && !b.loadbalancer_id) throw validationFailure('Must provide at least one of: loadbalancer_id, listener_id');
    let lb: LoadBalancerView;
    if (b.listener_id) {
      lb = this.lookup.listener(b.listener_id).lb;
      if (b.loadbalancer_id && b.loadbalancer_id !== lb.lbId) {
        throw validationFailure(`Listener ${b.listener_id} is not on load balancer ${b.loadbalancer_id}.`);
      }
    } else {
      lb = this.lookup.lb(b.loadbalancer_id as string);
    }
    this.quota.check(lb.projectId, { pool: 1 });
    const poolId = newId();
    const settings = POOL.settings(b);
    await checkPoolTlsRefs(this.lookup, lb.projectId, settings);
    await this.writes.lb(req, lb, { type: 'CreatePool', data: { lbId: lb.lbId, poolId, ...settings } });
    return { pool: renderPool(this.lookup.pool(poolId), 'create') };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:pool:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, pool } = this.lookup.pool(id);
    const changes = POOL.changes(POOL.parseUpdate(body));
    const caChanged = changes.caTlsContainerRef !== undefined || changes.crlContainerRef !== undefined;
    await checkPoolTlsRefs(this.lookup, lb.projectId, {
      tlsContainerRef: changes.tlsContainerRef,
      ...(caChanged ? {
        caTlsContainerRef: changes.caTlsContainerRef !== undefined ? changes.caTlsContainerRef : pool.caTlsContainerRef,
        crlContainerRef: changes.crlContainerRef !== undefined ? changes.crlContainerRef : pool.crlContainerRef,
      } : {}),
    });
    await this.writes.lb(req, lb, { type: 'UpdatePool', data: { lbId: lb.lbId, poolId: pool.poolId, changes } });
    return { pool: renderPool(this.lookup.pool(pool.poolId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:pool:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, pool } = this.lookup.pool(id);
    await this.writes.lb(req, lb, { type: 'DeletePool', data: { lbId: lb.lbId, poolId: pool.poolId, policy: this.config.deletePolicy } });
  }
}
