import type { AgentView } from '@lbaas/projections';
import type { Wire } from '../shell/wire';

/** Neutron prints agent timestamps as "YYYY-MM-DD HH:MM:SS". */
const neutronTime = (iso: string | null): string | null => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, '') : null);

/** An agent in neutron-lbaas's shape ("Loadbalancerv2 agent"). */
export function renderAgent(a: AgentView): Wire {
  return {
    id: a.agentId, agent_type: 'Loadbalancerv2 agent', binary: 'lbaas-agent', topic: 'lbaasv2_agent', host: a.host,
    admin_state_up: a.adminStateUp, created_at: neutronTime(a.firstRegisteredAt), started_at: neutronTime(a.registeredAt),
    heartbeat_timestamp: neutronTime(a.lastDeclaredAt ?? a.registeredAt), alive: a.alive, availability_zone: null, description: null,
    configurations: { bridge_mappings: { ...a.bridgeMappings }, device_drivers: ['haproxy_ns'], lease_ms: a.leaseMs },
    resources_synced: null,
  };
}

export const AGENT_FILTER_KEYS = ['id', 'agent_type', 'binary', 'topic', 'host', 'admin_state_up', 'alive', 'availability_zone', 'description'] as const;
