import { agentLoad, checkPlacementTarget, chooseAgent, chooseStandbyAgent, pairFailover, type AgentCandidate } from '@lbaas/domain';
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

const candidates = (agents: readonly AgentView[]): AgentCandidate[] => agents.map((a) => ({
  agentId: a.agentId, down: !a.alive, adminStateUp: a.adminStateUp, physicalNetworks: Object.keys(a.bridgeMappings), zone: a.availabilityZone,
  host: a.host,
}));

/**
 * Moves `lb` with epoch + 1 (both failover endpoints). SINGLE: to another live agent, its instance rebuilt there (a
 * planned move: the new copy is up before the old one goes). ACTIVE_STANDBY (issue 14, libs/domain pairFailover): the
 * failover of the LB or of its MASTER amphora promotes the standby, the failover of its BACKUP amphora (`side`
 * 'standby') replaces the standby only; the scheduler then places the new standby on another host.
 */
export async function failOver(
  req: FastifyRequest, lb: LoadBalancerView, lookup: Lookup, writes: Writes, side: 'master' | 'standby' = 'master',
): Promise<void> {
  if (lb.deleted) throw new ApiError(409, `Invalid state PENDING_DELETE of loadbalancer resource ${lb.lbId}`);
  const physicalNetwork = lookup.vipNetworkOf(lb)?.physicalNetwork ?? null;
  const expectedEpoch = lb.placement?.epoch ?? 0;
  const current = lb.placement?.pair ?? null;
  if (current) {
    const agents = candidates(lookup.agents());
    const master = agents.find((a) => a.agentId === current.master.agentId) ?? { ...current.master, down: true, adminStateUp: false, physicalNetworks: [], zone: null };
    const elsewhere = side === 'standby'
      ? chooseStandbyAgent({
        agents, physicalNetwork, zone: lb.availabilityZone?.agentZone ?? null, strategy: 'least-loaded', load: agentLoad(lookup.hostingLoad()),
        master, retiring: current.standby?.agentId ?? null,
      })
      : null;
    const pair = pairFailover(lb.lbId, current, side, elsewhere);
    await writes.lb(req, lb, {
      type: 'PlaceLoadBalancer', data: { lbId: lb.lbId, agentId: pair.master.agentId, expectedEpoch, reason: 'operator', pair },
    });
    return;
  }
  const to = failoverTarget(lb, lookup.agents(), lookup.hostingLoad(), physicalNetwork);
  await writes.lb(req, lb, {
    type: 'PlaceLoadBalancer', data: { lbId: lb.lbId, agentId: to.agentId, expectedEpoch, reason: 'operator' },
  });
}
