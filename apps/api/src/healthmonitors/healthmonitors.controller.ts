import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { QuotaCheck } from '../quotas/quota';
import { HEALTH_MONITOR } from './health-monitor.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/healthmonitors', 'v2.0/lbaas/healthmonitors'])
export class HealthMonitorsController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, private readonly quota: QuotaCheck) {}

  @Get()
  @Policy('os_load-balancer_api:healthmonitor:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('healthmonitors', this.lookup.healthMonitors(), HEALTH_MONITOR, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:healthmonitor:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('healthmonitor', this.lookup.shown('healthMonitor', id, () => this.lookup.healthMonitor(id), (x) => HEALTH_MONITOR.render(x)), req);
  }

  @Post()
  @Policy('os_load-balancer_api:healthmonitor:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = HEALTH_MONITOR.parseCreate(body);
    const { lb, pool } = this.lookup.pool(b.pool_id);
    this.quota.check(lb.projectId, { healthmonitor: 1 });
    const healthMonitorId = newId();
    await this.writes.lb(req, lb, {
      type: 'CreateHealthMonitor', data: { lbId: lb.lbId, poolId: pool.poolId, healthMonitorId, ...HEALTH_MONITOR.settings(b, { type: b.type }) },
    });
    return { healthmonitor: HEALTH_MONITOR.render(this.lookup.healthMonitor(healthMonitorId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:healthmonitor:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const b = HEALTH_MONITOR.parseUpdate(body);
    const { lb, hm } = this.lookup.healthMonitor(id);
    const changes = HEALTH_MONITOR.changes(b, { type: hm.type });
    await this.writes.lb(req, lb, { type: 'UpdateHealthMonitor', data: { lbId: lb.lbId, healthMonitorId: hm.healthMonitorId, changes } });
    return { healthmonitor: HEALTH_MONITOR.render(this.lookup.healthMonitor(hm.healthMonitorId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:healthmonitor:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, hm } = this.lookup.healthMonitor(id);
    await this.writes.lb(req, lb, { type: 'DeleteHealthMonitor', data: { lbId: lb.lbId, healthMonitorId: hm.healthMonitorId } });
  }
}
