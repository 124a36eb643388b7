import type { Event } from './event';

/** An agent announced itself: its host and which bridge carries each physical network there. Written by the agent at start. */
export type AgentRegistered = Event<'AgentRegistered', 1, {
  agentId: string;
  host: string;
  /** physical network name -> host bridge (like linuxbridge's bridge_mappings). */
  bridgeMappings: Readonly<Record<string, string>>;
  /** How long the agent keeps serving without NATS before it withdraws its VIPs (ms). */
  leaseMs: number;
  /**
   * Optional and additive to v1 (absent = null): the availability zone the agent serves (load balancers of a zone are
   * placed only on its agents), and the agent's management address (an amphora's `lb_network_ip`).
   */
  availabilityZone?: string | null;
  managementAddress?: string | null;
  at: string;
}>;

/** No heartbeat came from the agent for longer than agent_down_time. Written by the failover-watcher. */
export type AgentDeclaredDown = Event<'AgentDeclaredDown', 1, { agentId: string; lastHeartbeatAt: string | null; at: string }>;

/** Heartbeats from a down agent resumed. Written by the failover-watcher. */
export type AgentDeclaredUp = Event<'AgentDeclaredUp', 1, { agentId: string; at: string }>;

/** An operator enabled or disabled the agent (a disabled agent gets no new load balancers). Written by the api. */
export type AgentAdminStateChanged = Event<'AgentAdminStateChanged', 1, { agentId: string; adminStateUp: boolean; at: string }>;

/** Every event of the agent aggregate (`lbaas.evt.agent.<agentId>`). */
export type AgentEvent = AgentRegistered | AgentDeclaredDown | AgentDeclaredUp | AgentAdminStateChanged;
