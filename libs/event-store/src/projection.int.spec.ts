import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, type Commit } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import pino from 'pino';
import { ensureEventStream } from './ensure-event-stream';
import { ProjectionStopped, ProjectionTimeout } from './errors';
import type { StoredCommit } from './event-store';
import { jetStreamEventStore } from './jetstream-event-store';
import { runProjection, type Projection } from './projection';

const nats = natsServerPerFile();
const commit = (n: number): Commit =>
  ({ commitId: randomUUID(), at: 'now', actor: { kind: 'service', service: 't' }, events: [{ type: 'Added', v: 1, data: { n } }] });
const running: Projection[] = [];
const start = async (...args: Parameters<typeof runProjection>) => {
  const p = await runProjection(...args);
  running.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

describe('runProjection', () => {
  it('resolves at once on an empty stream and then follows live commits', async () => {
    await ensureEventStream(nats.connection);
    const seen: StoredCommit[] = [];
    const progress: unknown[] = [];
    const projection = await start(nats.connection, { onCommit: (c) => seen.push(c), onProgress: (p) => progress.push(p) });
    expect(projection.seq).toBe(0);
    expect(progress).toEqual([{ seq: 0, lastSeq: 0 }]);
    const seq = await jetStreamEventStore(nats.connection).append({ aggregate: 'lb', id: 'live-1' }, commit(1), 0);
    await projection.waitFor(seq, 5_000);
    expect(seen.map((c) => c.seq)).toEqual([seq]);
    expect(seen[0]).toMatchObject({ subject: 'lbaas.evt.lb.live-1', events: [{ data: { n: 1 } }] });
  });

  it('replays the whole history in order before resolving and reports progress', async () => {
    const js = nats.connection.jetstream();
    for (let batch = 0; batch < 12; batch++) {
      await Promise.all(Array.from({ length: 1_000 }, (_, i) =>
        js.publish(`lbaas.evt.lb.replay-${i % 50}`, JSON.stringify(commit(batch * 1_000 + i)))));
    }
    const { state } = await (await nats.connection.jetstreamManager()).streams.info(EVENT_STREAM);
    const seqs: number[] = [];
    const progress: Array<{ seq: number; lastSeq: number }> = [];
    const started = performance.now();
    const projection = await start(nats.connection, { onCommit: (c) => seqs.push(c.seq), onProgress: (p) => progress.push(p) });
    process.stdout.write(`replayed ${seqs.length} commits in ${(performance.now() - started).toFixed(0)} ms\n`);
    expect(projection.seq).toBe(state.last_seq);
    expect(seqs).toHaveLength(state.messages);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress.at(-1)).toEqual({ seq: state.last_seq, lastSeq: state.last_seq });
  }, 60_000);

  it('replays only its filter and catches up even when the last stream message is outside it', async () => {
    const store = jetStreamEventStore(nats.connection);
    const a = await store.append({ aggregate: 'agent', id: 'f-1' }, commit(1), 0);
    await store.append({ aggregate: 'lb', id: randomUUID() }, commit(2), 0);
    const seen: StoredCommit[] = [];
    const projection = await start(nats.connection, { filter: 'lbaas.evt.agent.*', onCommit: (c) => seen.push(c) });
    expect(seen.every((c) => c.subject.startsWith('lbaas.evt.agent.'))).toBe(true);
    expect(projection.seq).toBe(a);
  });

  it('waitFor rejects with ProjectionTimeout, and onApplied listeners fire after onCommit until unsubscribed', async () => {
    const order: string[] = [];
    const projection = await start(nats.connection, { onCommit: () => order.push('commit') });
    await expect(projection.waitFor(projection.seq + 1_000, 100)).rejects.toBeInstanceOf(ProjectionTimeout);
    const off = projection.onApplied(() => order.push('applied'));
    const store = jetStreamEventStore(nats.connection);
    const ref = { aggregate: 'lb' as const, id: randomUUID() };
    const s1 = await store.append(ref, commit(1), 0);
    await projection.waitFor(s1);
    expect(order.slice(-2)).toEqual(['commit', 'applied']);
    off();
    await projection.waitFor(await store.append(ref, commit(2), s1));
    expect(order.slice(-2)).toEqual(['applied', 'commit']);
  });

  it('logs and skips a message that is not a commit, and keeps going', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => lines.push(line) });
    const js = nats.connection.jetstream();
    const bad = await js.publish('lbaas.evt.lb.garbage', 'not json');
    const seen: number[] = [];
    const projection = await start(nats.connection, { onCommit: (c) => seen.push(c.seq), logger });
    expect(projection.seq).toBeGreaterThanOrEqual(bad.seq);
    expect(seen).not.toContain(bad.seq);
    expect(lines.join('')).toContain('"op":"commit.unreadable"');
    const good = await jetStreamEventStore(nats.connection).append({ aggregate: 'lb', id: randomUUID() }, commit(1), 0);
    await projection.waitFor(good);
    expect(seen).toContain(good);
  });

  it('survives a nats-server restart: resumes after the last applied seq without gaps or repeats', async () => {
    const seqs: number[] = [];
    const projection = await start(nats.connection, { onCommit: (c) => seqs.push(c.seq) });
    const store = jetStreamEventStore(nats.connection, { requestTimeoutMs: 1_000, attempts: 20 });
    const ref = { aggregate: 'lb' as const, id: randomUUID() };
    const before = await store.append(ref, commit(1), 0);
    await projection.waitFor(before);
    await nats.restartServer();
    const after = await store.append(ref, commit(2), before);
    await projection.waitFor(after, 30_000);
    expect(seqs.slice(-2)).toEqual([before, after]);
    expect(new Set(seqs).size).toBe(seqs.length);
  }, 60_000);

  it('rejects pending waits when stopped', async () => {
    const projection = await runProjection(nats.connection, { onCommit: () => undefined });
    const waiting = expect(projection.waitFor(projection.seq + 1_000, 10_000)).rejects.toBeInstanceOf(ProjectionStopped);
    await projection.stop();
    await waiting;
  });
});
