import { DomainError } from './domain-error';

/** What a placement needs to know about its target agent (from the agent aggregate or a view of it). */
export type PlacementTarget = Readonly<{
  agentId: string; registered: boolean; down: boolean; adminStateUp: boolean; physicalNetworks: readonly string[];
  /** The availability zone the agent registered in (null: none). */
  zone?: string | null;
}>;

/**
 * May a load balancer of `physicalNetwork` be placed on this agent? Refuses an unknown, down or disabled agent, or one
 * that does not bridge the network or does not serve the LB's availability zone (`zone`, null: any). The agent lives in another aggregate, so this is checked by the shell that issues
 * the placement (a race with a down declaration is healed by the scheduler: it re-places from a down agent).
 */
export function checkPlacementTarget(t: PlacementTarget, physicalNetwork: string | null, zone: string | null = null): void {
  if (!t.registered) throw new DomainError('NotFound', `Agent ${t.agentId} could not be found.`);
  if (t.down) throw new DomainError('Conflict', `Agent ${t.agentId} is down: it cannot host load balancers`);
  if (!t.adminStateUp) throw new DomainError('Conflict', `Agent ${t.agentId} is disabled (admin_state_up=false)`);
  if (physicalNetwork !== null && !t.physicalNetworks.includes(physicalNetwork)) {
    throw new DomainError('Conflict', `Agent ${t.agentId} does not serve physical network ${physicalNetwork}`);
  }
  if (zone !== null && (t.zone ?? null) !== zone) {
    throw new DomainError('Conflict', `Agent ${t.agentId} is not in availability zone ${zone}`);
  }
}
