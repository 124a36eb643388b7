/**
 * A queue of keys that is fair between flows (issue 11: a tenant creating LBs by the thousand must not hold another
 * tenant's work behind its own): each key belongs to one flow (a project), keys of one flow come out in the order they
 * went in, and the flows take turns, one key each (round robin: deficit round robin with every item costing the same).
 * A flow that has waited gets the next turn however long another flow's backlog is; a new flow joins the turn order at
 * its end, so it waits at most one key of every other flow. Every operation is O(1).
 *
 * A key is in the queue at most once (pushing it again is a no-op), so the queue is bounded by the keys that exist
 * (LBs), not by how often they are pushed; what a key stands for (its jobs) is the caller's.
 */
export class FairQueue<K = string> {
  /** Flow → its keys in arrival order; the Map's order is the turn order (the flow at the front goes next). */
  private readonly flows = new Map<string, Set<K>>();
  private readonly flowOf = new Map<K, string>();

  /** How many keys are queued. */
  get size(): number {
    return this.flowOf.size;
  }

  /** How many flows have keys queued. */
  get flowCount(): number {
    return this.flows.size;
  }

  has(key: K): boolean {
    return this.flowOf.has(key);
  }

  /** Queues `key` at the end of `flow`'s keys; false when it is queued already (wherever it is, it stays there). */
  push(flow: string, key: K): boolean {
    if (this.flowOf.has(key)) return false;
    let keys = this.flows.get(flow);
    if (!keys) this.flows.set(flow, (keys = new Set()));
    keys.add(key);
    this.flowOf.set(key, flow);
    return true;
  }

  /** The next key: the oldest of the flow whose turn it is; that flow then goes to the end of the turn order. */
  shift(): K | undefined {
    const first = this.flows.entries().next();
    if (first.done) return undefined;
    const [flow, keys] = first.value;
    const key = keys.values().next().value as K;
    keys.delete(key);
    this.flowOf.delete(key);
    this.flows.delete(flow);
    if (keys.size > 0) this.flows.set(flow, keys);
    return key;
  }

  /** Takes `key` out of the queue; false when it was not queued. */
  delete(key: K): boolean {
    const flow = this.flowOf.get(key);
    if (flow === undefined) return false;
    const keys = this.flows.get(flow);
    keys?.delete(key);
    if (keys?.size === 0) this.flows.delete(flow);
    this.flowOf.delete(key);
    return true;
  }

  clear(): void {
    this.flows.clear();
    this.flowOf.clear();
  }
}
