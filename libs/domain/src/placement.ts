import {
  DESIRED_STATE_EVENTS,
  type AgentEvent, type FailPlacement, type LoadBalancerEvent, type NetworkEvent, type PlaceLoadBalancer,
  type ReleaseVip, type SubnetEvent,
} from '@lbaas/events';
import { mayIssue, type Issued, type Tick, toMs, type Workflow } from './workflow';

/** How the scheduler places load balancers. */
export type PlacementOptions = Readonly<{
  /** `random` (Neutron's ChanceScheduler) or `least-loaded` (fewest load balancers hosted). */
  strategy: 'random' | 'least-loaded';
  /** An LB with no candidate agent for longer than this since its creation gets FailPlacement (ERROR). */
  placementTimeoutMs: number;
  /** Re-place the LBs of an agent that is declared down (`failover`) or disabled (`drain`). */
  automaticFailover: boolean;
  /** A VIP allocated for an LB that was never created is released after this long (the create saga's sweeper). */
  abandonAfterMs: number;
  /** A command in flight is issued again only after this long without its effect. */
  retryAfterMs: number;
}>;

/** The commands the scheduler issues. */
export type PlacementCommand = PlaceLoadBalancer | FailPlacement | ReleaseVip;

/** What the scheduler consumes: the events of every aggregate, clock ticks, and its own issued commands. */
export type PlacementInput =
  | LoadBalancerEvent | AgentEvent | NetworkEvent | SubnetEvent | Tick | Issued<PlacementCommand>;

/** One load balancer as the scheduler tracks it (versions by the shared rule: DESIRED_STATE_EVENTS counted). */
export type TrackedLoadBalancer = Readonly<{
  lbId: string; networkId: string; createdAtMs: number; deleted: boolean; agentId: string | null; epoch: number;
  version: number; appliedVersion: number; placementFailed: boolean;
}>;
/** One agent as the scheduler tracks it. */
export type TrackedAgent = Readonly<{ physicalNetworks: readonly string[]; down: boolean; adminStateUp: boolean }>;
/** One allocated VIP. */
export type TrackedVip = Readonly<{ subnetId: string; lbId: string; allocatedAtMs: number }>;

/** The scheduler's state. */
export type PlacementState = Readonly<{
  loadBalancers: ReadonlyMap<string, TrackedLoadBalancer>;
  agents: ReadonlyMap<string, TrackedAgent>;
  /** networkId → physical network. */
  networks: ReadonlyMap<string, string>;
  /** `<subnetId>/<lbId>` → VIP. */
  vips: ReadonlyMap<string, TrackedVip>;
  /** in-flight key → when it was issued (ms). */
  inFlight: ReadonlyMap<string, number>;
}>;

const initialState = (): PlacementState => ({
  loadBalancers: new Map(), agents: new Map(), networks: new Map(), vips: new Map(), inFlight: new Map(),
});

const vipKey = (subnetId: string, lbId: string) => `${subnetId}/${lbId}`;

/** The in-flight key of a command: one per effect, whatever agent or reason it names. */
export const placementCommandKey = (c: PlacementCommand): string => {
  switch (c.type) {
    case 'PlaceLoadBalancer': return `place/${c.data.lbId}`;
    case 'FailPlacement': return `fail-placement/${c.data.lbId}`;
    case 'ReleaseVip': return `release-vip/${vipKey(c.data.subnetId, c.data.lbId)}`;
  }
};

// The state's maps are handed on from one state to the next, not copied: a workflow state is folded once and only
// its newest version is used (its shell keeps nothing else), and copying 10,000 load balancers per event made a
// replay quadratic. decide() never mutates them.
const put = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => (m as Map<K, V>).set(k, v);
const without = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  (m as Map<K, V>).delete(k);
  return m;
};

const isTornDown = (lb: TrackedLoadBalancer): boolean => lb.deleted && (lb.epoch === 0 || lb.appliedVersion >= lb.version);

const evolveLb = (s: PlacementState, e: LoadBalancerEvent): PlacementState => {
  const lbId = e.data.lbId;
  let lb = s.loadBalancers.get(lbId);
  let inFlight = s.inFlight;
  if (e.type === 'LoadBalancerCreated') {
    lb = {
      lbId, networkId: e.data.vipNetworkId, createdAtMs: toMs(e.data.at), deleted: false, agentId: null, epoch: 0,
      version: 0, appliedVersion: 0, placementFailed: false,
    };
  }
  if (!lb) return s;
  switch (e.type) {
    case 'LoadBalancerDeleted': lb = { ...lb, deleted: true }; break;
    case 'LoadBalancerPlaced':
      lb = { ...lb, agentId: e.data.agentId, epoch: e.data.epoch, placementFailed: false };
      inFlight = without(inFlight, `place/${lbId}`);
      break;
    case 'LoadBalancerPlacementFailed':
      lb = { ...lb, placementFailed: true };
      inFlight = without(inFlight, `fail-placement/${lbId}`);
      break;
    case 'DesiredStateApplied': lb = { ...lb, appliedVersion: Math.max(lb.appliedVersion, e.data.version) }; break;
    default: break;
  }
  if (DESIRED_STATE_EVENTS.has(e.type)) lb = { ...lb, version: lb.version + 1 };
  return { ...s, loadBalancers: put(s.loadBalancers, lbId, lb), inFlight };
};

const evolve = (s: PlacementState, input: PlacementInput): PlacementState => {
  switch (input.type) {
    case 'Tick': return s;
    case 'Issued': return { ...s, inFlight: put(s.inFlight, placementCommandKey(input.command), toMs(input.now)) };
    case 'AgentRegistered': {
      const prev = s.agents.get(input.data.agentId);
      const agent: TrackedAgent = {
        physicalNetworks: Object.keys(input.data.bridgeMappings), down: prev?.down ?? false, adminStateUp: prev?.adminStateUp ?? true,
      };
      return { ...s, agents: put(s.agents, input.data.agentId, agent) };
    }
    case 'AgentDeclaredDown':
    case 'AgentDeclaredUp':
    case 'AgentAdminStateChanged': {
      const prev = s.agents.get(input.data.agentId);
      if (!prev) return s;
      const agent = input.type === 'AgentAdminStateChanged'
        ? { ...prev, adminStateUp: input.data.adminStateUp }
        : { ...prev, down: input.type === 'AgentDeclaredDown' };
      return { ...s, agents: put(s.agents, input.data.agentId, agent) };
    }
    case 'NetworkCreated': return { ...s, networks: put(s.networks, input.data.networkId, input.data.physicalNetwork) };
    case 'NetworkDeleted': return { ...s, networks: without(s.networks, input.data.networkId) };
    case 'SubnetCreated':
    case 'SubnetDeleted':
      return s;
    case 'VipAllocated': {
      const vip: TrackedVip = { subnetId: input.data.subnetId, lbId: input.data.lbId, allocatedAtMs: toMs(input.data.at) };
      return { ...s, vips: put(s.vips, vipKey(vip.subnetId, vip.lbId), vip) };
    }
    case 'VipReleased': {
      const key = vipKey(input.data.subnetId, input.data.lbId);
      return { ...s, vips: without(s.vips, key), inFlight: without(s.inFlight, `release-vip/${key}`) };
    }
    default: return evolveLb(s, input);
  }
};

/** Agents that may host an LB of this network: registered, up, enabled, and bridging its physical network. Sorted by id. */
const candidatesFor = (s: PlacementState, lb: TrackedLoadBalancer, exclude: string | null): string[] => {
  const physnet = s.networks.get(lb.networkId);
  if (physnet === undefined) return [];
  return [...s.agents.entries()]
    .filter(([id, a]) => id !== exclude && !a.down && a.adminStateUp && a.physicalNetworks.includes(physnet))
    .map(([id]) => id)
    .sort();
};

/** Spreads the tick's one random number over the several choices of that tick (golden-ratio steps). */
const pickRandom = (candidates: readonly string[], random: number, nth: number): string => {
  const r = (random + nth * 0.6180339887498949) % 1;
  return candidates[Math.min(candidates.length - 1, Math.floor(r * candidates.length))];
};

const decide = (options: PlacementOptions) => (input: PlacementInput, s: PlacementState): PlacementCommand[] => {
  if (input.type !== 'Tick') return []; // level-based: every decision is taken on a tick, from the folded state
  const nowMs = toMs(input.now);
  const metadata = (commandId: string) => ({ commandId, now: input.now });
  const load = new Map<string, number>();
  for (const lb of s.loadBalancers.values()) {
    if (lb.agentId !== null && !isTornDown(lb)) load.set(lb.agentId, (load.get(lb.agentId) ?? 0) + 1);
  }
  let nth = 0;
  const choose = (candidates: readonly string[]): string => {
    if (options.strategy === 'random') return pickRandom(candidates, input.random, nth++);
    const best = candidates.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a));
    load.set(best, (load.get(best) ?? 0) + 1);
    return best;
  };
  const commands: PlacementCommand[] = [];
  const issue = (c: PlacementCommand): void => {
    if (mayIssue(s.inFlight, placementCommandKey(c), nowMs, options.retryAfterMs)) commands.push(c);
  };
  const place = (lb: TrackedLoadBalancer, agentId: string, reason: PlaceLoadBalancer['data']['reason']): void =>
    issue({
      type: 'PlaceLoadBalancer',
      data: { lbId: lb.lbId, agentId, expectedEpoch: lb.epoch, reason },
      metadata: metadata(`scheduler/place/${lb.lbId}/${lb.epoch}`),
    });

  for (const lb of s.loadBalancers.values()) {
    const inFlight = !mayIssue(s.inFlight, `place/${lb.lbId}`, nowMs, options.retryAfterMs);
    if (!lb.deleted && lb.agentId === null) {
      if (inFlight) continue;
      const candidates = candidatesFor(s, lb, null);
      if (candidates.length > 0) {
        place(lb, choose(candidates), 'initial');
      } else if (!lb.placementFailed && nowMs - lb.createdAtMs > options.placementTimeoutMs) {
        const physnet = s.networks.get(lb.networkId);
        const reason = physnet === undefined
          ? `network ${lb.networkId} is unknown`
          : `no live agent serves physical network ${physnet}`;
        issue({ type: 'FailPlacement', data: { lbId: lb.lbId, reason }, metadata: metadata(`scheduler/fail-placement/${lb.lbId}`) });
      }
    } else if (lb.agentId !== null && options.automaticFailover && !isTornDown(lb)) {
      const host = s.agents.get(lb.agentId);
      if (host && !host.down && host.adminStateUp) continue;
      if (inFlight) continue;
      const candidates = candidatesFor(s, lb, lb.agentId);
      if (candidates.length > 0) place(lb, choose(candidates), host && !host.down ? 'drain' : 'failover');
    }
  }

  for (const vip of s.vips.values()) {
    const lb = s.loadBalancers.get(vip.lbId);
    const reason = lb ? (isTornDown(lb) ? 'deleted' : null) : (nowMs - vip.allocatedAtMs > options.abandonAfterMs ? 'abandoned' : null);
    if (reason === null) continue;
    issue({
      type: 'ReleaseVip',
      data: { subnetId: vip.subnetId, lbId: vip.lbId, reason },
      metadata: metadata(`scheduler/release-vip/${vip.subnetId}/${vip.lbId}`),
    });
  }
  return commands;
};

/** The scheduler: places unplaced LBs, fails them after a timeout, fails over from dead or disabled agents, releases VIPs. */
export const placementWorkflow = (options: PlacementOptions): Workflow<PlacementState, PlacementInput, PlacementCommand> => ({
  initialState, evolve, decide: decide(options),
});
