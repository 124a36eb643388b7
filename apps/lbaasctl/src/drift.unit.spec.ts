import { compareLb, verdict, type ExpectedLb, type ObservedDigest } from './drift';

const expected: ExpectedLb = { lbId: 'lb1', agentId: 'a1', epoch: 2, version: 7, vip: '10.0.0.50', digest: 'd'.repeat(64), renderProblem: null, deleted: false };
const running: ObservedDigest = { epoch: 2, version: 7, config: 'd'.repeat(64), loaded: 'd'.repeat(64), running: true, addresses: ['10.0.0.50/24'], pid: 42 };

describe('compareLb', () => {
  it('is clean when the agent runs exactly what the history renders', () =>
    expect(compareLb(expected, true, running)).toEqual({ lbId: 'lb1', agentId: 'a1', ok: true, problems: [] }));
  it.each<[string, Partial<ObservedDigest>, RegExp]>([
    ['another config on disk', { config: 'e'.repeat(64) }, /config on disk eeeeeeeeeeee ≠ rendered dddddddddddd/],
    ['an old config loaded', { loaded: null }, /haproxy loaded none/],
    ['haproxy not running', { running: false }, /not running/],
    ['the VIP missing', { addresses: [] }, /VIP 10.0.0.50 is not plugged/],
    ['another epoch', { epoch: 1 }, /epoch 1, history says 2/],
    ['another version', { version: 6 }, /version 6, history says 7/],
  ])('reports drift for %s', (_n, change, problem) => {
    const r = compareLb(expected, true, { ...running, ...change });
    expect(r.ok).toBe(false);
    expect(r.problems.join('; ')).toMatch(problem);
  });
  it('reports an agent that does not answer, or does not know the LB', () => {
    expect(compareLb(expected, false, undefined).problems).toEqual(['agent a1 did not answer']);
    expect(compareLb(expected, true, undefined).problems).toEqual(['agent a1 does not run it']);
  });
  it('reports an unplaced or unrenderable tree, and ignores a deleted one', () => {
    expect(compareLb({ ...expected, agentId: null }, false, undefined).problems).toEqual(['not placed on any agent']);
    expect(compareLb({ ...expected, renderProblem: 'no bridge', digest: null }, true, running).problems).toEqual(['cannot be rendered: no bridge']);
    expect(compareLb({ ...expected, deleted: true }, false, undefined).ok).toBe(true);
  });
});

describe('verdict', () => {
  it('exits 0 when every LB is clean and 3 on any drift', () => {
    expect(verdict([compareLb(expected, true, running)])).toMatchObject({ clean: true, exitCode: 0 });
    expect(verdict([compareLb(expected, true, running), compareLb(expected, false, undefined)]))
      .toMatchObject({ clean: false, exitCode: 3, summary: 'drift: 1 of 2 load balancers differ from their history' });
  });
});
