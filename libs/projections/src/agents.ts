import type { AgentEvent } from '@lbaas/events';

export type AgentView = {
  agentId: string; host: string; bridgeMappings: Record<string, string>; leaseMs: number;
  /** The availability zone it registered in, and its management address (null: not given). */
  availabilityZone: string | null; managementAddress: string | null;
  registeredAt: string; firstRegisteredAt: string;
  /** False once the failover-watcher declared it down, true again when it came back. */
  alive: boolean;
  adminStateUp: boolean;
  lastDeclaredAt: string | null;
};
/** The agents known to the system. */
export type AgentsView = { agents: Map<string, AgentView> };

export const initialAgents = (): AgentsView => ({ agents: new Map() });

/** Folds one agent event into the view (in place; deterministic, no I/O). */
export function evolveAgents(view: AgentsView, event: AgentEvent): AgentsView {
  const a = view.agents.get(event.data.agentId);
  switch (event.type) {
    case 'AgentRegistered': {
      const { at, ...rest } = event.data;
      view.agents.set(rest.agentId, {
        ...rest, bridgeMappings: { ...rest.bridgeMappings }, registeredAt: at, firstRegisteredAt: a?.firstRegisteredAt ?? at,
        availabilityZone: rest.availabilityZone ?? null, managementAddress: rest.managementAddress ?? null,
        alive: a?.alive ?? true, adminStateUp: a?.adminStateUp ?? true, lastDeclaredAt: a?.lastDeclaredAt ?? null,
      });
      break;
    }
    case 'AgentDeclaredDown':
      if (a) { a.alive = false; a.lastDeclaredAt = event.data.at; }
      break;
    case 'AgentDeclaredUp':
      if (a) { a.alive = true; a.lastDeclaredAt = event.data.at; }
      break;
    case 'AgentAdminStateChanged':
      if (a) a.adminStateUp = event.data.adminStateUp;
      break;
  }
  return view;
}
