import { randomUUID } from 'node:crypto';
import type { Actor, EventEnvelope } from '@lbaas/contracts';
import type { Decider } from '@lbaas/events';
import { natsServerPerFile } from '@lbaas/testing';
import { ensureEventStream } from './ensure-event-stream';
import { WrongExpectedSequence } from './errors';
import type { EventStore, StreamRef } from './event-store';
import { handle, HANDLE_RETRIES, StateCache, stateKey } from './handle';
import { jetStreamEventStore } from './jetstream-event-store';
import { runProjection } from './projection';

/**
 * handle() with a StateCache (the api's hot path) against a real nats-server: no read while this process is the only
 * writer, a fresh read when another writer came in between, refusals and no-ops from a cached state checked again,
 * isNew, the per-aggregate queue, and the bounded retries.
 */
const nats = natsServerPerFile();
let js: EventStore;
beforeAll(async () => {
  await ensureEventStream(nats.connection);
  js = jetStreamEventStore(nats.connection);
});

const actor: Actor = { kind: 'service', service: 'handle-cache-test' };

/** A register: `Set to` yields `Changed to` unless it already holds `to`; `ifFrom` refuses unless it holds that value. */
type Set_ = { type: 'Set'; data: { to: number; ifFrom?: number }; metadata: { commandId: string; now: string } };
type Register = { value: number; changes: number };
class Refused extends Error {}
const changed = (to: number): EventEnvelope => ({ type: 'Changed', v: 1, data: { to } });
const register: Decider<Register, Set_, EventEnvelope> = {
  initialState: () => ({ value: 0, changes: 0 }),
  evolve: (s, e) => ({ value: (e.data as { to: number }).to, changes: s.changes + 1 }),
  decide: (c, s) => {
    if (c.data.ifFrom !== undefined && s.value !== c.data.ifFrom) throw new Refused(`holds ${s.value}, not ${c.data.ifFrom}`);
    return s.value === c.data.to ? [] : [changed(c.data.to)];
  },
};
const set = (to: number, ifFrom?: number): Set_ => ({ type: 'Set', data: { to, ifFrom }, metadata: { commandId: randomUUID(), now: new Date().toISOString() } });
const values = async (ref: StreamRef) => (await js.read(ref)).commits.flatMap((c) => c.events.map((e) => (e.data as { to: number }).to));

/** The real store, counting reads and appends. */
function counted(inner: EventStore = js) {
  const n = { reads: 0, appends: 0 };
  const store: EventStore = {
    read: (r) => { n.reads++; return inner.read(r); },
    append: (r, c, s) => { n.appends++; return inner.append(r, c, s); },
  };
  return { store, n };
}
const fresh = (): StreamRef => ({ aggregate: 'lb', id: randomUUID() });

describe('handle() with a state cache', () => {
  it('reads an aggregate once, then decides on the state its own appends produced', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    for (const to of [1, 2, 3]) await handle(store, ref, register, set(to), actor, { cache });
    expect(n).toEqual({ reads: 1, appends: 3 });
    expect(await values(ref)).toEqual([1, 2, 3]);
  });

  it('reads again and decides again when another process appended in between', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { cache });
    await handle(js, ref, register, set(5), actor); // the other writer (no cache)
    const r = await handle(store, ref, register, set(6, 5), actor, { cache });
    expect(r.events).toEqual([changed(6)]);
    // The cached state (1) refuses ifFrom 5: that refusal is checked on a fresh read, which allows it.
    expect(n.reads).toBe(2);
    expect(await values(ref)).toEqual([1, 5, 6]);
  });

  it('observing the projection, a commit of another writer folds into the held state: no refused append, no read', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const projection = await runProjection(nats.connection, { onCommit: () => undefined });
    const off = projection.onApplied((c) => cache.observe(c.subject, c.events, c.seq));
    try {
      const ref = fresh();
      await handle(store, ref, register, set(1), actor, { cache });
      const other = await handle(js, ref, register, set(5), actor); // the other writer (no cache)
      await projection.waitFor(other.seq);
      const r = await handle(store, ref, register, set(6, 5), actor, { cache });
      expect(r.events).toEqual([changed(6)]);
      expect(n).toEqual({ reads: 1, appends: 2 }); // the first command's read only
      expect(await values(ref)).toEqual([1, 5, 6]);
    } finally {
      off();
      await projection.stop();
    }
  });

  it('does not follow a state stored after the projection passed it: the stale state is caught by the append', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { cache });
    const other = await handle(js, ref, register, set(5), actor);
    cache.observe('lbaas.evt.unrelated', [], other.seq + 10); // the projection is already past both commits
    await handle(store, ref, register, set(7), actor, { cache }); // remembered at a seq the projection passed
    const later = await handle(js, ref, register, set(8), actor);
    cache.observe(stateKey(ref), [changed(8)], later.seq); // not folded: the entry is not followable
    const r = await handle(store, ref, register, set(9, 8), actor, { cache });
    expect(r.events).toEqual([changed(9)]);
    expect(n.reads).toBe(3); // first read, after the other writer's 5, after its 8
    expect(await values(ref)).toEqual([1, 5, 7, 8, 9]);
  });

  it('checks a no-op decided on a cached state again on a fresh read', async () => {
    const { store } = counted();
    const cache = new StateCache();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { cache });
    await handle(js, ref, register, set(2), actor); // another writer moves it to 2; the cache still says 1
    const r = await handle(store, ref, register, set(1), actor, { cache });
    expect(r.events).toEqual([changed(1)]); // "already 1" from the cache was not trusted
    expect(await values(ref)).toEqual([1, 2, 1]);
  });

  it('keeps a refusal that a fresh read confirms, and appends nothing', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { cache });
    await expect(handle(store, ref, register, set(9, 7), actor, { cache })).rejects.toBeInstanceOf(Refused);
    expect(n).toEqual({ reads: 2, appends: 1 });
    expect(await values(ref)).toEqual([1]);
  });

  it('returns a confirmed no-op with the current sequence', async () => {
    const cache = new StateCache();
    const ref = fresh();
    const first = await handle(js, ref, register, set(4), actor, { cache });
    expect(await handle(js, ref, register, set(4), actor, { cache })).toEqual({ events: [], seq: first.seq });
  });

  it('creates a fresh aggregate without reading it (isNew), and recovers when the guess was wrong', async () => {
    const { store, n } = counted();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { isNew: true });
    expect(n).toEqual({ reads: 0, appends: 1 });
    // Not new after all: the append expecting sequence 0 is refused, the aggregate is read, the command decided again.
    const r = await handle(store, ref, register, set(2), actor, { isNew: true });
    expect(r.events).toEqual([changed(2)]);
    expect(n).toEqual({ reads: 1, appends: 3 });
    expect(await values(ref)).toEqual([1, 2]);
  });

  it('queues concurrent commands on one aggregate: in order, without conflicts or extra reads', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((to) => handle(store, ref, register, set(to), actor, { cache })));
    expect(await values(ref)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(n).toEqual({ reads: 1, appends: 8 });
    expect(results.map((r) => r.seq)).toEqual([...results.map((r) => r.seq)].sort((a, b) => a - b));
  });

  it('runs the next queued command after one that failed', async () => {
    const cache = new StateCache();
    const ref = fresh();
    await handle(js, ref, register, set(1), actor, { cache });
    const [refused, next] = await Promise.allSettled([
      handle(js, ref, register, set(3, 2), actor, { cache }),
      handle(js, ref, register, set(2, 1), actor, { cache }),
    ]);
    expect(refused.status).toBe('rejected');
    expect(next).toMatchObject({ status: 'fulfilled', value: { events: [changed(2)] } });
  });

  it('keeps aggregates apart: another aggregate is neither queued behind nor confused with this one', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const a = fresh(), b = fresh();
    await Promise.all([handle(store, a, register, set(1), actor, { cache }), handle(store, b, register, set(1), actor, { cache })]);
    expect(n.reads).toBe(2);
    expect(cache.size).toBe(2);
  });

  it(`gives up with WrongExpectedSequence after ${HANDLE_RETRIES} retries, and forgets the cached state`, async () => {
    const cache = new StateCache();
    const ref = fresh();
    await handle(js, ref, register, set(1), actor, { cache });
    let reads = 0;
    const alwaysBeaten: EventStore = {
      read: async (r) => {
        reads++;
        const read = await js.read(r);
        await js.append(ref, { commitId: randomUUID(), at: 'now', actor, events: [changed(100 + reads)] }, read.seq);
        return read;
      },
      append: (r, c, s) => js.append(r, c, s),
    };
    // The cached state's append is beaten by the first read's competitor too: 1 cached attempt + HANDLE_RETRIES reads.
    await handle(js, ref, register, set(50), actor); // another writer, so the cached append is refused
    await expect(handle(alwaysBeaten, ref, register, set(2), actor, { cache })).rejects.toBeInstanceOf(WrongExpectedSequence);
    expect(reads).toBe(HANDLE_RETRIES);
    expect(cache.size).toBe(0);
    expect(await values(ref)).not.toContain(2);
  });

  it('holds at most maxEntries states, dropping the oldest', async () => {
    const { store, n } = counted();
    const cache = new StateCache(2);
    const [a, b, c] = [fresh(), fresh(), fresh()];
    for (const ref of [a, b, c]) await handle(store, ref, register, set(1), actor, { cache, isNew: true });
    expect(cache.size).toBe(2);
    await handle(store, c, register, set(2), actor, { cache });
    expect(n.reads).toBe(0);
    await handle(store, a, register, set(2), actor, { cache });
    expect(n.reads).toBe(1);
  });

  it('does not hand one decider\'s cached state to another decider on the same aggregate', async () => {
    const { store, n } = counted();
    const cache = new StateCache();
    const ref = fresh();
    await handle(store, ref, register, set(1), actor, { cache });
    const other: typeof register = { ...register };
    await handle(store, ref, other, set(2), actor, { cache });
    expect(n.reads).toBe(2);
  });
});
