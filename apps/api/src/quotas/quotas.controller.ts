import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Put, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import { project } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { invalidInput } from '../http/errors';
import { listResponse } from '../http/listing';
import { Lookup } from '../http/lookup';
import { projectId as projectIdRule } from '../http/rules';
import { Writes } from '../http/writes';
import { QUOTA, renderDefaults } from './quota.fields';
import { Policy } from '../http/policy-guard';

const checkProject = (id: string): string => {
  const r = projectIdRule(id);
  if (!r.ok) throw invalidInput('project_id', id, r.reason);
  return id;
};

/** Octavia's quotas: per project, the configured defaults for what is not set; stored in the project aggregate. */
@Controller(['v2/lbaas/quotas', 'v2.0/lbaas/quotas'])
export class QuotasController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, @Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get()
  @Policy('os_load-balancer_api:quota:get_all')
  list(@Req() req: FastifyRequest) {
    return listResponse('quotas', this.lookup.quotas(), QUOTA, req);
  }

  @Get(['defaults', ':projectId/default'])
  @Policy('os_load-balancer_api:quota:get_defaults')
  defaults() {
    return { quota: renderDefaults({ ...this.config.quotaDefaults }) };
  }

  @Get(':projectId')
  @Policy('os_load-balancer_api:quota:get_one')
  show(@Param('projectId') projectId: string) {
    return { quota: QUOTA.render(this.lookup.quota(checkProject(projectId))) };
  }

  @Put(':projectId')
  @Policy('os_load-balancer_api:quota:put')
  @HttpCode(202)
  async set(@Req() req: FastifyRequest, @Param('projectId') projectId: string, @Body() body: unknown) {
    this.lookup.quota(checkProject(projectId));
    const limits = QUOTA.changes(QUOTA.parseUpdate(body));
    await this.writes.send(req, { aggregate: 'project', id: projectId }, project, { type: 'SetProjectQuota', data: { projectId, limits } });
    return { quota: QUOTA.render(this.lookup.quota(projectId)) };
  }

  @Delete(':projectId')
  @Policy('os_load-balancer_api:quota:delete')
  @HttpCode(202)
  async reset(@Req() req: FastifyRequest, @Param('projectId') projectId: string): Promise<void> {
    this.lookup.quota(checkProject(projectId));
    await this.writes.send(req, { aggregate: 'project', id: projectId }, project, { type: 'ResetProjectQuota', data: { projectId } });
  }
}
