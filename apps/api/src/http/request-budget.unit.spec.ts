import { RequestBudget } from './request-budget';

describe('RequestBudget (a token bucket per project)', () => {
  it('lets a burst through, then refuses with the seconds until the next request', () => {
    const b = new RequestBudget({ perSecond: 2, burst: 3 });
    expect([1, 2, 3].map(() => b.take('A', 0).ok)).toEqual([true, true, true]);
    expect(b.take('A', 0)).toEqual({ ok: false, retryAfterS: 1 });
    expect(b.take('A', 499).ok).toBe(false);
    expect(b.take('A', 500).ok).toBe(true); // 2 per second: one more every 500 ms
    expect(b.take('A', 500).ok).toBe(false);
  });

  it('keeps projects apart: one spent budget does not touch another', () => {
    const b = new RequestBudget({ perSecond: 1, burst: 1 });
    expect(b.take('A', 0).ok).toBe(true);
    expect(b.take('A', 0).ok).toBe(false);
    expect(b.take('B', 0).ok).toBe(true);
  });

  it('refills to the burst and no further', () => {
    const b = new RequestBudget({ perSecond: 10, burst: 2 });
    b.take('A', 0);
    b.take('A', 0);
    const later = Array.from({ length: 3 }, () => b.take('A', 60_000).ok);
    expect(later).toEqual([true, true, false]);
  });

  it('says a longer Retry-After for a slow rate', () => {
    const b = new RequestBudget({ perSecond: 0.1, burst: 1 });
    b.take('A', 0);
    expect(b.take('A', 0)).toEqual({ ok: false, retryAfterS: 10 });
  });

  it('forgets the least recently used projects beyond maxKeys', () => {
    const b = new RequestBudget({ perSecond: 1, burst: 1, maxKeys: 2 });
    b.take('A', 0);
    b.take('B', 0);
    b.take('C', 0); // A is dropped: it gets its burst back
    expect(b.take('A', 0).ok).toBe(true);
    expect(b.take('C', 0).ok).toBe(false);
  });

  it('refuses a budget that could never serve anything', () => {
    expect(() => new RequestBudget({ perSecond: 0, burst: 1 })).toThrow(/perSecond/);
  });
});
