import { UsageError } from './args';
import { emptyRangeMessage, formatCommit, HistoryIndex, matches, parsePoint, pastEnd, selectEvents, type HistoryCommit } from './history-filter';

const LB = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const user = { kind: 'user', service: 'api', projectId: 'p1', userId: 'alice', roles: ['member'], requestId: 'req-1', clientAddress: '10.0.0.9', operation: 'POST /v2/lbaas/loadbalancers' };
const c = (seq: number, subject: string, events: { type: string; data: object }[], at = `2026-01-01T00:00:${String(seq).padStart(2, '0')}Z`): HistoryCommit =>
  ({ seq, subject, commitId: `c${seq}`, at, actor: user, events: events.map((e) => ({ ...e, v: 1 })) });

const history = [
  c(1, 'lbaas.evt.subnet.s1', [{ type: 'VipAllocated', data: { subnetId: 's1', lbId: LB, address: '10.0.0.50' } }]),
  c(2, `lbaas.evt.lb.${LB}`, [{ type: 'LoadBalancerCreated', data: { lbId: LB, projectId: 'p1' } }]),
  c(3, `lbaas.evt.lb.${OTHER}`, [{ type: 'LoadBalancerCreated', data: { lbId: OTHER, projectId: 'p2' } }]),
  c(4, `lbaas.evt.lb.${LB}`, [{ type: 'ListenerCreated', data: { lbId: LB, listenerId: 'lis1' } }]),
  c(5, `lbaas.evt.lb.${LB}`, [{ type: 'PoolCreated', data: { lbId: LB, poolId: 'pool1' } }, { type: 'MemberCreated', data: { lbId: LB, poolId: 'pool1', memberId: 'm1' } }]),
  c(6, 'lbaas.evt.agent.a1', [{ type: 'AgentRegistered', data: { agentId: 'a1' } }]),
];
const run = (f: Parameters<typeof matches>[0]) => {
  const index = new HistoryIndex();
  return history.filter((x) => { index.learn(x); return matches(f, x, index); }).map((x) => x.seq);
};

describe('history filters', () => {
  it('keeps everything without a filter', () => expect(run({})).toEqual([1, 2, 3, 4, 5, 6]));
  it('keeps a load balancer with its children and its VIP allocation', () => expect(run({ lbId: LB })).toEqual([1, 2, 4, 5]));
  it('keeps the commits naming one child', () => expect(run({ lbId: 'pool1' })).toEqual([5]));
  it('keeps a project by the project of each load balancer', () => expect(run({ projectId: 'p2' })).toEqual([3]));
  it('keeps commits holding an event of the given types', () => expect(run({ types: ['MemberCreated', 'AgentRegistered'] })).toEqual([5, 6]));
  it('keeps a sequence range, both ends inclusive', () => expect(run({ from: { kind: 'seq', seq: 2 }, to: { kind: 'seq', seq: 4 } })).toEqual([2, 3, 4]));
  it('keeps a time range by the commit time', () =>
    expect(run({ from: parsePoint('2026-01-01T00:00:03Z', 0), to: parsePoint('2026-01-01T00:00:05Z', 0) })).toEqual([3, 4, 5]));
  it('combines filters', () => expect(run({ lbId: LB, types: ['ListenerCreated'], from: { kind: 'seq', seq: 3 } })).toEqual([4]));
  it('says when a replay may stop', () => {
    expect(pastEnd({ to: { kind: 'seq', seq: 4 } }, history[4])).toBe(true);
    expect(pastEnd({ to: { kind: 'seq', seq: 5 } }, history[4])).toBe(false);
    expect(pastEnd({}, history[4])).toBe(false);
  });
  it('shows only the wanted event types of a matching commit', () =>
    expect(selectEvents({ types: ['MemberCreated'] }, history[4]).events.map((e) => e.type)).toEqual(['MemberCreated']));
});

describe('parsePoint', () => {
  it('reads a sequence, an ISO time and a relative time', () => {
    expect(parsePoint('42', 0)).toEqual({ kind: 'seq', seq: 42 });
    expect(parsePoint('2026-01-01T00:00:00Z', 0)).toMatchObject({ kind: 'time', at: Date.UTC(2026, 0, 1) });
    expect(parsePoint('-2h', 10 * 3_600_000)).toMatchObject({ kind: 'time', at: 8 * 3_600_000 });
  });
  it('refuses anything else', () => {
    expect(() => parsePoint('yesterday', 0)).toThrow(UsageError);
    expect(() => parsePoint('2026-13-45', 0)).toThrow(UsageError);
  });
});

describe('output', () => {
  it('prints one line per event with who, from where and why', () => {
    expect(formatCommit(history[4])).toEqual([
      `#5  2026-01-01T00:00:05Z  lb/${LB}  PoolCreated v1  by p1/alice [member] req-1 from 10.0.0.9 POST /v2/lbaas/loadbalancers`,
      `#5  2026-01-01T00:00:05Z  lb/${LB}  MemberCreated v1  by p1/alice [member] req-1 from 10.0.0.9 POST /v2/lbaas/loadbalancers`,
    ]);
  });
  it('explains an empty range with what the stream holds', () => {
    expect(emptyRangeMessage({ from: { kind: 'seq', seq: 90 } }, history[0], history[5]))
      .toBe('no events in seq 90 .. …: the stream holds seq 1..6 (2026-01-01T00:00:01Z .. 2026-01-01T00:00:06Z)');
  });
});
