/**
 * A per-project request budget, so one tenant cannot starve the API for the others: a token bucket per key (the
 * caller's project), `burst` requests at once and `perSecond` more every second. Time comes in as milliseconds, so
 * tests move it by hand. At most `maxKeys` buckets are kept, the least recently used dropped first (which at worst
 * gives an idle project its burst back early).
 */
export type Take = Readonly<{ ok: true }> | Readonly<{ ok: false; retryAfterS: number }>;

export class RequestBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly o: Readonly<{ perSecond: number; burst: number; maxKeys?: number }>) {
    if (!(o.perSecond > 0) || !(o.burst >= 1)) throw new Error(`RequestBudget: perSecond must be > 0 and burst >= 1, got ${o.perSecond}/${o.burst}`);
  }

  /** Spends one request of `key`'s budget at time `nowMs`, or says how many seconds until one is there. */
  take(key: string, nowMs: number): Take {
    const b = this.buckets.get(key) ?? { tokens: this.o.burst, at: nowMs };
    const tokens = Math.min(this.o.burst, b.tokens + (Math.max(0, nowMs - b.at) / 1000) * this.o.perSecond);
    this.buckets.delete(key);
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: nowMs });
      return { ok: false, retryAfterS: Math.max(1, Math.ceil((1 - tokens) / this.o.perSecond)) };
    }
    this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
    while (this.buckets.size > (this.o.maxKeys ?? 100_000)) this.buckets.delete(this.buckets.keys().next().value as string);
    return { ok: true };
  }
}
