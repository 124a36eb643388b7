import { Body, Controller, HttpCode, Inject, Module, Param, Put, Req } from '@nestjs/common';
import { PROJECTION } from '@lbaas/app-shell';
import { agent, agentLoad, checkPlacementTarget, chooseAgent, loadBalancer } from '@lbaas/domain';
import { isGone, type AgentView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import { renderAgent } from '../agents/agent.wire';
import { ApiError, invalidInput } from '../shell/errors';
import { lbOf } from '../shell/lookup';
import type { ReadModel } from '../shell/read-model';
import { actorOf, noteLb } from '../shell/request-context';
import { Writes } from '../shell/writes';

const target = (a: AgentView | undefined, agentId: string) => ({
  agentId, registered: !!a, down: a ? !a.alive : false, adminStateUp: a?.adminStateUp ?? false,
  physicalNetworks: a ? Object.keys(a.bridgeMappings) : [],
});

/**
 * Operator controls of failover (issue 4): enable/disable an agent (Neutron `PUT /v2.0/agents/{id}`; a disabled agent is
 * drained: the scheduler moves its load balancers), and Octavia's `PUT /loadbalancers/{id}/failover` (202; moves one load
 * balancer to another live agent with epoch + 1). Admin only (noauth: everybody is admin).
 */
@Controller()
export class OperatorController {
  constructor(@Inject(PROJECTION) private readonly view: ReadModel, private readonly writes: Writes) {}

  @Put(['v2.0/agents/:id', 'v2/agents/:id'])
  async updateAgent(@Param('id') id: string, @Body() body: { agent?: { admin_state_up?: unknown } }, @Req() req: FastifyRequest) {
    const a = this.view.catalog.agents.agents.get(id);
    if (!a) throw new ApiError(404, `Agent ${id} could not be found.`);
    const up = body?.agent?.admin_state_up;
    if (typeof up !== 'boolean') throw invalidInput('admin_state_up', String(up), 'Value should be a boolean');
    await this.writes.run({ aggregate: 'agent', id }, agent, {
      type: 'SetAgentAdminState', data: { agentId: id, adminStateUp: up }, metadata: this.writes.metadata(),
    }, actorOf(req));
    return { agent: renderAgent(this.view.catalog.agents.agents.get(id) as AgentView) };
  }

  @Put(['v2/lbaas/loadbalancers/:id/failover', 'v2.0/lbaas/loadbalancers/:id/failover'])
  @HttpCode(202)
  async failover(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    const lb = lbOf(this.view.catalog, id);
    noteLb(req, lb.lbId);
    if (lb.deleted) throw new ApiError(409, `Invalid state PENDING_DELETE of loadbalancer resource ${lb.lbId}`);
    const physnet = this.view.catalog.networks.networks.get(lb.vipNetworkId)?.physicalNetwork ?? null;
    // The scheduler's rule (libs/domain placement.ts), least-loaded: the operator asks for a move, not for a random one.
    const toId = chooseAgent({
      agents: [...this.view.catalog.agents.agents.values()].map((a) => ({
        agentId: a.agentId, down: !a.alive, adminStateUp: a.adminStateUp, physicalNetworks: Object.keys(a.bridgeMappings),
      })),
      physicalNetwork: physnet, exclude: lb.placement?.agentId ?? null, strategy: 'least-loaded',
      load: agentLoad([...this.view.catalog.loadBalancers.lbs.values()].map((o) => ({ agentId: o.placement?.agentId ?? null, tornDown: isGone(o) }))),
    });
    const to = toId === null ? undefined : this.view.catalog.agents.agents.get(toId);
    if (!to) throw new ApiError(409, `No other live agent can host load balancer ${lb.lbId}`);
    checkPlacementTarget(target(to, to.agentId), physnet);
    await this.writes.run({ aggregate: 'lb', id: lb.lbId }, loadBalancer, {
      type: 'PlaceLoadBalancer', data: { lbId: lb.lbId, agentId: to.agentId, expectedEpoch: lb.placement?.epoch ?? 0, reason: 'operator' },
      metadata: this.writes.metadata(),
    }, actorOf(req));
  }
}

@Module({ controllers: [OperatorController] })
export class OperatorModule {}
