import { eventStoreContract } from './event-store.contract';
import { inMemoryEventStore, type InMemoryEventStore } from './in-memory-event-store';

describe('in-memory event store', () => {
  const store: InMemoryEventStore = inMemoryEventStore();
  eventStoreContract(() => store, { replayAll: async () => store.readAll() });

  it('hands out copies: mutating a read commit does not change the store', async () => {
    const ref = { aggregate: 'agent' as const, id: 'a1' };
    await store.append(ref, { commitId: 'c-copy', at: 'now', actor: { kind: 'service', service: 't' }, events: [] }, 0);
    const first = await store.read(ref);
    (first.commits[0].events as unknown[]).push({ type: 'X', v: 1, data: {} });
    expect((await store.read(ref)).commits[0].events).toEqual([]);
  });
});
