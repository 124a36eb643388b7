import type { AgentView } from '@lbaas/projections';
import { attributes } from '../http/attributes';

/** Neutron prints agent timestamps as "YYYY-MM-DD HH:MM:SS". */
const neutronTime = (iso: string | null): string | null => (iso ? iso.replace('T', ' ').replace(/\.\d+/, '').replace(/Z$/, '') : null);

/** An agent in neutron-lbaas's shape ("Loadbalancerv2 agent"); only admin_state_up is settable (PUT, agents.controller.ts). */
export const AGENT = attributes<AgentView>()('agent', 'agent', (a) => a, [
  { name: 'id', field: 'agentId', filter: true },
  { name: 'agent_type', show: () => 'Loadbalancerv2 agent', filter: true },
  { name: 'binary', show: () => 'lbaas-agent', filter: true },
  { name: 'topic', show: () => 'lbaasv2_agent', filter: true },
  { name: 'host', field: 'host', filter: true },
  { name: 'admin_state_up', field: 'adminStateUp', filter: true },
  { name: 'created_at', show: (a) => neutronTime(a.firstRegisteredAt) },
  { name: 'started_at', show: (a) => neutronTime(a.registeredAt) },
  { name: 'heartbeat_timestamp', show: (a) => neutronTime(a.lastDeclaredAt ?? a.registeredAt) },
  { name: 'alive', field: 'alive', filter: true },
  { name: 'availability_zone', show: (a) => a.availabilityZone, filter: true },
  { name: 'description', show: () => null, filter: true },
  {
    name: 'configurations',
    show: (a) => ({
      bridge_mappings: { ...a.bridgeMappings }, device_drivers: ['haproxy_ns'], lease_ms: a.leaseMs, management_address: a.managementAddress,
    }),
  },
  { name: 'resources_synced', show: () => null },
]);
