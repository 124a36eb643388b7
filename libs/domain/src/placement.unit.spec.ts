import { adminStateChanged, agentRegistered, declaredDown, declaredUp } from './agent.fixtures';
import { workflowSpec } from '@lbaas/testing';
import {
  applied, lbCreated, lbDeleted, lbPlaced, placementFailed,
} from './load-balancer/load-balancer.fixtures';
import { networkCreated, SUBNET, vipAllocated, vipReleased } from './network.fixtures';
import {
  agentLoad, chooseAgent, choosePair, chooseStandbyAgent, placementWorkflow, type AgentCandidate, type AgentChoice, type PlacementInput,
  type PlacementOptions,
} from './placement';
import { at, fail, issued, place, placementOptions, release, tick } from './placement.fixtures';

const spec = (o: Partial<PlacementOptions> = {}) => workflowSpec(placementWorkflow({ ...placementOptions, ...o }));
const given = spec();
// The VIP's subnet (where the scheduler releases it)
const LB = lbCreated().data.lbId;
const LB2 = '99999999-2222-4333-8444-555555555555';
const lb2 = () => lbCreated({ lbId: LB2 });
const lb2Placed = (agentId: string) => lbPlaced({ lbId: LB2, agentId });

const net = networkCreated({ networkId: 'net-1', physicalNetwork: 'physnet1' });
const agentA = agentRegistered({ agentId: 'agent-a' });
const agentB = agentRegistered({ agentId: 'agent-b' });
const agentOther = agentRegistered({ agentId: 'agent-x', bridgeMappings: { physnet2: 'br-2' } });
const world: PlacementInput[] = [net, agentA];

describe('scheduler: initial placement', () => {
  it('places a new load balancer on an agent that bridges its physical network', () =>
    given([...world, lbCreated()]).when(tick(1)).then([place(LB, 'agent-a', 1)]));
  it.each([[0, 'agent-a'], [0.49, 'agent-a'], [0.5, 'agent-b'], [0.999, 'agent-b']])(
    'picks among candidates with the random number of the tick (%p → %s)', (random, agent) =>
      given([net, agentB, agentA, lbCreated()]).when(tick(1, random)).then([place(LB, agent, 1)]));
  it('spreads several placements of one tick', () =>
    given([net, agentA, agentB, lbCreated(), lb2()]).when(tick(1, 0)).then([place(LB, 'agent-a', 1), place(LB2, 'agent-b', 1)]));
  it('puts a new load balancer on the least loaded agent (least-loaded strategy)', () =>
    spec({ strategy: 'least-loaded' })([net, agentA, agentB, lb2(), lb2Placed('agent-a'), lbCreated()]).when(tick(1))
      .then([place(LB, 'agent-b', 1)]));
  it('balances several placements of one tick (least-loaded strategy)', () =>
    spec({ strategy: 'least-loaded' })([net, agentA, agentB, lbCreated(), lb2()]).when(tick(1))
      .then([place(LB, 'agent-a', 1), place(LB2, 'agent-b', 1)]));
  it.each([
    ['down', [net, agentA, declaredDown(null, 'agent-a')]],
    ['disabled', [net, agentA, adminStateChanged(false, 'agent-a')]],
    ['on another physical network', [net, agentOther]],
    ['on an unknown network', [agentA]],
  ] as const)('does not place on an agent %s', (_why, inputs) =>
    given([...inputs, lbCreated()]).when(tick(1)).then([]));
  it('places nothing on inputs other than ticks', () => given(world).when(lbCreated()).then([]));
  it('does not place a placed load balancer', () => given([...world, lbCreated(), lbPlaced()]).when(tick(1)).then([]));
  it('does not place a deleted load balancer', () => given([...world, lbCreated(), lbDeleted()]).when(tick(1)).then([]));
});

describe('scheduler: availability zones', () => {
  const zoneA = agentRegistered({ agentId: 'agent-a', availabilityZone: 'rack-1' });
  const zoneB = agentRegistered({ agentId: 'agent-b', availabilityZone: 'rack-2' });
  const inRack2 = lbCreated({ availabilityZone: { name: 'az2', agentZone: 'rack-2' } });
  it('places a load balancer of a zone only on an agent of that zone', () =>
    given([net, zoneA, zoneB, inRack2]).when(tick(1, 0)).then([place(LB, 'agent-b', 1)]));
  it('places a load balancer without a zone on any agent', () =>
    given([net, zoneA, lbCreated()]).when(tick(1)).then([place(LB, 'agent-a', 1)]));
  it('fails over only within the zone', () =>
    given([net, zoneA, zoneB, agentRegistered({ agentId: 'agent-c', availabilityZone: 'rack-2' }), inRack2, lbPlaced({ agentId: 'agent-b' }),
      declaredDown(null, 'agent-b')]).when(tick(2, 0)).then([place(LB, 'agent-c', 2, { expectedEpoch: 1, reason: 'failover' })]));
  it('does not fail over out of the zone when no agent of it is left', () =>
    given([net, zoneA, zoneB, inRack2, lbPlaced({ agentId: 'agent-b' }), declaredDown(null, 'agent-b')]).when(tick(2)).then([]));
  it('ends in ERROR with the zone named when no agent of the zone lives', () =>
    given([net, zoneA, inRack2]).when(tick(61)).then([fail(LB, 'no live agent of availability zone rack-2 serves physical network physnet1', 61)]));
});

describe('scheduler: placement timeout', () => {
  const noAgent = [net, lbCreated()];
  it('waits while the timeout runs', () => given(noAgent).when(tick(60)).then([]));
  it('fails the placement after the timeout', () =>
    given(noAgent).when(tick(61)).then([fail(LB, 'no live agent serves physical network physnet1', 61)]));
  it('says when the network is unknown', () =>
    given([lbCreated()]).when(tick(61)).then([fail(LB, 'network net-1 is unknown', 61)]));
  it('fails it only once', () => given([...noAgent, placementFailed()]).when(tick(200)).then([]));
  it('places it later when a candidate appears', () =>
    given([...noAgent, placementFailed(), agentA]).when(tick(300)).then([place(LB, 'agent-a', 300)]));
  it('places it later when an agent comes back up', () =>
    given([net, agentA, declaredDown(null, 'agent-a'), lbCreated(), placementFailed(), declaredUp('agent-a')]).when(tick(300))
      .then([place(LB, 'agent-a', 300)]));
});

describe('scheduler: commands in flight', () => {
  const pending = [...world, lbCreated(), tick(1), issued(place(LB, 'agent-a', 1), 1)];
  it('does not issue a placement again while it is in flight', () => given(pending).when(tick(2)).then([]));
  it('issues it again after retryAfterMs without its effect', () => given(pending).when(tick(31)).then([place(LB, 'agent-a', 31)]));
  it('forgets it once its effect is seen', () => given([...pending, lbPlaced()]).when(tick(100)).then([]));
  it('does not fail a placement twice while in flight', () =>
    given([net, lbCreated(), issued(fail(LB, 'x', 61), 61)]).when(tick(62)).then([]));
  it('does not release a VIP twice while in flight', () =>
    given([...world, vipAllocated(LB, '198.51.100.10'), issued(release(SUBNET, LB, 'abandoned', 601), 601)]).when(tick(602)).then([]));
});

describe('scheduler: failover', () => {
  const placedOnA = [net, agentA, agentB, lbCreated(), lbPlaced({ agentId: 'agent-a' })];
  it('moves the load balancers of a down agent to another one', () =>
    given([...placedOnA, declaredDown(null, 'agent-a')]).when(tick(5))
      .then([place(LB, 'agent-b', 5, { expectedEpoch: 1, reason: 'failover' })]));
  it('drains a disabled agent', () =>
    given([...placedOnA, adminStateChanged(false, 'agent-a')]).when(tick(5))
      .then([place(LB, 'agent-b', 5, { expectedEpoch: 1, reason: 'drain' })]));
  it('leaves them when automatic failover is off', () =>
    spec({ automaticFailover: false })([...placedOnA, declaredDown(null, 'agent-a')]).when(tick(5)).then([]));
  it('waits when no other agent can take them', () =>
    given([net, agentA, lbCreated(), lbPlaced({ agentId: 'agent-a' }), declaredDown(null, 'agent-a')]).when(tick(5)).then([]));
  it('leaves load balancers of a healthy agent alone', () => given(placedOnA).when(tick(5)).then([]));
  it('moves a deleted load balancer whose teardown is not applied (the new agent reports it)', () =>
    given([...placedOnA, lbDeleted(), declaredDown(null, 'agent-a')]).when(tick(5))
      .then([place(LB, 'agent-b', 5, { expectedEpoch: 1, reason: 'failover' })]));
  it('does not move a deleted load balancer that was torn down', () =>
    given([...placedOnA, lbDeleted(), applied(3), declaredDown(null, 'agent-a')]).when(tick(5)).then([]));
  it('uses the current epoch after an earlier failover', () =>
    given([...placedOnA, lbPlaced({ agentId: 'agent-b', epoch: 2, reason: 'failover' }), declaredDown(null, 'agent-b')]).when(tick(5))
      .then([place(LB, 'agent-a', 5, { expectedEpoch: 2, reason: 'failover' })]));
});

describe('scheduler: VIP release', () => {
  const vip = vipAllocated(LB, '198.51.100.10');
  it('releases the VIP of a deleted load balancer once its teardown is applied', () =>
    given([...world, vip, lbCreated(), lbPlaced(), lbDeleted(), applied(3)]).when(tick(5)).then([release(SUBNET, LB, 'deleted', 5)]));
  it('keeps the VIP until the teardown is applied', () =>
    given([...world, vip, lbCreated(), lbPlaced(), lbDeleted(), applied(2)]).when(tick(5)).then([]));
  it('releases the VIP of a deleted load balancer that was never placed', () =>
    given([net, vip, lbCreated(), lbDeleted()]).when(tick(5)).then([release(SUBNET, LB, 'deleted', 5)]));
  it('keeps the VIP of a live load balancer', () =>
    given([...world, vip, lbCreated(), lbPlaced()]).when(tick(5000)).then([]));
  it('keeps a VIP whose load balancer may still be created', () => given([...world, vip]).when(tick(600)).then([]));
  it('releases a VIP whose load balancer was never created, after abandonAfterMs', () =>
    given([...world, vip]).when(tick(601)).then([release(SUBNET, LB, 'abandoned', 601)]));
  it('stops once the VIP is released', () =>
    given([...world, vip, vipReleased(LB, '198.51.100.10', 'abandoned', at(601), SUBNET)]).when(tick(700)).then([]));
});

describe('chooseAgent (automatic and operator failover alike)', () => {
  const up = (agentId: string, o: Partial<AgentCandidate> = {}): AgentCandidate =>
    ({ agentId, down: false, adminStateUp: true, physicalNetworks: ['physnet1'], zone: null, ...o });
  const agents = [up('agent-c'), up('agent-a'), up('agent-b')];
  const choice = (o: Partial<AgentChoice> = {}): AgentChoice =>
    ({ agents, physicalNetwork: 'physnet1', exclude: null, zone: null, strategy: 'least-loaded', load: new Map(), ...o });

  it('takes the least loaded agent', () =>
    expect(chooseAgent(choice({ load: new Map([['agent-a', 2], ['agent-b', 1], ['agent-c', 3]]) }))).toBe('agent-b'));
  it('breaks ties by agent id', () => expect(chooseAgent(choice({ load: new Map([['agent-a', 1]]) }))).toBe('agent-b'));
  it('never takes the excluded agent (the current host)', () =>
    expect(chooseAgent(choice({ exclude: 'agent-a' }))).toBe('agent-b'));
  it.each([
    ['down', { down: true }], ['disabled', { adminStateUp: false }], ['on another physical network', { physicalNetworks: ['physnet2'] }],
  ] as const)('skips an agent that is %s', (_why, o) =>
    expect(chooseAgent(choice({ agents: [up('agent-a', o), up('agent-b')] }))).toBe('agent-b'));
  it('takes only agents of the zone asked for', () =>
    expect(chooseAgent(choice({ zone: 'rack-2', agents: [up('agent-a', { zone: 'rack-1' }), up('agent-b', { zone: 'rack-2' }), up('agent-c')] }))).toBe('agent-b'));
  it('chooses nobody when no agent is in the zone', () => expect(chooseAgent(choice({ zone: 'rack-9' }))).toBeNull());
  it('chooses nobody when the network is unknown', () => expect(chooseAgent(choice({ physicalNetwork: null }))).toBeNull());
  it('chooses nobody when no agent qualifies', () => expect(chooseAgent(choice({ agents: [up('agent-a', { down: true })] }))).toBeNull());
  it.each([[0, 'agent-a'], [0.34, 'agent-b'], [0.999, 'agent-c']])('picks by the random number (%p → %s)', (random, agent) =>
    expect(chooseAgent(choice({ strategy: 'random', random }))).toBe(agent));
  it('counts every placed load balancer until it is torn down', () =>
    expect(agentLoad([
      { agentId: 'agent-a', tornDown: false }, { agentId: 'agent-a', tornDown: true }, { agentId: null, tornDown: false },
      { agentId: 'agent-b', tornDown: false },
    ])).toEqual(new Map([['agent-a', 1], ['agent-b', 1]])));
});

describe('chooseStandbyAgent and choosePair (ACTIVE_STANDBY: two agents on different hosts)', () => {
  const up = (agentId: string, host: string | null, o: Partial<AgentCandidate> = {}): AgentCandidate =>
    ({ agentId, down: false, adminStateUp: true, physicalNetworks: ['physnet1'], zone: null, host, ...o });
  // Two agents on host-1 (the embedded default runs two per machine), one each on host-2 and host-3.
  const a1 = up('agent-a1', 'host-1');
  const a2 = up('agent-a2', 'host-1');
  const b = up('agent-b', 'host-2');
  const c = up('agent-c', 'host-3');
  const base = { physicalNetwork: 'physnet1', zone: null, strategy: 'least-loaded' as const, load: new Map<string, number>() };

  it('never puts the standby on the master\'s agent or on another agent of its host', () => {
    expect(chooseStandbyAgent({ ...base, agents: [a1, a2, b], master: a1 })).toBe('agent-b');
    expect(chooseStandbyAgent({ ...base, agents: [a1, a2], master: a1 })).toBeNull(); // degraded: one host only
  });
  it('takes the least loaded of the other hosts\' agents, and respects down, disabled and the zone', () => {
    expect(chooseStandbyAgent({ ...base, agents: [a1, b, c], master: a1, load: new Map([['agent-b', 3], ['agent-c', 1]]) })).toBe('agent-c');
    expect(chooseStandbyAgent({ ...base, agents: [a1, { ...b, down: true }, c], master: a1 })).toBe('agent-c');
    expect(chooseStandbyAgent({ ...base, agents: [a1, b, { ...c, adminStateUp: false }], master: a1 })).toBe('agent-b');
    const zoned = [up('agent-a1', 'host-1', { zone: 'z1' }), up('agent-b', 'host-2', { zone: 'z2' }), up('agent-c', 'host-3', { zone: 'z1' })];
    expect(chooseStandbyAgent({ ...base, zone: 'z1', agents: zoned, master: zoned[0] })).toBe('agent-c');
  });
  it('after a takeover the new standby avoids the new master\'s host (the dead one is down anyway)', () => {
    // b was the standby and is master now; a1's host died.
    const agents = [{ ...a1, down: true }, { ...a2, down: true }, b, up('agent-b2', 'host-2'), c];
    expect(chooseStandbyAgent({ ...base, agents, master: b })).toBe('agent-c');
  });
  it('never trusts an agent whose host is unknown, nor a master whose host is unknown', () => {
    expect(chooseStandbyAgent({ ...base, agents: [a1, up('agent-x', null)], master: a1 })).toBeNull();
    expect(chooseStandbyAgent({ ...base, agents: [up('agent-x', null), b], master: up('agent-x', null) })).toBeNull();
  });
  it('chooseAgent without excluded hosts is unchanged (hosts unknown to it are fine)', () =>
    expect(chooseAgent({ ...base, agents: [up('agent-x', null)], exclude: null })).toBe('agent-x'));

  it('places a pair: the master by the usual rule, the standby on another host, the master counted in the load', () => {
    expect(choosePair({ ...base, agents: [a1, a2, b, c] })).toEqual({ master: 'agent-a1', standby: 'agent-b' });
    expect(choosePair({ ...base, agents: [a1, a2, b, c], load: new Map([['agent-a1', 5], ['agent-a2', 5], ['agent-b', 1]]) }))
      .toEqual({ master: 'agent-c', standby: 'agent-b' });
    expect(choosePair({ ...base, agents: [a1, a2] })).toEqual({ master: 'agent-a1', standby: null });
    expect(choosePair({ ...base, agents: [] })).toBeNull();
  });
  it('with random choice, never the same host either', () => {
    for (const random of [0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]) {
      const pair = choosePair({ ...base, strategy: 'random', random, agents: [a1, a2, b, c] });
      const hostOf = (id: string | null | undefined) => [a1, a2, b, c].find((x) => x.agentId === id)?.host;
      expect(pair?.standby).not.toBeNull();
      expect(hostOf(pair?.standby)).not.toBe(hostOf(pair?.master));
    }
  });
});
