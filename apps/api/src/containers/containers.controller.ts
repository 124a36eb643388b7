import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CONFIG } from '@lbaas/app-shell';
import type { ContainerRecord } from '@lbaas/secret-store';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError } from '../http/errors';
import { Lookup, SECRET_WRITES, type SecretWrites } from '../http/lookup';
import { projectFor } from '../http/request-context';
import { barbicanRef } from '../secrets/secret.fields';
import { CONTAINER } from './container.fields';
import { Policy } from '../http/policy-guard';

/** Barbican's certificate containers; a container names only secrets of its own project. */
@Controller('v1/containers')
export class ContainersController {
  constructor(
    private readonly lookup: Lookup,
    @Inject(SECRET_WRITES) private readonly store: SecretWrites,
    @Inject(CONFIG) private readonly config: ApiConfig,
  ) {}

  @Post()
  @Policy('containers:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = CONTAINER.parseCreateAttributes(body);
    const settings = CONTAINER.settings(b);
    if (settings.type === 'certificate' && !settings.secretRefs.some((r) => r.name === 'certificate')) {
      throw new ApiError(400, 'A certificate container needs a secret named certificate.');
    }
    const projectId = projectFor({}, this.config.defaultProjectId);
    for (const r of settings.secretRefs) if (!(await this.lookup.ownedBy(r.secretRef, projectId))) throw new ApiError(400, `Secret ${r.secretRef} not found.`);
    const rec: ContainerRecord = {
      kind: 'container', id: randomUUID(), projectId, ...settings, secretRefs: [...settings.secretRefs], createdAt: new Date().toISOString(),
    };
    await this.store.put(rec);
    return { container_ref: barbicanRef(req, 'containers', rec.id) };
  }

  @Get(':id')
  @Policy('container:get')
  async show(@Req() req: FastifyRequest, @Param('id') id: string) {
    const record = await this.lookup.container(id);
    return CONTAINER.render({ record, ref: barbicanRef(req, 'containers', record.id) });
  }

  @Delete(':id')
  @Policy('container:delete')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    const c = await this.lookup.container(id);
    await this.store.delete('container', c.id);
  }
}
