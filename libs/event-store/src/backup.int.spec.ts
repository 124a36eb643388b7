import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, SECRETS_BUCKET, type Commit } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import type { NatsConnection } from 'nats';
import { exportEventStream, importEventStream } from './backup';
import { BackupError } from './backup-format';
import { ensureEventStream } from './ensure-event-stream';
import { jetStreamEventStore } from './jetstream-event-store';
import { loadSnapshot, putSnapshotBytes, saveSnapshot, type SnapshotCodec } from './snapshot';
import { runProjection } from './projection';
import { bootstrapEventStore } from './bootstrap';
import { observeEventStream } from './stream-identity';

/** The operator's MAC key of these tests, and somebody else's. */
const KEY = Buffer.alloc(32, 1);
const OTHER_KEY = Buffer.alloc(32, 2);

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
  const r = await exportEventStream(nc, (l) => { text += l; }, { now: '2026-01-01T00:00:00Z', key: KEY });
  return { text, ...r };
};
const info = async (nc: NatsConnection) => (await nc.jetstreamManager()).streams.info(EVENT_STREAM).catch(() => undefined);
const wipeTarget = async () => {
  const jsm = await target.connection.jetstreamManager();
  await jsm.streams.delete(EVENT_STREAM).catch(() => undefined);
  await jsm.streams.delete(`KV_${SECRETS_BUCKET}`).catch(() => undefined);
};

let backup = '';
const written: Commit[] = [];

let streamId = '';
beforeAll(async () => {
  // The operator's bootstrap: the stream with its identity (message 1), the secrets bucket, the snapshot store.
  streamId = (await bootstrapEventStore(source.connection, { now: '2026-01-01T00:00:00Z' }))!.id;
  const kv = await source.connection.jetstream().views.kv(SECRETS_BUCKET, { bindOnly: true });
  await kv.put('secret.11111111-1111-4111-8111-111111111111', new Uint8Array([1, 2, 3, 250]));
  await kv.put('secret.22222222-2222-4222-8222-222222222222', new Uint8Array([9]));
  await kv.put('secret.33333333-3333-4333-8333-333333333333', new Uint8Array([7]));
  await kv.purge('secret.33333333-3333-4333-8333-333333333333'); // deleted: not in the backup
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
  it('round-trips every message with its sequence, subject, msg id and body, the stream identity and the sealed secrets', async () => {
    await wipeTarget();
    const progress: number[] = [];
    const r = await importEventStream(target.connection, backup, { key: KEY, onProgress: (p) => progress.push(p.done), window: 16, marker: false });
    expect(r).toEqual({ count: 61, lastSeq: 61, secrets: 2, streamId, undecodable: [], markerSeq: null });
    expect(progress.at(-1)).toBe(61);
    const again = await exportText(target.connection);
    // Same records, secrets and checksum (only the header's createdAt could differ, and it is fixed here).
    expect(again.text).toBe(backup);
    const kv = await target.connection.jetstream().views.kv(SECRETS_BUCKET, { bindOnly: true });
    expect([...(await kv.get('secret.11111111-1111-4111-8111-111111111111'))!.value]).toEqual([1, 2, 3, 250]);
    expect(await kv.get('secret.33333333-3333-4333-8333-333333333333')).toBeNull();
    const i = await info(target.connection);
    expect(i?.config.deny_delete).toBe(true);
    expect(i?.config.deny_purge).toBe(true);
    // OCC keeps working on the restored store: the next append names the original last subject sequence.
    const store = jetStreamEventStore(target.connection);
    const { seq } = await store.read({ aggregate: 'lb', id: 'agg-0' });
    expect(seq).toBe(61);
    await expect(store.append({ aggregate: 'lb', id: 'agg-0' }, commit(61), seq)).resolves.toBe(62);
    // A commit retried with its original id is still recognised as a duplicate after the import.
    await expect(store.append({ aggregate: 'lb', id: 'agg-0' }, written[59], 62)).resolves.toBe(61);
  });

  it('writes a restore marker after the import, and replaces a freshly bootstrapped (genesis only) stream', async () => {
    await wipeTarget();
    await bootstrapEventStore(target.connection);
    const r = await importEventStream(target.connection, backup, { key: KEY, now: '2026-02-01T00:00:00Z' });
    expect(r).toMatchObject({ count: 61, streamId, markerSeq: 62 });
    const seen = await observeEventStream(target.connection);
    expect(seen).toMatchObject({ state: 'present', identity: { id: streamId, genesis: true }, lastSeq: 62, restore: { streamId, lastSeq: 61, restoredAt: '2026-02-01T00:00:00Z' } });
  });

  it('refuses a backup made with another key, or imported without one, and writes nothing', async () => {
    await wipeTarget();
    await expect(importEventStream(target.connection, backup, { key: OTHER_KEY })).rejects.toMatchObject({ problem: 'unverified' });
    await expect(importEventStream(target.connection, backup, { key: Buffer.alloc(0) })).rejects.toMatchObject({ problem: 'unverified' });
    expect(await info(target.connection)).toBeUndefined();
  });

  it('refuses an import into a secrets bucket that holds another value for one of its keys; the same value may stay', async () => {
    await wipeTarget();
    const kv = await target.connection.jetstream().views.kv(SECRETS_BUCKET, { history: 1 });
    await kv.put('secret.22222222-2222-4222-8222-222222222222', new Uint8Array([9])); // as in the backup: kept
    await kv.put('secret.11111111-1111-4111-8111-111111111111', new Uint8Array([6, 6, 6])); // another value: a conflict
    await expect(importEventStream(target.connection, backup, { key: KEY })).rejects.toMatchObject({ problem: 'not-empty' });
    expect(await info(target.connection)).toBeUndefined();
    await kv.purge('secret.11111111-1111-4111-8111-111111111111');
    await expect(importEventStream(target.connection, backup, { key: KEY })).resolves.toMatchObject({ count: 61, secrets: 2 });
    expect([...(await kv.get('secret.11111111-1111-4111-8111-111111111111'))!.value]).toEqual([1, 2, 3, 250]);
  });

  it('refuses an import into a store that holds anything, and leaves it untouched', async () => {
    await wipeTarget();
    await importEventStream(target.connection, backup, { key: KEY });
    const before = await info(target.connection);
    expect(before?.state.messages).toBeGreaterThan(0);
    await expect(importEventStream(target.connection, backup, { key: KEY })).rejects.toMatchObject({ problem: 'not-empty' });
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
    const err = await importEventStream(target.connection, spoil(backup), { key: KEY }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect(err).toMatchObject({ problem });
    expect(await info(target.connection)).toBeUndefined();
  });

  it('exports an empty stream as a valid empty backup', async () => {
    await wipeTarget();
    await ensureEventStream(target.connection);
    const empty = await exportText(target.connection);
    expect(empty.count).toBe(0);
    await expect(importEventStream(target.connection, empty.text, { key: KEY })).resolves.toMatchObject({ count: 0, lastSeq: 0 });
  });
});

describe('snapshots', () => {
  type View = { sum: number; seen: Map<string, number>; seq: number };
  const codec: SnapshotCodec<View> = { schema: 1, encode: (v) => v, decode: (j) => j as View };
  const fold = (v: View, c: { seq: number; subject: string; events: readonly { type: string; data: unknown }[] }) => {
    for (const e of c.events) if (e.type === 'Counted') v.sum += (e.data as { n: number }).n; // not the stream's genesis
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
    await saveSnapshot(source.connection, 't', codec, partial, 40, KEY);
    const snap = await loadSnapshot(source.connection, 't', codec, undefined, KEY);
    if (!('view' in snap)) throw new Error(`snapshot not used: ${snap.reason}`);
    expect(snap.seq).toBe(40);
    expect(snap.view.seen).toBeInstanceOf(Map);
    expect(await replayFrom(source.connection, snap.view, snap.seq)).toEqual(truth);
  });

  it('refuses a snapshot that does not verify: no key, another key, unsigned (version 1), or edited', async () => {
    const view: View = { sum: 41, seen: new Map(), seq: 0 };
    await saveSnapshot(source.connection, 'signed', codec, view, 10, KEY);
    expect(await loadSnapshot(source.connection, 'signed', codec, undefined, KEY)).toMatchObject({ seq: 10, view: { sum: 41 } });
    expect(await loadSnapshot(source.connection, 'signed', codec, undefined, null)).toMatchObject({ miss: 'unverified', reason: expect.stringMatching(/no operator MAC key/) });
    expect(await loadSnapshot(source.connection, 'signed', codec, undefined, OTHER_KEY)).toMatchObject({ miss: 'unverified', reason: expect.stringMatching(/does not verify/) });
    await expect(saveSnapshot(source.connection, 'x', codec, view, 10, Buffer.alloc(0))).rejects.toThrow(/no operator MAC key/);
    // A forger without the key: a good-looking body with a fixed-up sha256 but an old (unsigned) format, or a made-up HMAC.
    const bytes = (await (await source.connection.jetstream().views.os('lbaas_snapshots')).getBlob('signed'))!;
    const body = JSON.parse(new TextDecoder().decode(bytes));
    const state = body.state.replace('41', '666');
    const sha = require('node:crypto').createHash('sha256').update(state).digest('hex');
    const { version: _v, hmac: _h, ...v1 } = { ...body, state, sha256: sha };
    await putSnapshotBytes(source.connection, 'v1', new TextEncoder().encode(JSON.stringify(v1)));
    expect(await loadSnapshot(source.connection, 'v1', codec, undefined, KEY)).toMatchObject({ miss: 'unverified', reason: expect.stringMatching(/version 1 carries no HMAC/) });
    await putSnapshotBytes(source.connection, 'forged', new TextEncoder().encode(JSON.stringify({ ...body, state, sha256: sha })));
    expect(await loadSnapshot(source.connection, 'forged', codec, undefined, KEY)).toMatchObject({ miss: 'unverified' });
    // A signed snapshot stored under another view's name is not that view.
    await putSnapshotBytes(source.connection, 'renamed', bytes);
    expect(await loadSnapshot(source.connection, 'renamed', codec, undefined, KEY)).toMatchObject({ miss: 'foreign' });
  });

  it('reports a missing, corrupt, stale or foreign snapshot so the caller replays from the start', async () => {
    expect(await loadSnapshot(source.connection, 'never-saved', codec, undefined, KEY)).toMatchObject({ miss: 'missing' });
    await putSnapshotBytes(source.connection, 'bad', new TextEncoder().encode('{"format":"lbaas-snapshot","state":"x","sha256":"no"}'));
    expect(await loadSnapshot(source.connection, 'bad', codec, undefined, KEY)).toMatchObject({ miss: 'corrupt' });
    await putSnapshotBytes(source.connection, 'junk', new Uint8Array([1, 2, 3]));
    expect(await loadSnapshot(source.connection, 'junk', codec, undefined, KEY)).toMatchObject({ miss: 'corrupt' });
    await saveSnapshot(source.connection, 'old', { ...codec, schema: 0 }, { sum: 0, seen: new Map(), seq: 0 }, 10, KEY);
    expect(await loadSnapshot(source.connection, 'old', codec, undefined, KEY)).toMatchObject({ miss: 'stale' });
    // Taken on the source, loaded on a store with another history at that sequence (or none at all).
    await saveSnapshot(source.connection, 'moved', codec, { sum: 0, seen: new Map(), seq: 0 }, 50, KEY);
    const bytes = await (await source.connection.jetstream().views.os('lbaas_snapshots')).getBlob('moved');
    await wipeTarget();
    await ensureEventStream(target.connection);
    await putSnapshotBytes(target.connection, 'moved', bytes!);
    expect(await loadSnapshot(target.connection, 'moved', codec, undefined, KEY)).toMatchObject({ miss: 'stale' });
    const other = jetStreamEventStore(target.connection);
    for (let i = 0; i < 55; i++) await other.append({ aggregate: 'lb', id: `o${i}` }, commit(i), 0);
    expect(await loadSnapshot(target.connection, 'moved', codec, undefined, KEY)).toMatchObject({ miss: 'foreign' });
  });
});
