import { agentRegistered, declaredDown, declaredUp } from './agent.fixtures';
import { workflowSpec } from '@lbaas/testing';
import { type FailoverCommand, type FailoverInput, failoverWorkflow, type Heartbeat } from './failover';
import { at, issued, tick } from './placement.fixtures';

const given = workflowSpec(failoverWorkflow({ agentDownTimeMs: 30_000, retryAfterMs: 10_000 }));
const A = 'agent-a';
const hb = (seconds: number, agentId = A): Heartbeat => ({ type: 'Heartbeat', agentId, at: at(seconds) });
const down = (lastHeartbeat: number | null, seconds: number, agentId = A): FailoverCommand => {
  const lastHeartbeatAt = lastHeartbeat === null ? null : at(lastHeartbeat);
  return {
    type: 'DeclareAgentDown', data: { agentId, lastHeartbeatAt },
    metadata: { commandId: `failover-watcher/down/${agentId}/${lastHeartbeatAt ?? 'never'}`, now: at(seconds) },
  };
};
const up = (lastHeartbeat: number, seconds: number, agentId = A): FailoverCommand => ({
  type: 'DeclareAgentUp', data: { agentId },
  metadata: { commandId: `failover-watcher/up/${agentId}/${at(lastHeartbeat)}`, now: at(seconds) },
});
const registered = agentRegistered({ agentId: A });
const live: FailoverInput[] = [registered, tick(0), hb(0)];

describe('failover-watcher: declaring agents down', () => {
  it('keeps an agent that heartbeats', () => given([...live, hb(25)]).when(tick(50)).then([]));
  it('waits agent_down_time after the last heartbeat', () => given(live).when(tick(30)).then([]));
  it('declares an agent down after agent_down_time without heartbeats', () => given(live).when(tick(31)).then([down(0, 31)]));
  it('gives every agent a full grace period after the watcher (re)starts', () =>
    given([registered, tick(1000)]).when(tick(1030)).then([]));
  it('declares an agent never heard of since the start down after the grace period', () =>
    given([registered, tick(1000)]).when(tick(1031)).then([down(null, 1031)]));
  it('gives an agent that registers later a grace period from its registration', () =>
    given([tick(0), tick(100), registered]).when(tick(120)).then([]));
  it('ignores heartbeats of unregistered agents', () =>
    given([registered, tick(0), hb(0), hb(20, 'agent-unknown')]).when(tick(31)).then([down(0, 31)]));
  it('does not declare an agent down twice', () => given([...live, declaredDown(at(0), A)]).when(tick(100)).then([]));
  it('does not issue a declaration again while it is in flight', () =>
    given([...live, tick(31), issued(down(0, 31), 31)]).when(tick(35)).then([]));
  it('issues it again after retryAfterMs without its effect', () =>
    given([...live, tick(31), issued(down(0, 31), 31)]).when(tick(41)).then([down(0, 41)]));
  it('decides on ticks only', () => given(live).when(hb(40)).then([]));
  it('never declares an agent down before its registered lease surely lapsed (lease + margin > agent_down_time)', () => {
    const longLease = agentRegistered({ agentId: A, leaseMs: 40_000 });
    given([longLease, tick(0), hb(0)]).when(tick(40)).then([]);
    given([longLease, tick(0), hb(0)]).when(tick(41)).then([down(0, 41)]);
  });
});

describe('failover-watcher: a cold start is not a failure', () => {
  // agent_down_time 30 s, cold-start grace 20 s; the watcher's first tick is at 1000 s.
  const cold = workflowSpec(failoverWorkflow({ agentDownTimeMs: 30_000, retryAfterMs: 10_000, coldStartGraceMs: 20_000 }));
  const fromHistory: FailoverInput[] = [registered, tick(1000)];
  const cases: [string, FailoverInput[], FailoverInput, FailoverCommand[]][] = [
    ['an agent known only from history is not down after agent_down_time', fromHistory, tick(1031), []],
    ['nor just before agent_down_time + the cold-start grace', fromHistory, tick(1050), []],
    ['it is down once the watcher has been up for agent_down_time + the grace', fromHistory, tick(1051), [down(null, 1051)]],
    ['an agent that heartbeats during the grace is judged by its heartbeats from then on', [...fromHistory, hb(1040)], tick(1060), []],
    ['…and is down agent_down_time after its last heartbeat, without any grace', [...fromHistory, hb(1040)], tick(1071), [down(1040, 1071)]],
    ['an agent that registers after the watcher started gets agent_down_time only', [tick(1000), registered], tick(1031), [down(null, 1031)]],
    ['a live agent gets no cold-start grace', [registered, tick(0), hb(0)], tick(31), [down(0, 31)]],
    ['an agent already declared down stays down (no new declaration)', [registered, declaredDown(at(0), A), tick(1000)], tick(1100), []],
  ];
  it.each(cases)('%s', (_name, history, input, commands) => cold(history).when(input).then(commands));
  it('without the option a cold start gives agent_down_time only (the old rule)', () =>
    given(fromHistory).when(tick(1031)).then([down(null, 1031)]));
});

describe('failover-watcher: declaring agents up', () => {
  const wentDown = [...live, declaredDown(at(0), A)];
  it('declares a down agent up when it heartbeats again', () => given([...wentDown, hb(50)]).when(tick(51)).then([up(50, 51)]));
  it('keeps a down agent down without new heartbeats', () => given(wentDown).when(tick(51)).then([]));
  it('sees a heartbeat that came while the down declaration was in flight', () =>
    given([...live, tick(31), issued(down(0, 31), 31), hb(32), declaredDown(at(0), A)]).when(tick(33)).then([up(32, 33)]));
  it('keeps an agent declared down by an earlier watcher down until it heartbeats', () =>
    given([registered, declaredDown(at(0), A), tick(500)]).when(tick(900)).then([]));
  it('declares it up when it heartbeats to the new watcher', () =>
    given([registered, declaredDown(at(0), A), tick(500), hb(600)]).when(tick(601)).then([up(600, 601)]));
  it('watches an agent again once it is up', () =>
    given([...wentDown, hb(50), declaredUp(A)]).when(tick(81)).then([down(50, 81)]));
  it('does not declare up twice while in flight', () =>
    given([...wentDown, hb(50), issued(up(50, 51), 51)]).when(tick(52)).then([]));
});
