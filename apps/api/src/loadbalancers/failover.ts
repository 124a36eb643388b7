import { agentLoad, checkPlacementTarget, chooseAgent } from '@lbaas/domain';
import type { AgentView, LoadBalancerView } from '@lbaas/projections';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../http/errors';
import type { Lookup } from '../http/lookup';
import type { Writes } from '../http/writes';

/**
 * Where the operator's failover (`PUT /loadbalancers/{id}/failover`, `PUT /octavia/amphorae/{id}/failover`) moves a
 * load balancer: the scheduler's rule (libs/domain placement.ts chooseAgent), least-loaded, never the agent that holds
 * it now, only agents of its availability zone; the domain then checks the target can host its VIP network.
 */
export function failoverTarget(
  lb: LoadBalancerView, agents: readonly AgentView[], hosting: readonly { agentId: string | null; tornDown: boolean }[], physicalNetwork: string | null,
): AgentView {
  const zone = lb.availabilityZone?.agentZone ?? null;
  const toId = chooseAgent({
    agents: agents.map((a) => ({
      agentId: a.agentId, down: !a.alive, adminStateUp: a.adminStateUp, physicalNetworks: Object.keys(a.bridgeMappings), zone: a.availabilityZone,
    })),
    physicalNetwork, exclude: lb.placement?.agentId ?? null, zone, strategy: 'least-loaded', load: agentLoad(hosting),
  });
  const to = agents.find((a) => a.agentId === toId);
  if (!to) throw new ApiError(409, `No other live agent${zone !== null ? ` of availability zone ${zone}` : ''} can host load balancer ${lb.lbId}`);
  checkPlacementTarget({
    agentId: to.agentId, registered: true, down: !to.alive, adminStateUp: to.adminStateUp, physicalNetworks: Object.keys(to.bridgeMappings),
    zone: to.availabilityZone,
  }, physicalNetwork, zone);
  return to;
}

/** Moves `lb` to another live agent with epoch + 1: its instance is rebuilt there (both failover endpoints). */
export async function failOver(req: FastifyRequest, lb: LoadBalancerView, lookup: Lookup, writes: Writes): Promise<void> {
  if (lb.deleted) throw new ApiError(409, `Invalid state PENDING_DELETE of loadbalancer resource ${lb.lbId}`);
  const to = failoverTarget(lb, lookup.agents(), lookup.hostingLoad(), lookup.vipNetworkOf(lb)?.physicalNetwork ?? null);
  await writes.lb(req, lb, {
    type: 'PlaceLoadBalancer', data: { lbId: lb.lbId, agentId: to.agentId, expectedEpoch: lb.placement?.epoch ?? 0, reason: 'operator' },
  });
}
