import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION, newId } from '@lbaas/app-shell';
import { loadBalancer } from '@lbaas/domain';
import type { CreateHealthMonitor, DeleteHealthMonitor, UpdateHealthMonitor } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { allLbs, healthMonitorOf, poolOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { rememberDeleted, showChild } from '../shell/tombstones';
import { checkQuota } from '../quotas/quota';
import { HealthMonitorCreateBody, HealthMonitorUpdateBody } from './health-monitor.dto';
import { HM_FILTER_KEYS, healthMonitorChanges, healthMonitorSettings, renderHealthMonitor } from './health-monitor.wire';

@Controller(['v2/lbaas/healthmonitors', 'v2.0/lbaas/healthmonitors'])
export class HealthMonitorsController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = allLbs(this.view.catalog).flatMap((lb) =>
      [...lb.healthMonitors.values()].map((hm) => ({ wire: () => renderHealthMonitor(lb, hm), extra: { id: hm.healthMonitorId, name: hm.name, pool_id: hm.poolId, project_id: lb.projectId, tags: hm.tags } })));
    return listResponse('healthmonitors', items, q, selfUrl(req, this.config), HM_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    return { healthmonitor: selectFields(showChild(this.view.catalog, id, () => healthMonitorOf(this.view.catalog, id), (found) => renderHealthMonitor(found.lb, found.hm)), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(HealthMonitorCreateBody, body, 'health_monitor_', 'healthmonitor');
    const { lb, pool } = poolOf(this.view.catalog, b.pool_id);
    noteLb(req, lb.lbId);
    checkQuota(this.view.catalog, this.config.quotaDefaults, lb.projectId, { healthmonitor: 1 });
    const command: CreateHealthMonitor = {
      type: 'CreateHealthMonitor',
      data: { lbId: lb.lbId, poolId: pool.poolId, healthMonitorId: newId(), type: b.type, ...healthMonitorSettings(b) },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(command.data.healthMonitorId);
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const b = parseBody(HealthMonitorUpdateBody, body, 'health_monitor_', 'healthmonitor');
    const { lb, hm } = healthMonitorOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const command: UpdateHealthMonitor = {
      type: 'UpdateHealthMonitor',
      data: { lbId: lb.lbId, healthMonitorId: hm.healthMonitorId, changes: healthMonitorChanges(hm.type, b) },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    return this.render(hm.healthMonitorId);
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, hm } = healthMonitorOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const command: DeleteHealthMonitor = {
      type: 'DeleteHealthMonitor', data: { lbId: lb.lbId, healthMonitorId: hm.healthMonitorId }, metadata: this.writes.metadata(),
    };
    const last = renderHealthMonitor(lb, hm);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    rememberDeleted(hm.healthMonitorId, lb, last);
  }

  private render(id: string) {
    const { lb, hm } = healthMonitorOf(this.view.catalog, id);
    return { healthmonitor: renderHealthMonitor(lb, hm) };
  }
}

@Module({ controllers: [HealthMonitorsController] })
export class HealthMonitorsModule {}
