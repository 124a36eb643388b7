import type { AgentCommand, AgentEvent } from '@lbaas/events';
import { metadata, NOW } from './load-balancer/load-balancer.fixtures';

/** Builders for agent tests. */
export const AGENT_ID = 'agent-a';
type Cmd<T extends AgentCommand['type']> = Extract<AgentCommand, { type: T }>;
type Evt<T extends AgentEvent['type']> = Extract<AgentEvent, { type: T }>;
const registration = { agentId: AGENT_ID, host: 'node-1', bridgeMappings: { physnet1: 'br-ex' } as Record<string, string>, leaseMs: 30000 };

export const registerAgent = (o: Partial<Cmd<'RegisterAgent'>['data']> = {}): Cmd<'RegisterAgent'> =>
  ({ type: 'RegisterAgent', data: { ...registration, ...o }, metadata });
export const agentRegistered = (o: Partial<Cmd<'RegisterAgent'>['data']> = {}, at = NOW): Evt<'AgentRegistered'> =>
  ({ type: 'AgentRegistered', v: 1, data: { ...registration, ...o, at } });
export const declareDown = (lastHeartbeatAt: string | null = null, agentId = AGENT_ID): Cmd<'DeclareAgentDown'> =>
  ({ type: 'DeclareAgentDown', data: { agentId, lastHeartbeatAt }, metadata });
export const declaredDown = (lastHeartbeatAt: string | null = null, agentId = AGENT_ID, at = NOW): Evt<'AgentDeclaredDown'> =>
  ({ type: 'AgentDeclaredDown', v: 1, data: { agentId, lastHeartbeatAt, at } });
export const declareUp = (agentId = AGENT_ID): Cmd<'DeclareAgentUp'> => ({ type: 'DeclareAgentUp', data: { agentId }, metadata });
export const declaredUp = (agentId = AGENT_ID, at = NOW): Evt<'AgentDeclaredUp'> =>
  ({ type: 'AgentDeclaredUp', v: 1, data: { agentId, at } });
export const setAdminState = (adminStateUp: boolean, agentId = AGENT_ID): Cmd<'SetAgentAdminState'> =>
  ({ type: 'SetAgentAdminState', data: { agentId, adminStateUp }, metadata });
export const adminStateChanged = (adminStateUp: boolean, agentId = AGENT_ID, at = NOW): Evt<'AgentAdminStateChanged'> =>
  ({ type: 'AgentAdminStateChanged', v: 1, data: { agentId, adminStateUp, at } });
