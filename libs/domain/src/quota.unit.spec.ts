import { batchMemberIncrease, checkQuota, effectiveQuota, type QuotaCounts } from './quota';

const counts = (o: Partial<QuotaCounts> = {}): QuotaCounts =>
  ({ loadbalancer: 0, listener: 0, pool: 0, member: 0, healthmonitor: 0, l7policy: 0, l7rule: 0, ...o });
const thrown = (f: () => void): unknown => {
  try { f(); } catch (e) { return e; }
  return undefined;
};
const unlimited = counts({ loadbalancer: -1, listener: -1, pool: -1, member: -1, healthmonitor: -1, l7policy: -1, l7rule: -1 });

describe('quota', () => {
  it('takes the project limits set, and the defaults for the rest', () =>
    expect(effectiveQuota({ member: 5, pool: null }, counts({ member: 1, pool: 2 }))).toEqual(counts({ member: 5, pool: 2 })));
  it('allows a create up to the limit', () =>
    expect(() => checkQuota({ ...unlimited, member: 3 }, { member: 1 }, () => counts({ member: 2 }))).not.toThrow());
  it('refuses a create over the limit with Octavia\'s 403 text, naming every resource over', () => {
    const run = () => checkQuota({ ...unlimited, member: 3, pool: 1 }, { member: 2, pool: 1 }, () => counts({ member: 2, pool: 1 }));
    expect(thrown(run)).toMatchObject({ name: 'DomainError', kind: 'Forbidden', message: 'Quota has been met for resources: Member, Pool' });
  });
  it('does not count usage when nothing wanted is limited', () =>
    expect(() => checkQuota(unlimited, { member: 10 }, () => { throw new Error('counted'); })).not.toThrow());
  it('does not count usage for a net decrease', () =>
    expect(() => checkQuota({ ...unlimited, member: 0 }, { member: -2 }, () => { throw new Error('counted'); })).not.toThrow());
});

describe('batch member update: net increase', () => {
  const m = (address: string, protocolPort = 80) => ({ address, protocolPort });
  const pool = [m('192.0.2.1'), m('192.0.2.2')];
  it('counts the new members minus the ones a full update deletes', () =>
    expect(batchMemberIncrease(pool, [m('192.0.2.2'), m('192.0.2.3'), m('192.0.2.4')], false)).toBe(1));
  it('deletes nothing with additive_only', () => expect(batchMemberIncrease(pool, [m('192.0.2.3')], true)).toBe(1));
  it('matches members as the decider does (canonical address and port)', () => {
    expect(batchMemberIncrease([m('2001:db8::1')], [m('2001:DB8:0::1')], true)).toBe(0);
    expect(batchMemberIncrease([m('2001:db8::1')], [m('2001:db8::1', 81)], true)).toBe(1);
  });
});
