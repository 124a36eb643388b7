import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { agent as agentDecider } from '@lbaas/domain';
import type { FastifyRequest } from 'fastify';
import { invalidInput } from '../http/errors';
import { listResponse, neutronList, single } from '../http/listing';
import { Lookup } from '../http/lookup';
import { Writes } from '../http/writes';
import { renderLoadBalancer } from '../loadbalancers/load-balancer.fields';
import { AGENT } from './agent.fields';
import { Policy } from '../http/policy-guard';

/**
 * neutron-lbaas's agent endpoints: the agents, which agent hosts which load balancer, and the operator's
 * enable/disable (a disabled agent is drained: the scheduler moves its load balancers; issue 4). The /v2 aliases exist
 * because openstacksdk, given only --os-endpoint, discovers our version document and then sends Neutron calls under /v2.
 */
@Controller()
export class AgentsController {
  constructor(private readonly lookup: Lookup, private readonly writes: Writes) {}

  @Get(['v2.0/agents', 'v2/agents'])
  @Policy('get_agent')
  list(@Req() req: FastifyRequest) {
    return neutronList('agents', listResponse('agents', this.lookup.agents(), AGENT, req, { strict: false }));
  }

  @Get(['v2.0/agents/:id', 'v2/agents/:id'])
  @Policy('get_agent')
  show(@Req() req: FastifyRequest, @Param('id') id: string) {
    return single('agent', AGENT.render(this.lookup.agent(id)), req);
  }

  /** Neutron's `PUT /v2.0/agents/{id}` with `{"agent": {"admin_state_up": <bool>}}`. Admin only (http/policy.ts; noauth: everybody). */
  @Put(['v2.0/agents/:id', 'v2/agents/:id'])
  @Policy('update_agent')
  async update(@Param('id') id: string, @Body() body: { agent?: { admin_state_up?: unknown } }, @Req() req: FastifyRequest) {
    const a = this.lookup.agent(id);
    const up = body?.agent?.admin_state_up;
    if (typeof up !== 'boolean') throw invalidInput('admin_state_up', String(up), 'Value should be a boolean');
    await this.writes.send(req, { aggregate: 'agent', id: a.agentId }, agentDecider, { type: 'SetAgentAdminState', data: { agentId: a.agentId, adminStateUp: up } });
    return { agent: AGENT.render(this.lookup.agent(a.agentId)) };
  }

  @Get(['v2.0/agents/:id/agent-loadbalancers', 'v2/agents/:id/agent-loadbalancers'])
  @Policy('get_agent-loadbalancers')
  hosted(@Param('id') id: string) {
    const agent = this.lookup.agent(id);
    return { loadbalancers: this.lookup.lbs().filter((lb) => lb.placement?.agentId === agent.agentId).map((lb) => renderLoadBalancer(lb)) };
  }

  @Get(['v2.0/lbaas/loadbalancers/:id/loadbalancer-hosting-agent', 'v2/lbaas/loadbalancers/:id/loadbalancer-hosting-agent'])
  @Policy('get_loadbalancer-hosting-agent')
  hostingAgent(@Param('id') id: string) {
    const lb = this.lookup.lb(id);
    const agent = lb.placement ? this.lookup.agents().find((a) => a.agentId === lb.placement?.agentId) : undefined;
    return { agent: agent ? AGENT.render(agent) : null };
  }
}
