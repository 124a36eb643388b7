import { randomUUID } from 'node:crypto';
import { natsServerPerFile } from '@lbaas/testing';
import type { Commit } from '@lbaas/contracts';
import { ensureEventStream } from './ensure-event-stream';
import { EventStoreUnavailable } from './errors';
import type { StoredCommit } from './event-store';
import { eventStoreContract } from './event-store.contract';
import { jetStreamEventStore } from './jetstream-event-store';
import { runProjection } from './projection';

const nats = natsServerPerFile();
beforeAll(() => ensureEventStream(nats.connection));

const replayAll = async (): Promise<StoredCommit[]> => {
  const commits: StoredCommit[] = [];
  const projection = await runProjection(nats.connection, { onCommit: (c) => commits.push(c) });
  await projection.stop();
  return commits;
};

describe('JetStream event store', () => {
  eventStoreContract(() => jetStreamEventStore(nats.connection), { replayAll });

  const commit = (): Commit => ({ commitId: randomUUID(), at: 'now', actor: { kind: 'service', service: 't' }, events: [] });

  it('reads histories of every length the same way (direct gets, then an ordered consumer)', async () => {
    const store = jetStreamEventStore(nats.connection, { directGets: 3 });
    for (const length of [1, 2, 3, 4, 10]) {
      const ref = { aggregate: 'lb' as const, id: randomUUID() };
      const seqs: number[] = [];
      for (let i = 0; i < length; i++) seqs.push(await store.append(ref, commit(), seqs.at(-1) ?? 0));
      const read = await store.read(ref);
      expect(read.commits.map((c) => c.seq)).toEqual(seqs);
      expect(read.seq).toBe(seqs.at(-1));
    }
    const jsm = await nats.connection.jetstreamManager();
    expect(await jsm.consumers.list('LBAAS_EVENTS').next()).toHaveLength(0); // read consumers are deleted
  });

  it('retries an append with the same msgID while the server restarts, then succeeds once', async () => {
    const store = jetStreamEventStore(nats.connection, { requestTimeoutMs: 500, attempts: 20, backoffMs: 100 });
    const ref = { aggregate: 'agent' as const, id: randomUUID() };
    const c = commit();
    const restarting = nats.server.restart({ downMs: 1_500 });
    await new Promise((r) => setTimeout(r, 200));
    const seq = await store.append(ref, c, 0);
    await restarting;
    await nats.reconnected();
    expect(await store.read(ref)).toMatchObject({ seq, commits: [{ commitId: c.commitId }] });
  });

  it('gives up with EventStoreUnavailable when the server stays away', async () => {
    const store = jetStreamEventStore(nats.connection, { requestTimeoutMs: 200, attempts: 3, backoffMs: 50 });
    const restarting = nats.server.restart({ downMs: 2_500 });
    await new Promise((r) => setTimeout(r, 200));
    const failed = store.append({ aggregate: 'agent', id: randomUUID() }, commit(), 0);
    await expect(failed).rejects.toBeInstanceOf(EventStoreUnavailable);
    await expect(failed).rejects.toHaveProperty('cause');
    await restarting;
    await nats.reconnected();
  });

  it('reads a 40-commit aggregate among 2,000 others in a few milliseconds', async () => {
    const store = jetStreamEventStore(nats.connection);
    const js = nats.connection.jetstream();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 200 }, (_, i) =>
        js.publish(`lbaas.evt.lb.noise-${i}`, JSON.stringify(commit()), { msgID: randomUUID() })));
    }
    const ref = { aggregate: 'lb' as const, id: randomUUID() };
    let seq = 0;
    for (let i = 0; i < 40; i++) seq = await store.append(ref, commit(), seq);
    const one = { aggregate: 'lb' as const, id: randomUUID() };
    await store.append(one, commit(), 0);
    const timings = { empty: 0, one: 0, forty: 0 };
    for (let i = 0; i < 20; i++) {
      let t = performance.now();
      await store.read({ aggregate: 'lb', id: randomUUID() });
      timings.empty += (performance.now() - t) / 20;
      t = performance.now();
      await store.read(one);
      timings.one += (performance.now() - t) / 20;
      t = performance.now();
      expect((await store.read(ref)).commits).toHaveLength(40);
      timings.forty += (performance.now() - t) / 20;
    }
    process.stdout.write(`read timings (ms, mean of 20): ${JSON.stringify(timings)}\n`);
    expect(timings.empty).toBeLessThan(20);
    expect(timings.forty).toBeLessThan(100);
  }, 30_000);
});
