import { catchUpBarrier } from './stream-head';

/** A view at `seq` that applies nothing more (waitFor resolves only for what it has). */
const view = (seq: number) => ({ seq, waitFor: (target: number) => (target <= seq ? Promise.resolve() : Promise.reject(new Error('timeout'))) });

describe('catchUpBarrier', () => {
  it('asks a failed head again (a connection moving off a lame-duck node) instead of answering from the view as it is', async () => {
    let calls = 0;
    const barrier = catchUpBarrier(undefined as never, view(7), { head: async () => { if (++calls <= 2) throw new Error('disconnected'); return 7; }, headRetryMs: 2_000 });
    expect(await barrier.sync()).toBe('synced');
    expect(calls).toBe(3);
  });

  it('answers unknown once the head stays unanswered through the retry window, then at once during the backoff', async () => {
    let calls = 0;
    const barrier = catchUpBarrier(undefined as never, view(7), { head: async () => { calls++; throw new Error('no leader'); }, headRetryMs: 300, backoffMs: 10_000 });
    const t0 = performance.now();
    expect(await barrier.sync()).toBe('unknown');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    const asked = calls;
    expect(asked).toBeGreaterThan(1);
    const t1 = performance.now();
    expect(await barrier.sync()).toBe('unknown');
    expect(performance.now() - t1).toBeLessThan(50);
    expect(calls).toBe(asked); // not asked again during the backoff
  });

  it('is stale when the head is known and the view does not reach it', async () => {
    const barrier = catchUpBarrier(undefined as never, view(3), { head: async () => 9, applyTimeoutMs: 10 });
    expect(await barrier.sync()).toBe('stale');
  });

  it("waits a call's own applyTimeoutMs when given (the api's writes wait longer than its reads)", async () => {
    let applied = 3;
    const slow = { get seq() { return applied; }, waitFor: (target: number, ms: number) => new Promise<void>((res, rej) => {
      setTimeout(() => { applied = 9; }, 100); // the view catches up 100 ms later
      setTimeout(() => (target <= applied ? res() : rej(new Error('timeout'))), Math.min(ms, 200));
    }) };
    const barrier = catchUpBarrier(undefined as never, slow, { head: async () => 9, applyTimeoutMs: 20 });
    expect(await barrier.sync()).toBe('stale'); // 20 ms: not caught up yet
    applied = 3;
    expect(await barrier.sync(500)).toBe('synced');
  });
});
