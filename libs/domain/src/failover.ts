import type { AgentEvent, DeclareAgentDown, DeclareAgentUp } from '@lbaas/events';
import { mayIssue, type Issued, toMs, type Workflow } from './workflow';

/** How the failover-watcher judges agents. */
export type FailoverOptions = Readonly<{
  /** An agent without a heartbeat for longer than this is declared down (Neutron's agent_down_time). */
  agentDownTimeMs: number;
  /** A command in flight is issued again only after this long without its effect. */
  retryAfterMs: number;
  /**
   * Cold start: an agent this watcher knows only from history (registered before the watcher's first tick and not
   * heard since) is given this much longer than a live agent's grace, counted from the watcher's first tick. A whole
   * stack that starts again (every `lbaasctl up`, a DR restore, a controller reboot) brings its agents up one after
   * another, seconds after the watcher; without it the watcher would fail over agents that are merely still booting.
   * Default 0 (no extra grace).
   */
  coldStartGraceMs?: number;
}>;

/** A heartbeat of an agent; `at` is when the watcher received it (the shell's clock, the same clock as Tick). */
export type Heartbeat = Readonly<{ type: 'Heartbeat'; agentId: string; at: string }>;

/** A clock tick (a scheduler `Tick` fits too: the watcher ignores `random`). */
export type FailoverTick = Readonly<{ type: 'Tick'; now: string }>;

/** The commands the failover-watcher issues. */
export type FailoverCommand = DeclareAgentDown | DeclareAgentUp;

/** What the failover-watcher consumes. */
export type FailoverInput = AgentEvent | Heartbeat | FailoverTick | Issued<FailoverCommand>;

/** One agent as the watcher tracks it. */
export type WatchedAgent = Readonly<{
  down: boolean;
  /** The last heartbeat this watcher received (ms and as given). */
  lastHeartbeatMs: number | null;
  lastHeartbeatAt: string | null;
  /** When this watcher learnt of the registration, if it had ticked by then: a new agent gets a full grace period. */
  registeredSeenMs: number | null;
  /** The last heartbeat the down declaration knew of: a newer one means the agent is back. */
  downSinceHeartbeatMs: number | null;
  /** The lease the agent registered with: it is declared down only once that lease has surely run out. */
  leaseMs: number;
}>;

/** Silence after an agent's lease runs out before it may be declared down (its host watchdog polls, clocks differ). */
export const LEASE_MARGIN_MS = 500;

/** The failover-watcher's state. */
export type FailoverState = Readonly<{
  agents: ReadonlyMap<string, WatchedAgent>;
  firstTickMs: number | null;
  lastTickMs: number | null;
  inFlight: ReadonlyMap<string, number>;
}>;

const initialState = (): FailoverState => ({ agents: new Map(), firstTickMs: null, lastTickMs: null, inFlight: new Map() });

/** The in-flight key of a command. */
export const failoverCommandKey = (c: FailoverCommand): string =>
  `${c.type === 'DeclareAgentDown' ? 'down' : 'up'}/${c.data.agentId}`;

const without = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  if (!m.has(k)) return m;
  const next = new Map(m);
  next.delete(k);
  return next;
};

const withAgent = (s: FailoverState, agentId: string, f: (a: WatchedAgent) => WatchedAgent): FailoverState => {
  const a = s.agents.get(agentId);
  return a ? { ...s, agents: new Map(s.agents).set(agentId, f(a)) } : s;
};

const evolve = (s: FailoverState, input: FailoverInput): FailoverState => {
  switch (input.type) {
    case 'Tick': {
      const now = toMs(input.now);
      return { ...s, firstTickMs: s.firstTickMs ?? now, lastTickMs: now };
    }
    case 'Issued': return { ...s, inFlight: new Map(s.inFlight).set(failoverCommandKey(input.command), toMs(input.now)) };
    case 'Heartbeat': // from an unregistered agent: ignored (withAgent does nothing)
      return withAgent(s, input.agentId, (a) => {
        const ms = toMs(input.at);
        return a.lastHeartbeatMs !== null && a.lastHeartbeatMs >= ms ? a : { ...a, lastHeartbeatMs: ms, lastHeartbeatAt: input.at };
      });
    case 'AgentRegistered':
      if (s.agents.has(input.data.agentId)) return withAgent(s, input.data.agentId, (a) => ({ ...a, leaseMs: input.data.leaseMs }));
      return {
        ...s,
        agents: new Map(s.agents).set(input.data.agentId, {
          down: false, lastHeartbeatMs: null, lastHeartbeatAt: null, registeredSeenMs: s.lastTickMs, downSinceHeartbeatMs: null,
          leaseMs: input.data.leaseMs,
        }),
      };
    case 'AgentDeclaredDown': {
      const at = input.data.lastHeartbeatAt;
      const next = withAgent(s, input.data.agentId, (a) => ({ ...a, down: true, downSinceHeartbeatMs: at === null ? null : toMs(at) }));
      return { ...next, inFlight: without(next.inFlight, `down/${input.data.agentId}`) };
    }
    case 'AgentDeclaredUp': {
      const next = withAgent(s, input.data.agentId, (a) => ({ ...a, down: false, downSinceHeartbeatMs: null }));
      return { ...next, inFlight: without(next.inFlight, `up/${input.data.agentId}`) };
    }
    case 'AgentAdminStateChanged': return s;
  }
};

const decide = (options: FailoverOptions) => (input: FailoverInput, s: FailoverState): FailoverCommand[] => {
  if (input.type !== 'Tick') return []; // level-based: decisions are taken on ticks
  const nowMs = toMs(input.now);
  const commands: FailoverCommand[] = [];
  const issue = (c: FailoverCommand): void => {
    if (mayIssue(s.inFlight, failoverCommandKey(c), nowMs, options.retryAfterMs)) commands.push(c);
  };
  for (const [agentId, a] of s.agents) {
    if (!a.down) {
      // Count from the later of the last heartbeat, our first tick and when we saw it register: a restarted
      // watcher (which heard no heartbeat yet) gives every agent a full grace period.
      const since = Math.max(a.lastHeartbeatMs ?? -Infinity, a.registeredSeenMs ?? -Infinity, s.firstTickMs ?? nowMs);
      // Never before the agent's lease surely lapsed (DESIGN.md §6): a larger LEASE_MS than agent_down_time wins.
      const grace = Math.max(options.agentDownTimeMs, a.leaseMs + LEASE_MARGIN_MS);
      // Known only from history and silent since we started: it may still be booting (cold start).
      const onlyFromHistory = a.registeredSeenMs === null && (a.lastHeartbeatMs === null || a.lastHeartbeatMs < (s.firstTickMs ?? nowMs));
      if (nowMs - since > grace + (onlyFromHistory ? options.coldStartGraceMs ?? 0 : 0)) {
        issue({
          type: 'DeclareAgentDown',
          data: { agentId, lastHeartbeatAt: a.lastHeartbeatAt },
          metadata: { commandId: `failover-watcher/down/${agentId}/${a.lastHeartbeatAt ?? 'never'}`, now: input.now },
        });
      }
    } else if (a.lastHeartbeatMs !== null && (a.downSinceHeartbeatMs === null || a.lastHeartbeatMs > a.downSinceHeartbeatMs)) {
      issue({
        type: 'DeclareAgentUp',
        data: { agentId },
        metadata: { commandId: `failover-watcher/up/${agentId}/${a.lastHeartbeatAt}`, now: input.now },
      });
    }
  }
  return commands;
};

/** The failover-watcher: declares agents down when their heartbeats stop, and up when they resume. */
export const failoverWorkflow = (options: FailoverOptions): Workflow<FailoverState, FailoverInput, FailoverCommand> => ({
  initialState, evolve, decide: decide(options),
});
