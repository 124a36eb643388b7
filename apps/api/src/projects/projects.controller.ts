import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import { isProjectId } from '@lbaas/contracts';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError } from '../http/errors';
import { baseUrl } from '../http/request-context';
import { Policy } from '../http/policy-guard';

/** A Keystone v3 project; in noauth every well-formed project id exists, named by its id. */
const renderProject = (id: string, base: string) => ({
  id, name: id, domain_id: 'default', description: '', enabled: true, is_domain: false, parent_id: 'default', tags: [],
  options: {}, links: { self: `${base}/v3/projects/${id}` },
});

/**
 * The minimal Keystone the openstack CLI needs with `--os-auth-type none --os-endpoint <url>`: it resolves `--project`
 * (and the project of `quota show/set`) through `GET <endpoint>/projects/<id>`, then `?name=`. Also under /v3.
 */
@Controller()
export class ProjectsController {
  constructor(@Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get(['projects/:id', 'v3/projects/:id'])
  @Policy('identity:get_project')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    if (!isProjectId(id)) throw new ApiError(404, `Could not find project: ${id}.`);
    return { project: renderProject(id, baseUrl(req)) };
  }

  @Get(['projects', 'v3/projects'])
  @Policy('identity:list_projects')
  list(@Req() req: FastifyRequest, @Query('name') name?: string) {
    const base = baseUrl(req);
    const ids = name !== undefined ? (isProjectId(name) ? [name] : []) : this.config.defaultProjectId ? [this.config.defaultProjectId] : [];
    return { projects: ids.map((id) => renderProject(id, base)), links: { self: `${base}/v3/projects`, previous: null, next: null } };
  }
}
