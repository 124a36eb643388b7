import { Controller, Get, Inject, Module, Param, Query, Req } from '@nestjs/common';
import { CONFIG, PROJECTION } from '@lbaas/app-shell';
import type { FastifyRequest } from 'fastify';
import type { ApiConfig } from '../config';
import { renderLoadBalancer } from '../loadbalancers/load-balancer.wire';
import { ApiError } from '../shell/errors';
import { fieldsOf, listResponse, type Query as Q } from '../shell/listing';
import { allLbs, lbOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { selfUrl } from '../shell/request-context';
import { selectFields } from '../shell/wire';
import { AGENT_FILTER_KEYS, renderAgent } from './agent.wire';

/**
 * neutron-lbaas's agent endpoints: the agents, and which agent hosts which load balancer. The /v2 aliases exist because
 * openstacksdk, given only --os-endpoint, discovers our version document and then sends Neutron calls under /v2.
 */
@Controller()
export class AgentsController {
  constructor(@Inject(PROJECTION) private readonly view: ReadModel, @Inject(CONFIG) private readonly config: ApiConfig) {}

  private find(id: string) {
    const a = this.view.catalog.agents.agents.get(id);
    if (!a) throw new ApiError(404, `Agent ${id} could not be found.`);
    return a;
  }

  @Get(['v2.0/agents', 'v2/agents'])
  list(@Req() req: FastifyRequest, @Query() q: Q) {
    const items = [...this.view.catalog.agents.agents.values()].map((a) => ({ wire: renderAgent(a) }));
    const body = listResponse('agents', items, q, selfUrl(req, this.config), AGENT_FILTER_KEYS, { strict: false });
    if (Array.isArray(body.agents_links) && body.agents_links.length === 0) delete body.agents_links;
    return body;
  }

  @Get(['v2.0/agents/:id', 'v2/agents/:id'])
  show(@Param('id') id: string, @Query() q: Q) {
    return { agent: selectFields(renderAgent(this.find(id)), fieldsOf(q)) };
  }

  @Get(['v2.0/agents/:id/agent-loadbalancers', 'v2/agents/:id/agent-loadbalancers'])
  hosted(@Param('id') id: string) {
    const agent = this.find(id);
    return { loadbalancers: allLbs(this.view.catalog).filter((lb) => lb.placement?.agentId === agent.agentId).map((lb) => renderLoadBalancer(lb)) };
  }

  @Get(['v2.0/lbaas/loadbalancers/:id/loadbalancer-hosting-agent', 'v2/lbaas/loadbalancers/:id/loadbalancer-hosting-agent'])
  hostingAgent(@Param('id') id: string) {
    const lb = lbOf(this.view.catalog, id);
    const agent = lb.placement ? this.view.catalog.agents.agents.get(lb.placement.agentId) : undefined;
    return { agent: agent ? renderAgent(agent) : null };
  }
}

@Module({ controllers: [AgentsController] })
export class AgentsModule {}
