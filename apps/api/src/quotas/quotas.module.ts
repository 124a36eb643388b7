import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Put, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION } from '@lbaas/app-shell';
import { project } from '@lbaas/domain';
import { LIMITS, QUOTA_RESOURCES, type QuotaLimits, type QuotaResource } from '@lbaas/events';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { invalidInput, unknownAttribute } from '../shell/errors';
import { listResponse, type Query as Q } from '../shell/listing';
import type { ReadModel } from '../shell/read-model';
import { actorOf, selfUrl } from '../shell/request-context';
import { intIn } from '../shell/rules';
import { projectId as projectIdRule } from '../shell/rules';
import type { Wire } from '../shell/wire';
import { Writes } from '../shell/writes';
import { effectiveQuota } from './quota';

/** Octavia's deprecated spellings, accepted and echoed next to the current ones. */
const ALIASES: Record<string, QuotaResource> = { load_balancer: 'loadbalancer', health_monitor: 'healthmonitor' };

const renderQuota = (q: Record<QuotaResource, number>, projectId?: string): Wire => ({
  loadbalancer: q.loadbalancer, load_balancer: q.loadbalancer, listener: q.listener, pool: q.pool,
  healthmonitor: q.healthmonitor, health_monitor: q.healthmonitor, member: q.member, l7policy: q.l7policy, l7rule: q.l7rule,
  ...(projectId ? { project_id: projectId, tenant_id: projectId } : {}),
});

const checkProject = (id: string): string => {
  const r = projectIdRule(id);
  if (!r.ok) throw invalidInput('project_id', id, r.reason);
  return id;
};

/** `{"quota": {...}}` of a PUT: known resources (either spelling), each in LIMITS.quota or null (back to the default). */
function parseQuotaBody(body: unknown): QuotaLimits {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput('quota', body ?? null, 'Mandatory field missing.');
  const extra = Object.keys(body).filter((k) => k !== 'quota');
  if (extra.length) throw unknownAttribute('quotas', extra);
  const raw = (body as { quota?: unknown }).quota;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalidInput('quota', raw ?? null, 'Mandatory field missing.');
  const unknown = Object.keys(raw).filter((k) => !(QUOTA_RESOURCES as readonly string[]).includes(k) && !(k in ALIASES));
  if (unknown.length) throw unknownAttribute('quotas.quota', unknown);
  const limits: Partial<Record<QuotaResource, number | null>> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const resource = (ALIASES[k] ?? k) as QuotaResource;
    if (v === null) { limits[resource] = null; continue; }
    const r = intIn(LIMITS.quota)(v);
    if (!r.ok) throw invalidInput(k, v, r.reason);
    limits[resource] = r.value;
  }
  return limits;
}

/** Octavia's quotas: per project, the configured defaults for what is not set; stored in the project aggregate. */
@Controller(['v2/lbaas/quotas', 'v2.0/lbaas/quotas'])
export class QuotasController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = [...this.view.catalog.projects.quotas.keys()].map((p) => ({
      wire: renderQuota(effectiveQuota(this.view.catalog, this.config.quotaDefaults, p), p), extra: { id: p },
    }));
    return listResponse('quotas', items, q, selfUrl(req, this.config), ['project_id', 'tenant_id']);
  }

  @Get(['defaults', ':projectId/default'])
  defaults() {
    return { quota: renderQuota({ ...this.config.quotaDefaults }) };
  }

  @Get(':projectId')
  show(@Param('projectId') projectId: string) {
    return { quota: renderQuota(effectiveQuota(this.view.catalog, this.config.quotaDefaults, checkProject(projectId)), projectId) };
  }

  @Put(':projectId')
  @HttpCode(202)
  async set(@Req() req: FastifyRequest, @Param('projectId') projectId: string, @Body() body: unknown) {
    checkProject(projectId);
    const limits = parseQuotaBody(body);
    await this.writes.run({ aggregate: 'project', id: projectId }, project, {
      type: 'SetProjectQuota', data: { projectId, limits }, metadata: this.writes.metadata(),
    }, actorOf(req));
    return { quota: renderQuota(effectiveQuota(this.view.catalog, this.config.quotaDefaults, projectId), projectId) };
  }

  @Delete(':projectId')
  @HttpCode(202)
  async reset(@Req() req: FastifyRequest, @Param('projectId') projectId: string): Promise<void> {
    checkProject(projectId);
    await this.writes.run({ aggregate: 'project', id: projectId }, project, {
      type: 'ResetProjectQuota', data: { projectId }, metadata: this.writes.metadata(),
    }, actorOf(req));
  }
}

@Module({ controllers: [QuotasController] })
export class QuotasModule {}
