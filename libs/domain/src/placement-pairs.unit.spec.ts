import { vrrpHolderKey, type LoadBalancerEvent, type PairSide, type PlacedPair } from '@lbaas/events';
import { workflowSpec } from '@lbaas/testing';
import { adminStateChanged, agentRegistered, declaredDown, declaredUp } from './agent.fixtures';
import { applied, handoverDrained, handoverReleased, lbCreated, lbDeleted, lbPlaced } from './load-balancer/load-balancer.fixtures';
import { networkCreated, vipAllocated } from './network.fixtures';
import { chooseStandbyAgent, PAIR_DRAIN_FALLBACK_MS, pairFailover, placementWorkflow, type PlacementCommand, type PlacementInput } from './placement';
import { at, placementOptions, tick } from './placement.fixtures';

/** The scheduler and ACTIVE_STANDBY pairs (issue 14): both sides, VRRP addresses, promotion, new standbys. */

const given = workflowSpec(placementWorkflow(placementOptions));
const SUBNET = 'subnet-1'; // lbCreated()'s VIP subnet
const flavor = { flavorId: 'f', topology: 'ACTIVE_STANDBY' as const, maxListeners: null, maxListenerConnections: null };
const created = lbCreated({ flavor });
const LB = created.data.lbId;
const net = networkCreated({ networkId: 'net-1', physicalNetwork: 'physnet1' });
const agent = (id: string, host = `host-${id}`) => agentRegistered({ agentId: id, host });
const [a, b, c] = [agent('agent-a'), agent('agent-b'), agent('agent-c')];
const vrrpIp = (n: number) => `198.51.100.${20 + n}`;
const vrrp = (n: number) => vipAllocated(vrrpHolderKey(LB, n), vrrpIp(n), undefined, SUBNET);
const side = (agentId: string, amphora: number): PairSide =>
  ({ agentId, host: `host-${agentId}`, amphora, vrrpAddress: vrrpIp(amphora), vrrpPortId: `port-${vrrpHolderKey(LB, amphora)}` });

const allocate = (n: number, seconds: number): PlacementCommand => ({
  type: 'AllocateVip', data: { subnetId: SUBNET, lbId: vrrpHolderKey(LB, n), portId: `vrrp-${LB}-${n}`, address: null },
  metadata: { commandId: `scheduler/allocate-vrrp/${vrrpHolderKey(LB, n)}`, now: at(seconds) },
});
const placePair = (pair: PlacedPair, seconds: number, expectedEpoch = 0, reason: 'initial' | 'failover' | 'drain' | 'standby' | 'operator' = 'initial'): PlacementCommand => ({
  type: 'PlaceLoadBalancer', data: { lbId: LB, agentId: pair.master.agentId, expectedEpoch, reason, pair },
  metadata: { commandId: `scheduler/place/${LB}/${expectedEpoch}`, now: at(seconds) },
});
const releaseVrrp = (n: number, seconds: number): PlacementCommand => ({
  type: 'ReleaseVip', data: { subnetId: SUBNET, lbId: vrrpHolderKey(LB, n), reason: 'deleted' },
  metadata: { commandId: `scheduler/release-vip/${SUBNET}/${vrrpHolderKey(LB, n)}`, now: at(seconds) },
});

const pairAB = { master: side('agent-a', 0), standby: side('agent-b', 1) };
const placedAB = (): PlacementInput[] => [net, a, b, created, vrrp(0), vrrp(1), lbPlaced({ pair: pairAB })];

describe('scheduler: ACTIVE_STANDBY placement', () => {
  it('asks for the VRRP addresses it lacks before it places a pair', () =>
    given([net, a, b, created]).when(tick(1)).then([allocate(0, 1), allocate(1, 1)]));
  it('places both sides on two hosts once their VRRP addresses are allocated', () =>
    given([net, a, b, created, vrrp(0), vrrp(1)]).when(tick(1)).then([placePair(pairAB, 1)]));
  it('never puts the standby on the master\'s host (two agents of one machine)', () =>
    given([net, a, agent('agent-b', 'host-agent-a'), c, created, vrrp(0), vrrp(1)]).when(tick(1))
      .then([placePair({ master: side('agent-a', 0), standby: side('agent-c', 1) }, 1)]));
  it('places a degraded pair (master only) when there is one host', () =>
    given([net, a, created, vrrp(0), vrrp(1)]).when(tick(1)).then([placePair({ master: side('agent-a', 0), standby: null }, 1)]));
  it('leaves a placed pair alone while both sides are up', () => given(placedAB()).when(tick(5)).then([]));
});

describe('scheduler: ACTIVE_STANDBY failover', () => {
  it('promotes the standby when the master\'s agent is down (no rebuild: VRRP already moved the VIP)', () =>
    given([...placedAB(), declaredDown(null, 'agent-a')]).when(tick(5))
      .then([placePair({ master: side('agent-b', 1), standby: null }, 5, 1, 'failover')]));
  it('promotes the standby when the master\'s agent is disabled (drain), the old master kept as standby until the new one serves', () =>
    given([...placedAB(), adminStateChanged(false, 'agent-a')]).when(tick(5))
      .then([placePair({ master: side('agent-b', 1), standby: side('agent-a', 0) }, 5, 1, 'drain')]));
  it('then asks for a VRRP address for a new standby on a third host', () =>
    given([...placedAB(), c, declaredDown(null, 'agent-a'), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover', pair: { master: side('agent-b', 1), standby: null } })])
      .when(tick(6)).then([allocate(2, 6)]));
  it('and places it with that address (reason standby, the master kept)', () =>
    given([...placedAB(), c, declaredDown(null, 'agent-a'), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover', pair: { master: side('agent-b', 1), standby: null } }), vrrp(2)])
      .when(tick(6)).then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, 6, 2, 'standby')]));
  it('replaces a dead standby on another host', () =>
    given([...placedAB(), c, vrrp(2), declaredDown(null, 'agent-b')]).when(tick(5))
      .then([placePair({ master: side('agent-a', 0), standby: side('agent-c', 2) }, 5, 1, 'standby')]));
  it('keeps a pair whose standby died and has no other host as it is (ACTIVE on the master; the standby shows ERROR)', () =>
    given([...placedAB(), declaredDown(null, 'agent-b')]).when(tick(5)).then([]));
  it('builds a new master elsewhere when both sides are gone', () =>
    given([...placedAB(), c, vrrp(2), declaredDown(null, 'agent-a'), declaredDown(null, 'agent-b')]).when(tick(5))
      .then([placePair({ master: side('agent-c', 2), standby: null }, 5, 1, 'failover')]));
  it('does nothing without automatic failover', () =>
    workflowSpec(placementWorkflow({ ...placementOptions, automaticFailover: false }))([...placedAB(), declaredDown(null, 'agent-a')])
      .when(tick(5)).then([]));
});

describe('scheduler: ACTIVE_STANDBY planned moves (make before break)', () => {
  const swapped = { master: side('agent-b', 1), standby: side('agent-a', 0) };
  const timed = (e: LoadBalancerEvent, seconds: number): PlacementInput => ({ ...e, data: { ...e.data, at: at(seconds) } }) as LoadBalancerEvent;
  const releasedAt = (seconds: number): PlacementInput => timed(handoverReleased({ agentId: 'agent-a', epoch: 2 }), seconds);
  const drainedAt = (seconds: number): PlacementInput => timed(handoverDrained({ agentId: 'agent-a', epoch: 2 }), seconds);
  const servedAt = (seconds: number): PlacementInput => timed(applied(1, { agentId: 'agent-b', epoch: 2 }), seconds);
  const drained = (): PlacementInput[] =>
    [...placedAB(), c, adminStateChanged(false, 'agent-a'), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'drain', pair: swapped })];
  it('drain: keeps the drained old master as standby until the promoted master applied that placement', () =>
    given([...drained(), vrrp(2)]).when(tick(6)).then([]));
  it('drain: a report of the previous epoch is not enough', () =>
    given([...drained(), vrrp(2), applied(1, { agentId: 'agent-a', epoch: 1 })]).when(tick(6)).then([]));
  it('drain: the promoted master serves, the old master still drains (its connections): it stays the standby', () =>
    given([...drained(), vrrp(2), servedAt(2), releasedAt(2)]).when(tick(40)).then([]));
  it('drain: once the old master reported drained, asks for a VRRP address for the new standby', () =>
    given([...drained(), servedAt(2), releasedAt(2), drainedAt(5)]).when(tick(6)).then([allocate(2, 6)]));
  it('drain: and places the new standby on the third host', () =>
    given([...drained(), vrrp(2), servedAt(2), releasedAt(2), drainedAt(5)]).when(tick(6))
      .then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, 6, 2, 'standby')]));
  it('drain: a drained report of an earlier placement does not count', () =>
    given([...drained(), vrrp(2), servedAt(2), releasedAt(2), timed(handoverDrained({ agentId: 'agent-a', epoch: 1 }), 5)]).when(tick(6)).then([]));
  it('drain: a lost drained report keeps the old master at most PAIR_DRAIN_FALLBACK_MS after its release and the promoted side serving', () => {
    const waiting = [...drained(), vrrp(2), servedAt(2), releasedAt(3)];
    const end = 3 + PAIR_DRAIN_FALLBACK_MS / 1000;
    given(waiting).when(tick(end - 1)).then([]);
    given(waiting).when(tick(end)).then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, end, 2, 'standby')]);
  });
  it('drain: an old master whose agent is declared down is replaced at once (nothing of it to wait for)', () => {
    given([...drained(), vrrp(2), servedAt(2), releasedAt(2), declaredDown(null, 'agent-a')]).when(tick(6))
      .then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, 6, 2, 'standby')]);
    given([...drained(), vrrp(2), declaredDown(null, 'agent-a')]).when(tick(6))
      .then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, 6, 2, 'standby')]);
  });
  it('drain with no third host: the drained side stays the standby (named until another host is up)', () =>
    given([...placedAB(), adminStateChanged(false, 'agent-a'), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'drain', pair: swapped }), servedAt(2), drainedAt(3)])
      .when(tick(6)).then([]));
  it('drain of the standby\'s agent: a new standby elsewhere, the master kept', () =>
    given([...placedAB(), c, vrrp(2), adminStateChanged(false, 'agent-b')]).when(tick(5))
      .then([placePair({ master: side('agent-a', 0), standby: side('agent-c', 2) }, 5, 1, 'standby')]));
  const operated = (pair: PlacedPair): PlacementInput[] =>
    [...placedAB(), c, vrrp(2), lbPlaced({ agentId: pair.master.agentId, epoch: 2, reason: 'operator', pair })];
  it('operator failover (roles swapped): the old master, up, is replaced by a new standby on another host once it drained', () => {
    given([...operated(swapped), servedAt(1), releasedAt(1)]).when(tick(6)).then([]);
    given([...operated(swapped), servedAt(1), releasedAt(1), drainedAt(31)]).when(tick(31))
      .then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, 31, 2, 'standby')]);
  });
  it('operator failover: the fallback counts from the promoted master serving, however late that was', () => {
    const late = [...operated(swapped), releasedAt(6), servedAt(10)];
    const end = 10 + PAIR_DRAIN_FALLBACK_MS / 1000;
    given(late).when(tick(end - 1)).then([]);
    given(late).when(tick(end)).then([placePair({ master: side('agent-b', 1), standby: side('agent-c', 2) }, end, 2, 'standby')]);
  });
  it('operator failover: a drained report before the promoted master served is not enough', () =>
    given([...operated(swapped), releasedAt(1), drainedAt(2)]).when(tick(6)).then([]));
  it('operator failover: nothing before the promoted master applied', () =>
    given(operated(swapped)).when(tick(6)).then([]));
  it('operator failover on two hosts: the old master stays the standby', () =>
    given([...placedAB(), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'operator', pair: swapped }), applied(1, { agentId: 'agent-b', epoch: 2 }), drainedAt(3)])
      .when(tick(6)).then([]));
  it('standby failover (the same pair placed again): a new standby on another agent than the old one, the master kept (no drain: it never held the VIP)', () =>
    given([...operated(pairAB), applied(1, { agentId: 'agent-a', epoch: 2 })]).when(tick(6))
      .then([placePair({ master: side('agent-a', 0), standby: side('agent-c', 2) }, 6, 2, 'standby')]));
  it('a new standby placed (reason standby) is not retiring: the pair is left alone, the old standby\'s address given back', () =>
    given([...operated(pairAB), applied(1, { agentId: 'agent-a', epoch: 2 }),
      lbPlaced({ epoch: 3, agentId: 'agent-a', reason: 'standby', pair: { master: side('agent-a', 0), standby: side('agent-c', 2) } })])
      .when(tick(7)).then([releaseVrrp(1, 7)]));
});

describe('pairFailover (the operator\'s failover of a pair)', () => {
  it('promotes the standby and keeps the old master beside it', () =>
    expect(pairFailover(LB, pairAB, 'master', null)).toEqual({ master: pairAB.standby, standby: pairAB.master }));
  it('refuses a pair with nothing to promote', () =>
    expect(() => pairFailover(LB, { master: pairAB.master, standby: null }, 'master', null)).toThrow(/no standby to promote/));
  it('re-places the same pair for a new standby when another host can take it', () =>
    expect(pairFailover(LB, pairAB, 'standby', 'agent-c')).toBe(pairAB));
  it('refuses a standby failover with nowhere to put the new standby', () =>
    expect(() => pairFailover(LB, pairAB, 'standby', null)).toThrow(/No other live agent on a host other than host-agent-a/));
  it('refuses a standby failover of a pair without standby', () =>
    expect(() => pairFailover(LB, { master: pairAB.master, standby: null }, 'standby', 'agent-c')).toThrow(/no standby amphora/));
});

describe('chooseStandbyAgent with a retiring side', () => {
  const cand = (agentId: string) => ({ agentId, host: `host-${agentId}`, down: false, adminStateUp: true, physicalNetworks: ['physnet1'], zone: null });
  const base = { agents: [cand('agent-a'), cand('agent-b'), cand('agent-c')], physicalNetwork: 'physnet1', zone: null, strategy: 'least-loaded' as const, load: new Map<string, number>() };
  it('never picks the retiring agent', () =>
    expect(chooseStandbyAgent({ ...base, master: cand('agent-a'), retiring: 'agent-b' })).toBe('agent-c'));
  it('null when only the retiring agent is left', () =>
    expect(chooseStandbyAgent({ ...base, agents: base.agents.slice(0, 2), master: cand('agent-a'), retiring: 'agent-b' })).toBeNull());
});

describe('scheduler: ACTIVE_STANDBY VRRP addresses', () => {
  const promoted = (): PlacementInput[] =>
    [...placedAB(), declaredDown(null, 'agent-a'), lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover', pair: { master: side('agent-b', 1), standby: null } })];
  it('keeps a replaced side\'s address while its agent is down (its host may come back with it on the wire)', () =>
    given(promoted()).when(tick(6)).then([]));
  it('releases it once that agent is up again (it destroys its copy)', () =>
    given([...promoted(), declaredUp('agent-a')]).when(tick(7)).then([
      allocate(2, 7), // agent-a is back: a new standby may go there, with a new address
      releaseVrrp(0, 7),
    ]));
  it('keeps the addresses allocated for sides not placed yet', () =>
    given([net, created, vrrp(0), vrrp(1)]).when(tick(5)).then([]));
  it('releases every side\'s address once the load balancer is torn down', () =>
    given([...placedAB(), lbDeleted(), applied(3)]).when(tick(5)).then([releaseVrrp(0, 5), releaseVrrp(1, 5)]));
  it('but not the address of a side whose agent is down (until it is up again)', () =>
    given([...placedAB(), declaredDown(null, 'agent-b'), lbDeleted(), applied(3)]).when(tick(5)).then([releaseVrrp(0, 5)]));
});
