import {
  desiredVersionAfter, handoverFrom, isTornDown, parseVrrpHolderKey, PLANNED_MOVES, vrrpHolderKey,
  type AgentEvent, type AllocateVip, type FailPlacement, type LoadBalancerEvent, type NetworkEvent, type PairSide, type PlacedPair,
  type PlaceLoadBalancer, type ReleaseVip, type SubnetEvent,
} from '@lbaas/events';
import { DomainError } from './domain-error';
import { evolveVips, releaseVipKey, sweepVips, type TrackedVips } from './vip-sweeper';
import { mayIssue, type Issued, type Tick, toMs, type Workflow } from './workflow';

/**
 * The longest the scheduler keeps the old master of a pair's planned promotion (the retiring standby) waiting for its
 * report that it drained, from the later of its release and the promoted side's first applied report: the agents'
 * default drain timeout (DRAIN_TIMEOUT_MS, 60 s, after which the old master ends its release whatever it still carries)
 * plus its minimum drain (3 s) and a margin. Only a lost report, or an agent whose DRAIN_TIMEOUT_MS is longer, meets it.
 */
export const PAIR_DRAIN_FALLBACK_MS = 70_000;

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
export type PlacementCommand = PlaceLoadBalancer | FailPlacement | ReleaseVip | AllocateVip;

/** What the scheduler consumes: the events of every aggregate, clock ticks, and its own issued commands. */
export type PlacementInput =
  | LoadBalancerEvent | AgentEvent | NetworkEvent | SubnetEvent | Tick | Issued<PlacementCommand>;

/** One load balancer as the scheduler tracks it (versions by the shared rule, `desiredVersionAfter`). */
export type TrackedLoadBalancer = Readonly<{
  lbId: string; networkId: string; createdAtMs: number; deleted: boolean; agentId: string | null; epoch: number;
  version: number; appliedVersion: number; placementFailed: boolean;
  /** The agents' availability zone it must run in (its availability zone's), or null for any. */
  zone: string | null;
  /** ACTIVE_STANDBY (the flavor's topology): placed as a VRRP pair on two hosts (issue 14). */
  activeStandby: boolean;
  /** The VIP's subnet (a pair's VRRP addresses are allocated there). */
  subnetId: string;
  /** The pair of the current placement (null: SINGLE or not placed). */
  pair: PlacedPair | null;
  /** The ordinal the next new side of a pair gets (every side ever placed has a lower one). */
  nextAmphora: number;
  /** Every side ever placed: amphora ordinal → its agent (whose VRRP address is released once that agent is not down). */
  sideAgents: ReadonlyMap<number, string>;
  /** The highest placement epoch whose master reported a version applied (only the master's reports are events). */
  appliedEpoch: number;
  /**
   * The standby a planned move (operator failover, drain) named only to keep it up while the master takes over: its
   * amphora ordinal, replaced by a new standby on another host once the master applied that epoch (null: none).
   */
  retiring: number | null;
  /** The retiring side is the old master of a planned promotion: it hands the VIP over and reports when it drained. */
  retiringHandsOver: boolean;
  /** When the old master of a planned promotion released the VIP (its hand-over report), else null. */
  releasedAtMs: number | null;
  /** When the old master of a planned promotion reported its release ended (it carries no connection), else null. */
  drainedAtMs: number | null;
  /** When the master first reported this placement applied (it serves), else null. */
  servedAtMs: number | null;
}>;
/** One agent as the scheduler tracks it. */
export type TrackedAgent = Readonly<{
  physicalNetworks: readonly string[]; down: boolean; adminStateUp: boolean; zone: string | null;
  /** The host the agent registered from: the two sides of an ACTIVE_STANDBY pair never share one. */
  host: string;
}>;

/** The scheduler's state. */
export type PlacementState = Readonly<{
  loadBalancers: ReadonlyMap<string, TrackedLoadBalancer>;
  agents: ReadonlyMap<string, TrackedAgent>;
  /** networkId → physical network. */
  networks: ReadonlyMap<string, string>;
  /** The allocated VIPs (vip-sweeper.ts). */
  vips: TrackedVips;
  /** in-flight key → when it was issued (ms). */
  inFlight: ReadonlyMap<string, number>;
  /** VRRP addresses allocated for pair sides: holder key (vrrpHolderKey) → address and port. */
  vrrp: ReadonlyMap<string, Readonly<{ address: string; portId: string }>>;
}>;

const initialState = (): PlacementState => ({
  loadBalancers: new Map(), agents: new Map(), networks: new Map(), vips: new Map(), inFlight: new Map(), vrrp: new Map(),
});

/** The in-flight key of a command: one per effect, whatever agent or reason it names. */
export const placementCommandKey = (c: PlacementCommand): string => {
  switch (c.type) {
    case 'PlaceLoadBalancer': return `place/${c.data.lbId}`;
    case 'FailPlacement': return `fail-placement/${c.data.lbId}`;
    case 'ReleaseVip': return releaseVipKey(c.data.subnetId, c.data.lbId);
    case 'AllocateVip': return allocateVipKey(c.data.subnetId, c.data.lbId);
  }
};

/** The in-flight key of the AllocateVip of a pair side's VRRP address. */
const allocateVipKey = (subnetId: string, holder: string): string => `allocate-vip/${subnetId}/${holder}`;

// The state's maps are handed on from one state to the next, not copied: a workflow state is folded once and only
// its newest version is used (its shell keeps nothing else), and copying 10,000 load balancers per event made a
// replay quadratic. decide() never mutates them.
const put = <K, V>(m: ReadonlyMap<K, V>, k: K, v: V): ReadonlyMap<K, V> => (m as Map<K, V>).set(k, v);
const without = <K, V>(m: ReadonlyMap<K, V>, k: K): ReadonlyMap<K, V> => {
  (m as Map<K, V>).delete(k);
  return m;
};

const tornDown = (lb: TrackedLoadBalancer): boolean =>
  isTornDown({ deleted: lb.deleted, placed: lb.epoch > 0, version: lb.version, appliedVersion: lb.appliedVersion });

const evolveLb = (s: PlacementState, e: LoadBalancerEvent): PlacementState => {
  const lbId = e.data.lbId;
  let lb = s.loadBalancers.get(lbId);
  let inFlight = s.inFlight;
  if (e.type === 'LoadBalancerCreated') {
    lb = {
      lbId, networkId: e.data.vipNetworkId, createdAtMs: toMs(e.data.at), deleted: false, agentId: null, epoch: 0,
      version: 0, appliedVersion: 0, placementFailed: false, zone: e.data.availabilityZone?.agentZone ?? null,
      activeStandby: e.data.flavor?.topology === 'ACTIVE_STANDBY', subnetId: e.data.vipSubnetId, pair: null, nextAmphora: 0,
      sideAgents: new Map(), appliedEpoch: 0, retiring: null, retiringHandsOver: false, releasedAtMs: null, drainedAtMs: null, servedAtMs: null,
    };
  }
  if (!lb) return s;
  switch (e.type) {
    case 'LoadBalancerDeleted': lb = { ...lb, deleted: true }; break;
    case 'LoadBalancerPlaced':
      lb = {
        ...lb, agentId: e.data.agentId, epoch: e.data.epoch, placementFailed: false, pair: e.data.pair ?? null,
        nextAmphora: Math.max(lb.nextAmphora, ...[e.data.pair?.master, e.data.pair?.standby].map((x) => (x ? x.amphora + 1 : 0))),
        sideAgents: [e.data.pair?.master, e.data.pair?.standby].reduce(
          (m, x) => (x ? new Map(m).set(x.amphora, x.agentId) : m), lb.sideAgents as ReadonlyMap<number, string>),
        retiring: e.data.pair?.standby && PLANNED_MOVES.has(e.data.reason) ? e.data.pair.standby.amphora : null,
        retiringHandsOver: handoverFrom({ agentId: lb.agentId, pair: lb.pair }, e.data) !== null,
        releasedAtMs: null, drainedAtMs: null, servedAtMs: null,
      };
      inFlight = without(inFlight, `place/${lbId}`);
      break;
    case 'LoadBalancerPlacementFailed':
      lb = { ...lb, placementFailed: true };
      inFlight = without(inFlight, `fail-placement/${lbId}`);
      break;
    case 'LoadBalancerHandoverReleased':
      if (e.data.epoch === lb.epoch) lb = { ...lb, releasedAtMs: toMs(e.data.at) };
      break;
    case 'LoadBalancerHandoverDrained':
      if (e.data.epoch === lb.epoch) lb = { ...lb, drainedAtMs: toMs(e.data.at) };
      break;
    case 'DesiredStateApplied':
      lb = {
        ...lb, appliedVersion: Math.max(lb.appliedVersion, e.data.version), appliedEpoch: Math.max(lb.appliedEpoch, e.data.epoch),
        servedAtMs: lb.servedAtMs ?? (e.data.epoch === lb.epoch ? toMs(e.data.at) : null),
      };
      break;
    default: break;
  }
  const version = desiredVersionAfter(lb.version, e);
  if (version !== lb.version) lb = { ...lb, version };
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
        zone: input.data.availabilityZone ?? null, host: input.data.host,
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
      const vrrp = parseVrrpHolderKey(input.data.lbId) ? put(s.vrrp, input.data.lbId, { address: input.data.address, portId: input.data.portId }) : s.vrrp;
      return { ...s, vips: evolveVips(s.vips, input), vrrp, inFlight: without(s.inFlight, allocateVipKey(input.data.subnetId, input.data.lbId)) };
    }
    case 'VipReleased':
      return {
        ...s, vips: evolveVips(s.vips, input), vrrp: without(s.vrrp, input.data.lbId),
        inFlight: without(s.inFlight, releaseVipKey(input.data.subnetId, input.data.lbId)),
      };
    default: return evolveLb(s, input);
  }
};

/** An agent as agent choice sees it (from the scheduler's state or from a view of the agents). */
export type AgentCandidate = Readonly<{
  agentId: string; down: boolean; adminStateUp: boolean; physicalNetworks: readonly string[];
  /** The availability zone the agent registered in (null: none). */
  zone: string | null;
  /** The host it registered from; unknown (absent) never qualifies where hosts are excluded. */
  host?: string | null;
}>;

/** Where a load balancer may go and how to pick among the agents that may host it. */
export type AgentChoice = Readonly<{
  agents: Iterable<AgentCandidate>;
  /** The physical network of the LB's VIP network; null when that network is unknown (then no agent qualifies). */
  physicalNetwork: string | null;
  /** The agent that hosts it now (a failover never picks it again), or null. */
  exclude: string | null;
  /** Hosts none of whose agents qualify (an ACTIVE_STANDBY pair: the other side's host). Absent: none. */
  excludeHosts?: readonly string[];
  /** The availability zone the LB must run in: only agents registered in it qualify (null: any agent). */
  zone: string | null;
  /** `random` (Neutron's ChanceScheduler) or `least-loaded` (fewest load balancers hosted, ties by agent id). */
  strategy: 'random' | 'least-loaded';
  /** How many load balancers each agent hosts (see agentLoad); read by `least-loaded`. */
  load: ReadonlyMap<string, number>;
  /** A number in [0, 1) that picks among the candidates; read by `random` (0 when absent). */
  random?: number;
}>;

/**
 * The one rule for choosing an agent, used by automatic placement and failover (the scheduler) and by the operator's
 * failover endpoint: the candidates are the agents that are up, enabled, bridge the LB's physical network, serve its
 * availability zone (when it has one) and are not `exclude`, sorted by id; `least-loaded` takes the first with the fewest load balancers, `random` the one `random`
 * points at. Null when no agent qualifies.
 */
export const chooseAgent = (c: AgentChoice): string | null => {
  if (c.physicalNetwork === null) return null;
  const physnet = c.physicalNetwork;
  const excludeHosts = c.excludeHosts ?? [];
  const candidates = [...c.agents]
    .filter((a) => a.agentId !== c.exclude && !a.down && a.adminStateUp && a.physicalNetworks.includes(physnet)
      && (c.zone === null || a.zone === c.zone)
      && (excludeHosts.length === 0 || (typeof a.host === 'string' && !excludeHosts.includes(a.host))))
    .map((a) => a.agentId)
    .sort();
  if (candidates.length === 0) return null;
  if (c.strategy === 'random') return candidates[Math.min(candidates.length - 1, Math.floor((c.random ?? 0) * candidates.length))];
  return candidates.reduce((a, b) => ((c.load.get(b) ?? 0) < (c.load.get(a) ?? 0) ? b : a));
};

/**
 * The standby of an ACTIVE_STANDBY pair (issue 14): chooseAgent's rule (up, enabled, the VIP's physical network, the
 * LB's availability zone, strategy and load), and never the master's agent nor any agent on the master's host (two
 * agents may share a machine: a pair on one host dies with it). Used for the first placement of a pair, and after a
 * takeover (the old standby is the master now; the new standby goes anywhere but its host). Null when none qualifies:
 * the pair runs degraded (one side) until an agent on another host is up.
 */
export const chooseStandbyAgent = (
  c: Omit<AgentChoice, 'exclude' | 'excludeHosts'> & Readonly<{ master: AgentCandidate; retiring?: string | null }>,
): string | null => {
  if (typeof c.master.host !== 'string') return null;
  const masterHost = c.master.host;
  const agents = c.retiring ? [...c.agents].filter((a) => a.agentId !== c.retiring) : c.agents;
  return chooseAgent({ ...c, agents, exclude: c.master.agentId, excludeHosts: [masterHost] });
};

/**
 * The pair an operator's failover places (issue 14, make before break; Octavia's failover of an ACTIVE_STANDBY load
 * balancer keeps the VIP up). `master` (the LB's failover, or its MASTER amphora's): the standby, already up and
 * tracking, is promoted and the old master stays beside it as the standby until the promoted side serves; the scheduler
 * then replaces it by a new standby on another host when there is one (the `retiring` side). `standby` (the BACKUP
 * amphora's): the same pair is placed again and its standby retires the same way; the master is not touched. Conflict
 * when there is nothing to promote or nowhere to put a new standby (`standbyElsewhere`: chooseStandbyAgent's answer
 * with the current standby as `retiring`).
 */
export const pairFailover = (
  lbId: string, pair: PlacedPair, side: 'master' | 'standby', standbyElsewhere: string | null,
): PlacedPair => {
  if (side === 'master') {
    if (!pair.standby) {
      throw new DomainError('Conflict', `Load Balancer ${lbId} has no standby to promote (its pair runs on one side until another host is up); the scheduler places one as soon as it can`);
    }
    return { master: pair.standby, standby: pair.master };
  }
  if (!pair.standby) throw new DomainError('Conflict', `Load Balancer ${lbId} has no standby amphora`);
  if (standbyElsewhere === null) {
    throw new DomainError('Conflict', `No other live agent on a host other than ${pair.master.host} can take the standby of load balancer ${lbId}`);
  }
  return pair;
};

/**
 * Both sides of a new ACTIVE_STANDBY pair: the master by chooseAgent, the standby by chooseStandbyAgent with the master
 * counted in the load. Null when not even a master qualifies; `standby` null when no second host does.
 */
export const choosePair = (c: Omit<AgentChoice, 'exclude' | 'excludeHosts'>): { master: string; standby: string | null } | null => {
  const agents = [...c.agents];
  const master = chooseAgent({ ...c, agents, exclude: null });
  if (master === null) return null;
  const load = new Map(c.load).set(master, (c.load.get(master) ?? 0) + 1);
  const m = agents.find((a) => a.agentId === master) as AgentCandidate;
  return { master, standby: chooseStandbyAgent({ ...c, agents, load, master: m, random: c.random === undefined ? undefined : (c.random + 0.6180339887498949) % 1 }) };
};

/** Load balancers per agent: every LB placed on an agent counts until it is torn down. */
export const agentLoad = (lbs: Iterable<Readonly<{ agentId: string | null; tornDown: boolean }>>): Map<string, number> => {
  const load = new Map<string, number>();
  for (const lb of lbs) if (lb.agentId !== null && !lb.tornDown) load.set(lb.agentId, (load.get(lb.agentId) ?? 0) + 1);
  return load;
};

/** Spreads the tick's one random number over the several choices of that tick (golden-ratio steps). */
const spread = (random: number, nth: number): number => (random + nth * 0.6180339887498949) % 1;

const candidatesOf = (s: PlacementState): AgentCandidate[] =>
  [...s.agents].map(([agentId, a]) => ({ agentId, down: a.down, adminStateUp: a.adminStateUp, physicalNetworks: a.physicalNetworks, zone: a.zone, host: a.host }));

const decide = (options: PlacementOptions) => (input: PlacementInput, s: PlacementState): PlacementCommand[] => {
  if (input.type !== 'Tick') return []; // level-based: every decision is taken on a tick, from the folded state
  const nowMs = toMs(input.now);
  const metadata = (commandId: string) => ({ commandId, now: input.now });
  const load = agentLoad([...s.loadBalancers.values()].flatMap((lb) => [
    { agentId: lb.agentId, tornDown: tornDown(lb) }, ...(lb.pair?.standby ? [{ agentId: lb.pair.standby.agentId, tornDown: tornDown(lb) }] : []),
  ]));
  const agents = candidatesOf(s);
  let nth = 0;
  const choose = (lb: TrackedLoadBalancer, exclude: string | null): string | null => {
    const agentId = chooseAgent({
      agents, physicalNetwork: s.networks.get(lb.networkId) ?? null, exclude, zone: lb.zone, strategy: options.strategy, load,
      random: spread(input.random, nth),
    });
    if (agentId === null) return null;
    nth += 1;
    load.set(agentId, (load.get(agentId) ?? 0) + 1);
    return agentId;
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

  // ---- ACTIVE_STANDBY (issue 14): both sides, each with its own VRRP address (allocated first), under one epoch.
  const usable = (agentId: string): boolean => {
    const a = s.agents.get(agentId);
    return !!a && !a.down && a.adminStateUp;
  };
  const candidate = (agentId: string): AgentCandidate | undefined => agents.find((a) => a.agentId === agentId);
  /** The side `agentId` would be as amphora `amphora`, or null after asking for its VRRP address (placed on a later tick). */
  const sideOf = (lb: TrackedLoadBalancer, agentId: string, amphora: number): PairSide | null => {
    const holder = vrrpHolderKey(lb.lbId, amphora);
    const vrrp = s.vrrp.get(holder);
    const host = s.agents.get(agentId)?.host;
    if (vrrp && host !== undefined) return { agentId, host, amphora, vrrpAddress: vrrp.address, vrrpPortId: vrrp.portId };
    issue({
      type: 'AllocateVip', data: { subnetId: lb.subnetId, lbId: holder, portId: `vrrp-${lb.lbId}-${amphora}`, address: null },
      metadata: metadata(`scheduler/allocate-vrrp/${holder}`),
    });
    return null;
  };
  const placePair = (lb: TrackedLoadBalancer, pair: PlacedPair, reason: PlaceLoadBalancer['data']['reason']): void => {
    issue({
      type: 'PlaceLoadBalancer',
      data: { lbId: lb.lbId, agentId: pair.master.agentId, expectedEpoch: lb.epoch, reason, pair },
      metadata: metadata(`scheduler/place/${lb.lbId}/${lb.epoch}`),
    });
  };
  const chooseStandby = (lb: TrackedLoadBalancer, master: string, retiring: string | null = null): string | null => {
    const m = candidate(master);
    if (!m) return null;
    const agentId = chooseStandbyAgent({
      agents, physicalNetwork: s.networks.get(lb.networkId) ?? null, zone: lb.zone, strategy: options.strategy, load,
      random: spread(input.random, nth), master: m, retiring,
    });
    if (agentId === null) return null;
    nth += 1;
    load.set(agentId, (load.get(agentId) ?? 0) + 1);
    return agentId;
  };
  /** A new SINGLE load balancer: false when no agent qualifies. */
  const placeSingle = (lb: TrackedLoadBalancer): boolean => {
    const agentId = choose(lb, null);
    if (agentId !== null) place(lb, agentId, 'initial');
    return agentId !== null;
  };
  /** A new pair (first placement): false when not even a master qualifies. */
  const placeNewPair = (lb: TrackedLoadBalancer): boolean => {
    const master = choose(lb, null);
    if (master === null) return false;
    const standby = chooseStandby(lb, master);
    const m = sideOf(lb, master, lb.nextAmphora);
    const sb = standby === null ? null : sideOf(lb, standby, lb.nextAmphora + 1);
    if (m && (standby === null || sb)) placePair(lb, { master: m, standby: sb }, 'initial');
    return true;
  };
  /**
   * A retiring side goes once the promoted master serves this placement and, when it is the old master of the hand-over,
   * once it reported drained (its release ended: no connection left, or its drain timed out; it still serves what
   * reaches it until then), or PAIR_DRAIN_FALLBACK_MS after the later of its release and the promoted side serving (a
   * lost report never keeps it for ever). A retiring side whose agent is down is replaced at once (nothing to wait for).
   */
  const mayRetire = (lb: TrackedLoadBalancer, agentId: string): boolean => {
    if (s.agents.get(agentId)?.down === true) return true;
    if (lb.appliedEpoch < lb.epoch) return false;
    if (!lb.retiringHandsOver || lb.drainedAtMs !== null) return true;
    return nowMs >= Math.max(lb.releasedAtMs ?? 0, lb.servedAtMs ?? 0) + PAIR_DRAIN_FALLBACK_MS;
  };
  /**
   * A placed pair: the master's agent down → the standby is promoted (it already serves: VRRP moved the VIP); the
   * master's agent disabled (a drain, make before break) → the standby is promoted and the old master stays beside it as
   * the standby (`retiring`) until the promoted side applied that placement and the old master drained (mayRetire); with
   * no usable standby, a new master is built elsewhere. The standby's agent down or disabled, a retiring standby once it
   * may retire, or no standby → a new standby on another host (never a retiring side's agent). No such host: the pair
   * runs on one side (a dead standby stays named until replaced; a retiring one that is up stays the standby).
   */
  const keepPair = (lb: TrackedLoadBalancer, pair: PlacedPair): void => {
    const master = lb.agentId as string;
    const sb = pair.standby;
    if (!usable(master)) {
      const drain = s.agents.get(master)?.down === false;
      if (sb && usable(sb.agentId)) return placePair(lb, { master: sb, standby: drain ? pair.master : null }, drain ? 'drain' : 'failover');
      const agentId = choose(lb, master);
      const m = agentId === null ? null : sideOf(lb, agentId, lb.nextAmphora);
      if (m) placePair(lb, { master: m, standby: null }, drain ? 'drain' : 'failover');
      return;
    }
    const retiring = sb !== null && lb.retiring === sb.amphora;
    if (retiring && !mayRetire(lb, sb.agentId)) return;
    if (sb && usable(sb.agentId) && !retiring) return;
    const standby = chooseStandby(lb, master, retiring ? sb.agentId : null);
    const side = standby === null ? null : sideOf(lb, standby, lb.nextAmphora);
    if (side) placePair(lb, { master: pair.master, standby: side }, 'standby');
  };

  for (const lb of s.loadBalancers.values()) {
    const inFlight = !mayIssue(s.inFlight, `place/${lb.lbId}`, nowMs, options.retryAfterMs);
    if (!lb.deleted && lb.agentId === null) {
      if (inFlight) continue;
      const placed = lb.activeStandby ? placeNewPair(lb) : placeSingle(lb); // (a pair: or its VRRP addresses asked for)
      if (!placed && !lb.placementFailed && nowMs - lb.createdAtMs > options.placementTimeoutMs) {
        const physnet = s.networks.get(lb.networkId);
        const reason = physnet === undefined
          ? `network ${lb.networkId} is unknown`
          : lb.zone !== null
            ? `no live agent of availability zone ${lb.zone} serves physical network ${physnet}`
            : `no live agent serves physical network ${physnet}`;
        issue({ type: 'FailPlacement', data: { lbId: lb.lbId, reason }, metadata: metadata(`scheduler/fail-placement/${lb.lbId}`) });
      }
    } else if (lb.agentId !== null && lb.pair !== null && !lb.deleted) {
      if (!inFlight && options.automaticFailover) keepPair(lb, lb.pair);
    } else if (lb.agentId !== null && options.automaticFailover && !tornDown(lb)) {
      const host = s.agents.get(lb.agentId);
      if (host && !host.down && host.adminStateUp) continue;
      if (inFlight) continue;
      const agentId = choose(lb, lb.agentId);
      if (agentId !== null) place(lb, agentId, host && !host.down ? 'drain' : 'failover');
    }
  }

  const ownerOf = (holder: string) => {
    const side = parseVrrpHolderKey(holder);
    const lb = s.loadBalancers.get(side ? side.lbId : holder);
    if (lb === undefined) return 'unknown' as const;
    if (side && sideAgentDown(s, lb, side.amphora)) return 'present' as const;
    if (tornDown(lb)) return 'torn-down' as const;
    return side && retiredSide(lb, side.amphora) ? 'torn-down' as const : 'present' as const;
  };
  for (const release of sweepVips(s.vips, ownerOf, nowMs, options.abandonAfterMs, input.now)) issue(release);
  return commands;
};

/**
 * A pair side's VRRP address is given back once the side is no longer in the placement (replaced or promoted away) or
 * the load balancer is torn down, and only when the side's agent is not down: a host that comes back still has the old
 * address on its copy's interface until its agent, up again, destroys the copy; handing the address to a new side before
 * would put it twice on the segment. Ordinals at or above `nextAmphora` are allocated for sides still to be placed.
 */
const retiredSide = (lb: TrackedLoadBalancer, amphora: number): boolean => {
  if (amphora >= lb.nextAmphora) return false;
  return ![lb.pair?.master, lb.pair?.standby].some((x) => x?.amphora === amphora);
};
const sideAgentDown = (s: PlacementState, lb: TrackedLoadBalancer, amphora: number): boolean => {
  const agentId = lb.sideAgents.get(amphora);
  return agentId !== undefined && s.agents.get(agentId)?.down === true;
};

/** The scheduler: places unplaced LBs, fails them after a timeout, fails over from dead or disabled agents, releases VIPs. */
export const placementWorkflow = (options: PlacementOptions): Workflow<PlacementState, PlacementInput, PlacementCommand> => ({
  initialState, evolve, decide: decide(options),
});
