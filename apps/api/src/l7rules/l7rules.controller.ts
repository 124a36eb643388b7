import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Req } from '@nestjs/common';
import { newId } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import { listResponse, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { L7_RULE } from './l7rule.fields';
import { Policy } from '../http/policy-guard';

@Controller(['v2/lbaas/l7policies/:policyId/rules', 'v2.0/lbaas/l7policies/:policyId/rules'])
export class L7RulesController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  @Get()
  @Policy('os_load-balancer_api:l7rule:get_all')
  list(@Req() req: FastifyRequest, @Param('policyId') policyId: string) {
    const { lb, policy } = this.lookup.l7Policy(policyId);
    const rules = policy.ruleIds.flatMap((id) => { const rule = lb.l7Rules.get(id); return rule ? [{ lb, rule }] : []; });
    return listResponse('rules', rules, L7_RULE, req);
  }

  @Get(':id')
  @Policy('os_load-balancer_api:l7rule:get_one')
  show(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Param('id') id: string) {
    return single('rule', L7_RULE.render(this.lookup.l7Rule(policyId, id)), req);
  }

  @Post()
  @Policy('os_load-balancer_api:l7rule:post')
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Body() body: unknown) {
    const b = L7_RULE.parseCreate(body);
    const { lb, policy } = this.lookup.l7Policy(policyId);
    const l7RuleId = newId();
    await this.writes.lb(req, lb, { type: 'CreateL7Rule', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId, ...L7_RULE.settings(b) } });
    return { rule: L7_RULE.render(this.lookup.l7Rule(policy.l7PolicyId, l7RuleId)) };
  }

  @Put(':id')
  @Policy('os_load-balancer_api:l7rule:put')
  async update(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Param('id') id: string, @Body() body: unknown) {
    const { lb, policy, rule } = this.lookup.l7Rule(policyId, id);
    const changes = L7_RULE.changes(L7_RULE.parseUpdate(body));
    await this.writes.lb(req, lb, { type: 'UpdateL7Rule', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId: rule.l7RuleId, changes } });
    return { rule: L7_RULE.render(this.lookup.l7Rule(policy.l7PolicyId, rule.l7RuleId)) };
  }

  @Delete(':id')
  @Policy('os_load-balancer_api:l7rule:delete')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Param('id') id: string): Promise<void> {
    const { lb, policy, rule } = this.lookup.l7Rule(policyId, id);
    await this.writes.lb(req, lb, { type: 'DeleteL7Rule', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId: rule.l7RuleId } });
  }
}
