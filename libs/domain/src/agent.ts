import type {
  AgentCommand, AgentEvent, Decider, DeclareAgentDown, DeclareAgentUp, RegisterAgent, SetAgentAdminState,
} from '@lbaas/events';
import { isAgentId } from '@lbaas/contracts';
import { assertNever, DomainError } from './domain-error';
import { sameValue } from './field-rules';
import { parseIpAddress } from './ip-address';
import { isZoneName } from './provider-capabilities';

/** The agent aggregate's state (`lbaas.evt.agent.<agentId>`). */
export type Agent =
  | Readonly<{ status: 'none' }>
  | Readonly<{
    status: 'registered'; agentId: string; host: string; bridgeMappings: Readonly<Record<string, string>>;
    leaseMs: number; down: boolean; adminStateUp: boolean; availabilityZone: string | null; managementAddress: string | null;
  }>;
type Registered = Extract<Agent, { status: 'registered' }>;

export const initialState = (): Agent => ({ status: 'none' });

export const evolve = (s: Agent, e: AgentEvent): Agent => {
  switch (e.type) {
    case 'AgentRegistered': {
      const { agentId, host, bridgeMappings, leaseMs } = e.data;
      const availabilityZone = e.data.availabilityZone ?? null;
      const managementAddress = e.data.managementAddress ?? null;
      // Re-registration keeps down/admin state: only heartbeats (through the watcher) and operators change those.
      return s.status === 'registered'
        ? { ...s, host, bridgeMappings, leaseMs, availabilityZone, managementAddress }
        : { status: 'registered', agentId, host, bridgeMappings, leaseMs, down: false, adminStateUp: true, availabilityZone, managementAddress };
    }
    case 'AgentDeclaredDown': return s.status === 'registered' ? { ...s, down: true } : s;
    case 'AgentDeclaredUp': return s.status === 'registered' ? { ...s, down: false } : s;
    case 'AgentAdminStateChanged': return s.status === 'registered' ? { ...s, adminStateUp: e.data.adminStateUp } : s;
    default: return assertNever(e);
  }
};

export const decide = (c: AgentCommand, s: Agent): AgentEvent[] => {
  switch (c.type) {
    case 'RegisterAgent': return register(c, s);
    case 'DeclareAgentDown': return declareDown(c, s);
    case 'DeclareAgentUp': return declareUp(c, s);
    case 'SetAgentAdminState': return setAdminState(c, s);
    default: return assertNever(c);
  }
};

const registered = (s: Agent, agentId: string): Registered => {
  if (s.status !== 'registered') throw new DomainError('NotFound', `Agent ${agentId} could not be found.`);
  return s;
};

const register = ({ data, metadata }: RegisterAgent, s: Agent): AgentEvent[] => {
  if (!isAgentId(data.agentId)) throw new DomainError('Invalid', `'${data.agentId}' is not a valid agent id (lowercase letters, digits and -, at most 24)`);
  if (typeof data.host !== 'string' || data.host.length === 0) throw new DomainError('Invalid', 'agent host must not be empty');
  if (!Number.isInteger(data.leaseMs) || data.leaseMs < 1) throw new DomainError('Invalid', `agent leaseMs must be a positive integer, not ${data.leaseMs}`);
  const availabilityZone = data.availabilityZone ?? null;
  const managementAddress = data.managementAddress ?? null;
  if (availabilityZone !== null && !isZoneName(availabilityZone)) {
    throw new DomainError('Invalid', `agent availability zone ${JSON.stringify(availabilityZone).slice(0, 80)} must be 1-255 printable characters`);
  }
  if (managementAddress !== null && !parseIpAddress(managementAddress)) {
    throw new DomainError('Invalid', `agent management address ${JSON.stringify(managementAddress).slice(0, 80)} is not an IP address`);
  }
  if (s.status === 'registered' && s.host === data.host && s.leaseMs === data.leaseMs && sameValue(s.bridgeMappings, data.bridgeMappings)
    && s.availabilityZone === availabilityZone && s.managementAddress === managementAddress) {
    return [];
  }
  // The optional fields are written only when set, so a registration without them reads as before.
  const { availabilityZone: _z, managementAddress: _m, ...base } = data;
  return [{
    type: 'AgentRegistered', v: 1,
    data: {
      ...base, ...(availabilityZone !== null ? { availabilityZone } : {}), ...(managementAddress !== null ? { managementAddress } : {}),
      at: metadata.now,
    },
  }];
};

const declareDown = ({ data, metadata }: DeclareAgentDown, s: Agent): AgentEvent[] => {
  const agent = registered(s, data.agentId);
  if (agent.down) return [];
  return [{ type: 'AgentDeclaredDown', v: 1, data: { agentId: data.agentId, lastHeartbeatAt: data.lastHeartbeatAt, at: metadata.now } }];
};

const declareUp = ({ data, metadata }: DeclareAgentUp, s: Agent): AgentEvent[] => {
  const agent = registered(s, data.agentId);
  if (!agent.down) return [];
  return [{ type: 'AgentDeclaredUp', v: 1, data: { agentId: data.agentId, at: metadata.now } }];
};

const setAdminState = ({ data, metadata }: SetAgentAdminState, s: Agent): AgentEvent[] => {
  const agent = registered(s, data.agentId);
  if (agent.adminStateUp === data.adminStateUp) return [];
  return [{ type: 'AgentAdminStateChanged', v: 1, data: { agentId: data.agentId, adminStateUp: data.adminStateUp, at: metadata.now } }];
};

/** The agent aggregate (`lbaas.evt.agent.<agentId>`) as a decider. */
export const agent = { decide, evolve, initialState } satisfies Decider<Agent, AgentCommand, AgentEvent>;
