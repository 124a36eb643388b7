import { raise, slot, SLOT } from './fencing';
import { mainAlive } from './lease-worker';

describe('lease keeper rules', () => {
  it('renews only while the main thread\'s event loop turned within the stall limit and its connection is not down that long', () => {
    expect(mainAlive(10_000, 9_000, 1_000)).toBe(true);
    expect(mainAlive(10_001, 9_000, 1_000)).toBe(false);
    expect(mainAlive(Date.now(), 0, 15_000)).toBe(false); // never turned: no renewal
    expect(mainAlive(10_000, 9_900, 1_000, 9_500)).toBe(true); // down for 500 ms: reconnecting
    expect(mainAlive(10_000, 9_900, 1_000, 8_999)).toBe(false); // down beyond the limit
  });

  it('a shared slot only rises: a late writer never moves the renewal back', () => {
    const shared = new BigInt64Array(new SharedArrayBuffer(4 * 8));
    raise(shared, SLOT.leaseRenewed, 2_000);
    raise(shared, SLOT.leaseRenewed, 1_500);
    expect(slot(shared, SLOT.leaseRenewed)).toBe(2_000);
    raise(shared, SLOT.leaseRenewed, 2_500);
    expect(slot(shared, SLOT.leaseRenewed)).toBe(2_500);
  });
});
