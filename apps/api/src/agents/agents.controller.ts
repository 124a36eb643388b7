import { Body, Controller, Get, Inject, Param, Put, Query, Req } from '@nestjs/common';
import { CONFIG } from '@lbaas/app-shell';
import { agent as agentDecider } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { selectFields } from '../http/attributes';
import { invalidInput } from '../http/errors';
import { fieldsOf, listResponse, neutronList, type Query as Q } from '../http/listing';
import { Lookup } from '../http/lookup';
import { selfUrl } from '../http/request-context';
import { Writes } from '../http/writes';
import { renderLoadBalancer } from '../loadbalancers/load-balancer.fields';
import { AGENT } from './agent.fields';

/**
 * neutron-lbaas's agent endpoints: the agents, which agent hosts which load balancer, and the operator's
 * enable/disable (a disabled agent is drained: the scheduler moves its load balancers; issue 4). The /v2 aliases exist
 * because openstacksdk, given only --os-endpoint, discovers our version document and then sends Neutron calls under /v2.
 */
@Controller()
export class AgentsController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes, @Inject(CONFIG) private readonly config: ApiConfig) {}

  @Get(['v2.0/agents', 'v2/agents'])
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    return neutronList('agents', listResponse('agents', this.lookup.agents(), AGENT, q, selfUrl(req, this.config), { strict: false }));
  }

  @Get(['v2.0/agents/:id', 'v2/agents/:id'])
  show(@Param('id') id: string, @Query() q: Q) {
    return { agent: selectFields(AGENT.render(this.lookup.agent(id)), fieldsOf(q)) };
  }

  /** Neutron's `PUT /v2.0/agents/{id}` with `{"agent": {"admin_state_up": <bool>}}`. Admin only (noauth: everybody). */
  @Put(['v2.0/agents/:id', 'v2/agents/:id'])
  async update(@Param('id') id: string, @Body() body: { agent?: { admin_state_up?: unknown } }, @Req() req: FastifyRequest) {
    const a = this.lookup.agent(id);
    const up = body?.agent?.admin_state_up;
    if (typeof up !== 'boolean') throw invalidInput('admin_state_up', String(up), 'Value should be a boolean');
    await this.writes.send(req, { aggregate: 'agent', id: a.agentId }, agentDecider, { type: 'SetAgentAdminState', data: { agentId: a.agentId, adminStateUp: up } });
    return { agent: AGENT.render(this.lookup.agent(a.agentId)) };
  }

  @Get(['v2.0/agents/:id/agent-loadbalancers', 'v2/agents/:id/agent-loadbalancers'])
  hosted(@Param('id') id: string) {
    const agent = this.lookup.agent(id);
    return { loadbalancers: this.lookup.lbs().filter((lb) => lb.placement?.agentId === agent.agentId).map((lb) => renderLoadBalancer(lb)) };
  }

  @Get(['v2.0/lbaas/loadbalancers/:id/loadbalancer-hosting-agent', 'v2/lbaas/loadbalancers/:id/loadbalancer-hosting-agent'])
  hostingAgent(@Param('id') id: string) {
    const lb = this.lookup.lb(id);
    const agent = lb.placement ? this.lookup.agents().find((a) => a.agentId === lb.placement?.agentId) : undefined;
    return { agent: agent ? AGENT.render(agent) : null };
  }
}
