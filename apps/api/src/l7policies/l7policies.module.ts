import { Controller, Get, Inject, Module, Param, Post, Query, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import { PROVIDER } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { ApiError, notFound } from '../shell/errors';
import { listResponse, type Query as Q } from '../shell/listing';
import { selfUrl } from '../shell/request-context';

const KEYS = ['id', 'name', 'description', 'listener_id', 'action', 'position', 'provisioning_status', 'operating_status', 'admin_state_up', 'project_id', 'tenant_id'];
const unsupported = () => new ApiError(400, `Provider '${PROVIDER}' does not support a requested option: L7 policies are not supported.`);

/**
 * L7 policies are not supported yet; the read side still answers like an Octavia with none, so clients that list
 * them (the CLI, Terraform refreshes) keep working, and writes get a clear 400.
 */
@Controller(['v2/lbaas/l7policies', 'v2.0/lbaas/l7policies'])
export class L7PoliciesController {
  constructor(@Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    return listResponse('l7policies', [], q, selfUrl(req, this.config), KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string): never {
    throw notFound('L7 Policy', id);
  }

  @Get(':id/rules')
  rules(@Param('id') id: string): never {
    throw notFound('L7 Policy', id);
  }

  @Post()
  create(): never {
    throw unsupported();
  }
}

@Module({ controllers: [L7PoliciesController] })
export class L7PoliciesModule {}
