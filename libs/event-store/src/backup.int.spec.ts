import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, type Commit } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import type { NatsConnection } from 'nats';
import { exportEventStream, importEventStream } from './backup';
import { BackupError } from './backup-format';
import { ensureEventStream } from './ensure-event-stream';
import { jetStreamEventStore } from './jetstream-event-store';
import { loadSnapshot, putSnapshotBytes, saveSnapshot, type SnapshotCodec } from './snapshot';
import { runProjection } from './projection';

/** Two real nats-servers: the one with history (source) and a fresh one (target) for every restore. */
const source = natsServerPerFile();
const target = natsServerPerFile();

const commit = (n: number): Commit => ({
  commitId: randomUUID(), at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
  actor: { kind: 'user', service: 'api', projectId: 'p1', userId: 'u1', roles: ['member'], requestId: `req-${n}`, clientAddress: '10.0.0.1', operation: 'POST /x' },
  events: [{ type: 'Counted', v: 1, data: { n } }],
});

const exportText = async (nc: NatsConnection) => {
  let text = '';
  const r = await exportEventStream(nc, (l) => { text += l; }, { now: '2026-01-01T00:00:00Z' });
  return { text, ...r };
};
const info = async (nc: NatsConnection) => (await nc.jetstreamManager()).streams.info(EVENT_STREAM).catch(() => undefined);
const wipeTarget = async () => {
  const jsm = await target.connection.jetstreamManager();
  await jsm.streams.delete(EVENT_STREAM).catch(() => undefined);
};

let backup = '';
const written: Commit[] = [];

beforeAll(async () => {
  await ensureEventStream(source.connection);
  const store = jetStreamEventStore(source.connection);
  // Interleaved aggregates, so subject sequences (the OCC tokens) differ from positions within one subject.
  const seqs = new Map<string, number>();
  for (let i = 1; i <= 60; i++) {
    const id = `agg-${i % 3}`;
    const c = commit(i);
    seqs.set(id, await store.append({ aggregate: 'lb', id }, c, seqs.get(id) ?? 0));
    written.push(c);
  }
  backup = (await exportText(source.connection)).text;
}, 60_000);

describe('dr export / import', () => {
  it('round-trips every message with its sequence, subject, msg id and body, and re-applies the append-only flags', async () => {
    await wipeTarget();
    const progress: number[] = [];
    const r = await importEventStream(target.connection, backup, { onProgress: (p) => progress.push(p.done), window: 16 });
    expect(r).toEqual({ count: 60, lastSeq: 60 });
    expect(progress.at(-1)).toBe(60);
    const again = await exportText(target.connection);
    // Same records and checksum (only the header's createdAt could differ, and it is fixed here).
    expect(again.text).toBe(backup);
    const i = await info(target.connection);
    expect(i?.config.deny_delete).toBe(true);
    expect(i?.config.deny_purge).toBe(true);
    // OCC keeps working on the restored store: the next append names the original last subject sequence.
    const store = jetStreamEventStore(target.connection);
    const { seq } = await store.read({ aggregate: 'lb', id: 'agg-0' });
    expect(seq).toBe(60);
    await expect(store.append({ aggregate: 'lb', id: 'agg-0' }, commit(61), seq)).resolves.toBe(61);
    // A commit retried with its original id is still recognised as a duplicate after the import.
    await expect(store.append({ aggregate: 'lb', id: 'agg-0' }, written[59], 61)).resolves.toBe(60);
  });

  it('refuses an import into a store that holds anything, and leaves it untouched', async () => {
    const before = await info(target.connection);
    expect(before?.state.messages).toBeGreaterThan(0);
    await expect(importEventStream(target.connection, backup)).rejects.toMatchObject({ problem: 'not-empty' });
    expect((await info(target.connection))?.state).toEqual(before?.state);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, Math.floor(t.length / 2)), 'truncated'],
    ['missing its trailer', (t: string) => t.split('\n').slice(0, -2).join('\n') + '\n', 'truncated'],
    ['with one flipped byte', (t: string) => t.replace('req-7', 'req-8'), 'corrupt'],
    ['of another stream', (t: string) => t.replace('"stream":"LBAAS_EVENTS"', '"stream":"OTHER"'), 'foreign'],
    ['empty', () => '', 'truncated'],
    ['not a backup at all', () => 'hello\n', 'corrupt'],
  ])('refuses a backup %s with a clear error and imports nothing', async (_name, spoil, problem) => {
    await wipeTarget();
    const err = await importEventStream(target.connection, spoil(backup)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect(err).toMatchObject({ problem });
    expect(await info(target.connection)).toBeUndefined();
  });

  it('exports an empty stream as a valid empty backup', async () => {
    await wipeTarget();
    await ensureEventStream(target.connection);
    const empty = await exportText(target.connection);
    expect(empty.count).toBe(0);
    await expect(importEventStream(target.connection, empty.text)).resolves.toEqual({ count: 0, lastSeq: 0 });
  });
});

describe('snapshots', () => {
  type View = { sum: number; seen: Map<string, number>; seq: number };
  const codec: SnapshotCodec<View> = { schema: 1, encode: (v) => v, decode: (j) => j as View };
  const fold = (v: View, c: { seq: number; subject: string; events: readonly { data: unknown }[] }) => {
    for (const e of c.events) v.sum += (e.data as { n: number }).n;
    v.seen.set(c.subject, (v.seen.get(c.subject) ?? 0) + 1);
    v.seq = c.seq;
  };
  const replayFrom = async (nc: NatsConnection, view: View, startAfter: number) => {
    const p = await runProjection(nc, { startAfter, onCommit: (c) => fold(view, c) });
    await p.stop();
    return view;
  };
  const full = () => replayFrom(source.connection, { sum: 0, seen: new Map(), seq: 0 }, 0);

  it('resumes after the snapshot and ends with the same view as a full replay', async () => {
    const truth = await full();
    const partial: View = { sum: 0, seen: new Map(), seq: 0 };
    const p = await runProjection(source.connection, { onCommit: (c) => { if (c.seq <= 40) fold(partial, c); } });
    await p.stop();
    await saveSnapshot(source.connection, 't', codec, partial, 40);
    const snap = await loadSnapshot(source.connection, 't', codec);
    if (!('view' in snap)) throw new Error(`snapshot not used: ${snap.reason}`);
    expect(snap.seq).toBe(40);
    expect(snap.view.seen).toBeInstanceOf(Map);
    expect(await replayFrom(source.connection, snap.view, snap.seq)).toEqual(truth);
  });

  it('reports a missing, corrupt, stale or foreign snapshot so the caller replays from the start', async () => {
    expect(await loadSnapshot(source.connection, 'never-saved', codec)).toMatchObject({ miss: 'missing' });
    await putSnapshotBytes(source.connection, 'bad', new TextEncoder().encode('{"format":"lbaas-snapshot","state":"x","sha256":"no"}'));
    expect(await loadSnapshot(source.connection, 'bad', codec)).toMatchObject({ miss: 'corrupt' });
    await putSnapshotBytes(source.connection, 'junk', new Uint8Array([1, 2, 3]));
    expect(await loadSnapshot(source.connection, 'junk', codec)).toMatchObject({ miss: 'corrupt' });
    await saveSnapshot(source.connection, 'old', { ...codec, schema: 0 }, { sum: 0, seen: new Map(), seq: 0 }, 10);
    expect(await loadSnapshot(source.connection, 'old', codec)).toMatchObject({ miss: 'stale' });
    // Taken on the source, loaded on a store with another history at that sequence (or none at all).
    await saveSnapshot(source.connection, 'moved', codec, { sum: 0, seen: new Map(), seq: 0 }, 50);
    const bytes = await (await source.connection.jetstream().views.os('lbaas_snapshots')).getBlob('moved');
    await wipeTarget();
    await ensureEventStream(target.connection);
    await putSnapshotBytes(target.connection, 'moved', bytes!);
    expect(await loadSnapshot(target.connection, 'moved', codec)).toMatchObject({ miss: 'stale' });
    const other = jetStreamEventStore(target.connection);
    for (let i = 0; i < 55; i++) await other.append({ aggregate: 'lb', id: `o${i}` }, commit(i), 0);
    expect(await loadSnapshot(target.connection, 'moved', codec)).toMatchObject({ miss: 'foreign' });
  });
});
