import { Coalescer, TokenCache, tokenKey } from './token-cache';

describe('TokenCache', () => {
  let t = 1_000_000;
  const cache = (ttlMs = 300_000, maxEntries = 3) => new TokenCache<string>({ ttlMs, maxEntries, now: () => t });
  beforeEach(() => { t = 1_000_000; });

  it('keeps an entry for the cache time, then forgets it', () => {
    const c = cache();
    c.set('k', 'v');
    t += 299_999;
    expect(c.get('k')).toBe('v');
    t += 1;
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('never keeps an entry past the token\'s own expiry', () => {
    const c = cache();
    c.set('k', 'v', t + 10_000);
    t += 9_999;
    expect(c.get('k')).toBe('v');
    t += 1;
    expect(c.get('k')).toBeUndefined();
  });

  it('stores nothing with cache time 0 or an already expired token', () => {
    const c0 = cache(0);
    c0.set('k', 'v');
    expect(c0.get('k')).toBeUndefined();
    const c = cache();
    c.set('k', 'v', t - 1);
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0);
  });

  it('drops the least recently used entry beyond its size', () => {
    const c = cache(300_000, 3);
    c.set('a', '1');
    c.set('b', '2');
    c.set('c', '3');
    expect(c.get('a')).toBe('1'); // a is now the most recent
    c.set('d', '4');
    expect(c.size).toBe(3);
    expect(c.get('b')).toBeUndefined();
    expect([c.get('a'), c.get('c'), c.get('d')]).toEqual(['1', '3', '4']);
  });

  it('keys by sha256, never by the token', () => {
    expect(tokenKey('secret-token')).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenKey('secret-token')).not.toContain('secret');
    expect(tokenKey('a')).not.toBe(tokenKey('b'));
  });
});

describe('Coalescer', () => {
  it('runs one work per key while it is in flight, and again afterwards', async () => {
    const c = new Coalescer<number>();
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const work = async () => { runs++; await gate; return runs; };
    const all = Promise.all([c.run('k', work), c.run('k', work), c.run('k', work), c.run('other', work)]);
    expect(c.inFlight).toBe(2);
    release();
    expect(await all).toEqual([2, 2, 2, 2]);
    expect(runs).toBe(2);
    expect(c.inFlight).toBe(0);
    expect(await c.run('k', work)).toBe(3);
  });

  it('forgets a failed work, so the next caller tries again', async () => {
    const c = new Coalescer<number>();
    await expect(c.run('k', async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(await c.run('k', async () => 1)).toBe(1);
  });
});
