import { randomUUID } from 'node:crypto';
import type { Actor, Commit, EventEnvelope } from '@lbaas/contracts';
import type { Decider } from '@lbaas/events';
import { WrongExpectedSequence } from './errors';
import type { EventStore, StoredCommit, StreamRef } from './event-store';
import { handle, HANDLE_RETRIES } from './handle';

/** What the contract suite needs from an implementation: a store, and optionally the whole log in order. */
export type ContractOptions = Readonly<{
  /** Every commit in stream order (a projection replay); enables the replay and cross-aggregate order checks. */
  replayAll?: () => Promise<StoredCommit[]>;
}>;

const actor: Actor = { kind: 'service', service: 'contract-test' };
const lb = (): Extract<StreamRef, { aggregate: unknown }> => ({ aggregate: 'lb', id: randomUUID() });
const added = (n: number): EventEnvelope => ({ type: 'Added', v: 1, data: { n } });
const commit = (n: number, commitId = randomUUID()): Commit =>
  ({ commitId, at: '2026-01-01T00:00:00.000Z', actor, events: [added(n)] });
const ns = (commits: readonly StoredCommit[]) => commits.flatMap((c) => c.events.map((e) => (e.data as { n: number }).n));

/** A counter aggregate: `Add n` yields `Added n` unless `n` was already added (then [] = already so). */
type Add = { type: 'Add'; data: { n: number }; metadata: { commandId: string; now: string } };
type Counter = ReadonlySet<number>;
const counter: Decider<Counter, Add, EventEnvelope> = {
  initialState: () => new Set(),
  evolve: (s, e) => new Set(s).add((e.data as { n: number }).n),
  decide: (c, s) => (s.has(c.data.n) ? [] : [added(c.data.n)]),
};
const add = (n: number, commandId = randomUUID()): Add =>
  ({ type: 'Add', data: { n }, metadata: { commandId, now: '2026-01-02T03:04:05.000Z' } });

/** Stands in for libs/domain's DomainError: any non-conflict error must leave handle() untouched. */
class RefusedByDomain extends Error {}

/**
 * The behaviour every EventStore must show (DESIGN.md §3); run against the JetStream store on a real nats-server
 * and against the in-memory fake. `makeStore` may return the same store each time: every test uses fresh aggregates.
 */
export function eventStoreContract(makeStore: () => EventStore | Promise<EventStore>, opts: ContractOptions = {}): void {
  let store: EventStore;
  beforeEach(async () => {
    store = await makeStore();
  });

  describe('event store contract', () => {
    it('reads an unknown aggregate as empty with seq 0, quickly', async () => {
      const started = performance.now();
      await expect(store.read(lb())).resolves.toEqual({ commits: [], seq: 0 });
      expect(performance.now() - started).toBeLessThan(250);
    });

    it('appends a new aggregate and reads the commit back with its seq and subject', async () => {
      const ref = lb();
      const c = commit(1);
      const seq = await store.append(ref, c, 0);
      expect(seq).toBeGreaterThan(0);
      const read = await store.read(ref);
      expect(read).toEqual({ seq, commits: [{ ...c, seq, subject: `lbaas.evt.lb.${ref.id}` }] });
    });

    it('rejects a create (expected 0) on an existing aggregate', async () => {
      const ref = lb();
      const seq = await store.append(ref, commit(1), 0);
      await expect(store.append(ref, commit(2), 0)).rejects.toBeInstanceOf(WrongExpectedSequence);
      expect(await store.read(ref)).toMatchObject({ seq, commits: [{ seq }] });
    });

    it('rejects a stale append with WrongExpectedSequence and stores nothing', async () => {
      const ref = lb();
      const s1 = await store.append(ref, commit(1), 0);
      const s2 = await store.append(ref, commit(2), s1);
      await expect(store.append(ref, commit(3), s1)).rejects.toBeInstanceOf(WrongExpectedSequence);
      const read = await store.read(ref);
      expect(read.seq).toBe(s2);
      expect(ns(read.commits)).toEqual([1, 2]);
    });

    it('answers a repeated commitId with the original seq and stores nothing, even with a stale expected seq', async () => {
      const ref = lb();
      const c = commit(1);
      const s1 = await store.append(ref, c, 0);
      const s2 = await store.append(ref, commit(2), s1);
      expect(await store.append(ref, c, 0)).toBe(s1);
      expect(await store.append(ref, { ...c, events: [added(99)] }, s2)).toBe(s1);
      const read = await store.read(ref);
      expect(ns(read.commits)).toEqual([1, 2]);
      expect(read.seq).toBe(s2);
    });

    it('deduplicates a commitId across the whole store, not per aggregate', async () => {
      const [a, b] = [lb(), lb()];
      const c = commit(1);
      const seq = await store.append(a, c, 0);
      expect(await store.append(b, c, 0)).toBe(seq);
      expect(await store.read(b)).toEqual({ commits: [], seq: 0 });
    });

    it('keeps the order of appends within and across aggregates', async () => {
      const [a, b] = [lb(), lb()];
      const seqs: number[] = [];
      const last = new Map<StreamRef, number>([[a, 0], [b, 0]]);
      for (let i = 1; i <= 6; i++) {
        const ref = i % 2 ? a : b;
        const seq = await store.append(ref, commit(i), last.get(ref) ?? 0);
        last.set(ref, seq);
        seqs.push(seq);
      }
      expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
      expect(new Set(seqs).size).toBe(6);
      expect(ns((await store.read(a)).commits)).toEqual([1, 3, 5]);
      expect(ns((await store.read(b)).commits)).toEqual([2, 4, 6]);
      if (opts.replayAll) {
        const mine = new Set([`lbaas.evt.lb.${a.id}`, `lbaas.evt.lb.${b.id}`]);
        const replayed = (await opts.replayAll()).filter((c) => mine.has(c.subject));
        expect(replayed.map((c) => c.seq)).toEqual(seqs);
      }
    });

    it('reads a long history completely and in order', async () => {
      const ref = lb();
      let seq = 0;
      for (let i = 1; i <= 40; i++) seq = await store.append(ref, commit(i), seq);
      const read = await store.read(ref);
      expect(read.seq).toBe(seq);
      expect(ns(read.commits)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(read.commits.map((c) => c.seq)).toEqual([...read.commits.map((c) => c.seq)].sort((x, y) => x - y));
    });

    if (opts.replayAll) {
      it('replays every commit exactly once, in stream order', async () => {
        const refs = [lb(), lb(), lb()];
        const appended: number[] = [];
        for (const ref of refs) appended.push(await store.append(ref, commit(appended.length), 0));
        const all = await opts.replayAll!();
        const seqs = all.map((c) => c.seq);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
        expect(seqs).toEqual(expect.arrayContaining(appended));
      });
    }
  });

  describe('handle() on the store', () => {
    it('appends what the decider decided, with commitId = commandId, at = metadata.now and the actor', async () => {
      const ref = lb();
      const cmd = add(7);
      const { events, seq } = await handle(store, ref, counter, cmd, actor);
      expect(events).toEqual([added(7)]);
      expect((await store.read(ref)).commits).toEqual([
        { commitId: cmd.metadata.commandId, at: cmd.metadata.now, actor, events: [added(7)], seq, subject: `lbaas.evt.lb.${ref.id}` },
      ]);
    });

    it('appends nothing when the decider says it is already so, and returns the current seq', async () => {
      const ref = lb();
      const first = await handle(store, ref, counter, add(1), actor);
      const again = await handle(store, ref, counter, add(1), actor);
      expect(again).toEqual({ events: [], seq: first.seq });
      expect((await store.read(ref)).commits).toHaveLength(1);
    });

    it('retries a conflict raised by a concurrent writer between read and append', async () => {
      const ref = lb();
      let calls = 0;
      const slow: typeof counter = {
        ...counter,
        decide: (c, s) => {
          calls++;
          return counter.decide(c, s);
        },
      };
      // The first decision reads an empty aggregate; the competing append lands before ours.
      const sneaky: EventStore = {
        read: async <E>(r: StreamRef) => {
          const read = await store.read<E>(r);
          if (calls === 0) await store.append(ref, commit(100), read.seq);
          return read;
        },
        append: (r, c, s) => store.append(r, c, s),
      };
      const result = await handle(sneaky, ref, slow, add(1), actor);
      expect(calls).toBe(2);
      expect(result.seq).toBe((await store.read(ref)).seq);
      expect(ns((await store.read(ref)).commits)).toEqual([100, 1]);
    });

    it(`gives up with WrongExpectedSequence after ${HANDLE_RETRIES} retries`, async () => {
      const ref = lb();
      let reads = 0;
      const alwaysBeaten: EventStore = {
        read: async <E>(r: StreamRef) => {
          reads++;
          const read = await store.read<E>(r);
          await store.append(ref, commit(1000 + reads), read.seq);
          return read;
        },
        append: (r, c, s) => store.append(r, c, s),
      };
      await expect(handle(alwaysBeaten, ref, counter, add(1), actor)).rejects.toBeInstanceOf(WrongExpectedSequence);
      expect(reads).toBe(HANDLE_RETRIES + 1);
      expect(ns((await store.read(ref)).commits)).not.toContain(1);
    });

    it('lets a domain error from decide propagate untouched and leaves the store as it was', async () => {
      const ref = lb();
      const before = await handle(store, ref, counter, add(1), actor);
      const refusal = new RefusedByDomain('no');
      const refusing: typeof counter = { ...counter, decide: () => { throw refusal; } };
      await expect(handle(store, ref, refusing, add(2), actor)).rejects.toBe(refusal);
      expect((await store.read(ref)).seq).toBe(before.seq);
    });

    it('serialises concurrent commands on one aggregate through retries', async () => {
      const ref = lb();
      const results = await Promise.all([1, 2, 3, 4].map((n) => handle(store, ref, counter, add(n), actor)));
      const read = await store.read(ref);
      expect(ns(read.commits).sort()).toEqual([1, 2, 3, 4]);
      expect(Math.max(...results.map((r) => r.seq))).toBe(read.seq);
    });
  });
}
