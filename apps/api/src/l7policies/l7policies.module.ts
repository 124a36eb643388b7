import { Body, Controller, Delete, Get, HttpCode, Inject, Module, Param, Post, Put, Query, Req } from '@nestjs/common';
import { isUuid } from '@lbaas/contracts';
import { CONFIG, PROJECTION, newId } from '@lbaas/app-shell';
import { loadBalancer } from '@lbaas/domain';
import type {
  CreateL7Policy, CreateL7Rule, DeleteL7Policy, DeleteL7Rule, L7PolicySettings, L7RuleSettings, UpdateL7Policy, UpdateL7Rule,
} from '@lbaas/events';
import { listenerPolicies, type Catalog, type L7PolicyView, type L7RuleView, type LoadBalancerView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { notFound } from '../shell/errors';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { allLbs, listenerOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb, selfUrl } from '../shell/request-context';
import { parseBody } from '../shell/validation';
import { selectFields } from '../shell/wire';
import { Writes } from '../shell/writes';
import { L7PolicyCreateBody, L7PolicyUpdateBody, L7RuleCreateBody, L7RuleUpdateBody } from './l7policy.dto';
import { L7POLICY_FILTER_KEYS, L7RULE_FILTER_KEYS, renderL7Policy, renderL7Rule, sanitizeRedirects } from './l7policy.wire';

function policyOf(catalog: Catalog, id: string): { lb: LoadBalancerView; policy: L7PolicyView } {
  const lbId = isUuid(id) ? catalog.loadBalancers.owner.get(id.toLowerCase()) : undefined;
  const lb = lbId ? catalog.loadBalancers.lbs.get(lbId) : undefined;
  const policy = lb?.l7Policies.get(id.toLowerCase());
  if (!lb || !policy) throw notFound('L7 Policy', id);
  return { lb, policy };
}
function ruleOf(catalog: Catalog, policyId: string, id: string): { lb: LoadBalancerView; policy: L7PolicyView; rule: L7RuleView } {
  const { lb, policy } = policyOf(catalog, policyId);
  const rule = isUuid(id) ? lb.l7Rules.get(id.toLowerCase()) : undefined;
  if (!rule || rule.l7PolicyId !== policy.l7PolicyId) throw notFound('L7 Rule', id);
  return { lb, policy, rule };
}

@Controller(['v2/lbaas/l7policies', 'v2.0/lbaas/l7policies'])
export class L7PoliciesController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = allLbs(this.view.catalog).flatMap((lb) =>
      [...lb.listeners.keys()].flatMap((lid) => listenerPolicies(lb, lid)).map((p) => ({ wire: renderL7Policy(lb, p) })));
    return listResponse('l7policies', items, q, selfUrl(req, this.config), L7POLICY_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('id') id: string, @Query() q: Q) {
    const { lb, policy } = policyOf(this.view.catalog, id);
    return { l7policy: selectFields(renderL7Policy(lb, policy), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Body() body: unknown) {
    const b = parseBody(L7PolicyCreateBody, body, 'l7policy_', 'l7policy');
    const { lb, listener } = listenerOf(this.view.catalog, b.listener_id);
    noteLb(req, lb.lbId);
    const command: CreateL7Policy = {
      type: 'CreateL7Policy',
      data: {
        lbId: lb.lbId, listenerId: listener.listenerId, l7PolicyId: newId(), name: b.name ?? '', description: b.description ?? '',
        adminStateUp: b.admin_state_up ?? true, position: b.position ?? listenerPolicies(lb, listener.listenerId).length + 1,
        ...sanitizeRedirects(b, null), tags: b.tags ?? [],
      },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = policyOf(this.view.catalog, command.data.l7PolicyId);
    return { l7policy: renderL7Policy(after.lb, after.policy) };
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('id') id: string, @Body() body: unknown) {
    const { lb, policy } = policyOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const b = parseBody(L7PolicyUpdateBody, body, 'l7policy_', 'l7policy');
    const changes: Partial<Record<keyof L7PolicySettings, unknown>> = {};
    if ('name' in b) changes.name = b.name ?? '';
    if ('description' in b) changes.description = b.description ?? '';
    if ('admin_state_up' in b) changes.adminStateUp = b.admin_state_up ?? true;
    if ('position' in b && b.position !== null && b.position !== undefined) changes.position = b.position;
    if ('tags' in b) changes.tags = b.tags ?? [];
    const redirectKeys = ['action', 'redirect_pool_id', 'redirect_url', 'redirect_prefix', 'redirect_http_code'];
    if (redirectKeys.some((k) => k in b)) {
      const given = { ...b, action: b.action ?? undefined };
      Object.assign(changes, sanitizeRedirects(given, policy));
    }
    const command: UpdateL7Policy = {
      type: 'UpdateL7Policy', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, changes: changes as Partial<L7PolicySettings> },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = policyOf(this.view.catalog, policy.l7PolicyId);
    return { l7policy: renderL7Policy(after.lb, after.policy) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('id') id: string): Promise<void> {
    const { lb, policy } = policyOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    const command: DeleteL7Policy = { type: 'DeleteL7Policy', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId }, metadata: this.writes.metadata() };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
  }
}

@Controller(['v2/lbaas/l7policies/:policyId/rules', 'v2.0/lbaas/l7policies/:policyId/rules'])
export class L7RulesController {
  constructor(
    @Inject(PROJECTION) private readonly view: ReadModel,
    @Inject(CONFIG) private readonly config: ApiConfig,
    private readonly writes: Writes,
  ) {}

  @Get()
  list(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Query() q: Q) {
    const { lb, policy } = policyOf(this.view.catalog, policyId);
    const items = policy.ruleIds.flatMap((id) => {
      const r = lb.l7Rules.get(id);
      return r ? [{ wire: renderL7Rule(lb, r) }] : [];
    });
    return listResponse('rules', items, q, selfUrl(req, this.config), L7RULE_FILTER_KEYS);
  }

  @Get(':id')
  show(@Param('policyId') policyId: string, @Param('id') id: string, @Query() q: Q) {
    const { lb, rule } = ruleOf(this.view.catalog, policyId, id);
    return { rule: selectFields(renderL7Rule(lb, rule), fieldsOf(q)) };
  }

  @Post()
  @HttpCode(201)
  async create(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Body() body: unknown) {
    const b = parseBody(L7RuleCreateBody, body, 'rule_', 'rule');
    const { lb, policy } = policyOf(this.view.catalog, policyId);
    noteLb(req, lb.lbId);
    const command: CreateL7Rule = {
      type: 'CreateL7Rule',
      data: {
        lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId: newId(), type: b.type, compareType: b.compare_type, key: b.key ?? null,
        value: b.value, invert: b.invert ?? false, adminStateUp: b.admin_state_up ?? true, tags: b.tags ?? [],
      },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = ruleOf(this.view.catalog, policy.l7PolicyId, command.data.l7RuleId);
    return { rule: renderL7Rule(after.lb, after.rule) };
  }

  @Put(':id')
  async update(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Param('id') id: string, @Body() body: unknown) {
    const { lb, policy, rule } = ruleOf(this.view.catalog, policyId, id);
    noteLb(req, lb.lbId);
    const b = parseBody(L7RuleUpdateBody, body, 'rule_', 'rule');
    const changes: Partial<Record<keyof L7RuleSettings, unknown>> = {};
    if ('type' in b && b.type) changes.type = b.type;
    if ('compare_type' in b && b.compare_type) changes.compareType = b.compare_type;
    if ('key' in b) changes.key = b.key ?? null;
    if ('value' in b && b.value !== null && b.value !== undefined) changes.value = b.value;
    if ('invert' in b) changes.invert = b.invert ?? false;
    if ('admin_state_up' in b) changes.adminStateUp = b.admin_state_up ?? true;
    if ('tags' in b) changes.tags = b.tags ?? [];
    const command: UpdateL7Rule = {
      type: 'UpdateL7Rule',
      data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId: rule.l7RuleId, changes: changes as Partial<L7RuleSettings> },
      metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
    const after = ruleOf(this.view.catalog, policy.l7PolicyId, rule.l7RuleId);
    return { rule: renderL7Rule(after.lb, after.rule) };
  }

  @Delete(':id')
  @HttpCode(204)
  async remove(@Req() req: FastifyRequest, @Param('policyId') policyId: string, @Param('id') id: string): Promise<void> {
    const { lb, policy, rule } = ruleOf(this.view.catalog, policyId, id);
    noteLb(req, lb.lbId);
    const command: DeleteL7Rule = {
      type: 'DeleteL7Rule', data: { lbId: lb.lbId, l7PolicyId: policy.l7PolicyId, l7RuleId: rule.l7RuleId }, metadata: this.writes.metadata(),
    };
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, command, actorOf(req, lb.projectId));
  }
}

@Module({ controllers: [L7PoliciesController, L7RulesController] })
export class L7PoliciesModule {}
