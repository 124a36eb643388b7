import { createHash } from 'node:crypto';

/** The cache key of a token: its sha256 (the token itself is a bearer secret and is never kept). */
export const tokenKey = (token: string): string => createHash('sha256').update(token).digest('hex');

/**
 * Validation results by token hash, each kept for `ttlMs` or until the token's own expiry, whichever is first,
 * and at most `maxEntries` of them (the least recently used goes first). Time comes from `now` (ms), so tests
 * move it by hand.
 */
export class TokenCache<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  constructor(private readonly o: Readonly<{ ttlMs: number; maxEntries: number; now: () => number }>) {
    if (!(o.maxEntries >= 1)) throw new Error(`TokenCache: maxEntries must be >= 1, got ${o.maxEntries}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (this.o.now() >= e.until) {
      this.entries.delete(key);
      return undefined;
    }
    // Re-insert: Map order is the recency order.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Stores `value` until now + ttl, or `notAfterMs` if that is earlier; ttl 0 stores nothing. */
  set(key: string, value: V, notAfterMs = Number.POSITIVE_INFINITY): void {
    const until = Math.min(this.o.now() + this.o.ttlMs, notAfterMs);
    if (until <= this.o.now()) return;
    this.entries.delete(key);
    this.entries.set(key, { value, until });
    while (this.entries.size > this.o.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}

/** Runs one `work` per key at a time: callers arriving while it runs share its promise. */
export class Coalescer<V> {
  private readonly running = new Map<string, Promise<V>>();

  get inFlight(): number {
    return this.running.size;
  }

  run(key: string, work: () => Promise<V>): Promise<V> {
    const have = this.running.get(key);
    if (have) return have;
    const p = work().finally(() => this.running.delete(key));
    this.running.set(key, p);
    return p;
  }
}
