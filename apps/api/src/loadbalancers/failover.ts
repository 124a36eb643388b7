import { agentLoad, checkPlacementTarget, chooseAgent } from '@lbaas/domain';
import type { AgentView, LoadBalancerView } from '@lbaas/projections';
import { ApiError } from '../http/errors';

/**
 * Where the operator's failover (`PUT /loadbalancers/{id}/failover`) moves a load balancer: the scheduler's rule
 * (libs/domain placement.ts chooseAgent), least-loaded, never the agent that holds it now; the domain then checks the
 * target can host its VIP network.
 */
export function failoverTarget(
  lb: LoadBalancerView, agents: readonly AgentView[], hosting: readonly { agentId: string | null; tornDown: boolean }[], physicalNetwork: string | null,
): AgentView {
  const toId = chooseAgent({
    agents: agents.map((a) => ({ agentId: a.agentId, down: !a.alive, adminStateUp: a.adminStateUp, physicalNetworks: Object.keys(a.bridgeMappings) })),
    physicalNetwork, exclude: lb.placement?.agentId ?? null, strategy: 'least-loaded', load: agentLoad(hosting),
  });
  const to = agents.find((a) => a.agentId === toId);
  if (!to) throw new ApiError(409, `No other live agent can host load balancer ${lb.lbId}`);
  checkPlacementTarget({
    agentId: to.agentId, registered: true, down: !to.alive, adminStateUp: to.adminStateUp, physicalNetworks: Object.keys(to.bridgeMappings),
  }, physicalNetwork);
  return to;
}
