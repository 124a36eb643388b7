import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import { listenerPolicies } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { L7_POLICY, redirectChanges, sanitizeRedirects } from './l7policy.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/l7policies', 'v2.0/lbaas/l7policies'])
export class L7PoliciesController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  @Get()
  @Policy('os_load-balancer_api:l7policy:get_all')
  list(@Req() req: FastifyRequest) {
    const policies = this.lookup.lbs().flatMap((lb) => [...lb.listeners.keys()].flatMap((id) => listenerPolicies(lb, id)).map((policy) => ({ lb, policy })));
    return listResponse('l7policies', policies, L7_POLICY, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:l7policy:get_one')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('l7policy', L7_POLICY.render(this.lookup.l7Policy(id)), req);
  }

  @Post()
  @Policy('os_load-balancer_api:l7policy:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = L7_POLICY.parseCreate(body);
    const { lb, listener } = this.lookup.listener(b.listener_id);
    const l7PolicyId = newId();
    const settings = L7_POLICY.settings(b, { position: listenerPolicies(lb, listener.listenerId).length + 1 });
    await this.writes.lb(req, lb, {
      type: 'CreateL7Policy',
      data: { lbId: lb.lbId, listenerId: listener.listenerId, l7PolicyId, ...settings, ...sanitizeRedirects(b, null) },
    });
    return { l7policy: L7_POLICY.render(this.lookup.l7Policy(l7PolicyId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:l7policy:put')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, policy } = this.lookup.l7Policy(id);
    const b = L7_POLICY.parseUpdate(body);
    const changes = { ...L7_POLICY.changes(b, { position: policy.position }), ...redirectChanges(b, policy) };
    await this.writes.lb(req, lb, { type: 'UpdateL7Policy', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, changes } });
    return { l7policy: L7_POLICY.render(this.lookup.l7Policy(policy.l7PolicyId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:l7policy:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, policy } = this.lookup.l7Policy(id);
    await this.writes.lb(req, lb, { type: 'DeleteL7Policy', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId } });
  }
}
