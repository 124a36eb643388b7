import { EVENT_STREAM, SECRETS_BUCKET, SNAPSHOT_BUCKET } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import pino from 'pino';
import { Writable } from 'node:stream';
import type { JetStreamManager } from 'nats';
import { bootstrapEventStore, waitForEventStream } from './bootstrap';
import { IncompatibleEventStream } from './errors';

const nats = natsServerPerFile();
let jsm: JetStreamManager;
const logged: { op?: string }[] = [];
const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { logged.push(JSON.parse(String(chunk))); cb(); } }));
beforeAll(async () => { jsm = await nats.connection.jetstreamManager(); });
afterEach(async () => {
  logged.length = 0;
  for (const s of [EVENT_STREAM, `KV_${SECRETS_BUCKET}`, `OBJ_${SNAPSHOT_BUCKET}`]) await jsm.streams.delete(s).catch(() => undefined);
});

describe('bootstrapEventStore (the operator) and waitForEventStream (the apps)', () => {
  it('an app waits, saying so, until the operator has bootstrapped; it creates nothing itself', async () => {
    let done = false;
    const waiting = waitForEventStream(nats.connection, { logger, pollMs: 50, logEveryMs: 100 }).then(() => { done = true; });
    await new Promise((r) => setTimeout(r, 400));
    expect(done).toBe(false);
    expect(logged.filter((l) => l.op === 'event-stream.missing').length).toBeGreaterThanOrEqual(2);
    await expect(jsm.streams.info(EVENT_STREAM)).rejects.toThrow(/stream not found/);
    await bootstrapEventStore(nats.connection);
    await waiting;
    expect((await jsm.streams.info(`KV_${SECRETS_BUCKET}`)).config.max_msgs_per_subject).toBe(1);
    expect((await jsm.streams.info(`OBJ_${SNAPSHOT_BUCKET}`)).config.subjects).toEqual([`$O.${SNAPSHOT_BUCKET}.C.>`, `$O.${SNAPSHOT_BUCKET}.M.>`]);
    await bootstrapEventStore(nats.connection); // idempotent
  });

  it('gives a new stream its identity (EventStreamCreated at seq 1), once, and keeps it on every later bootstrap', async () => {
    const first = await bootstrapEventStore(nats.connection, { now: '2026-12-01T00:00:00.000Z' });
    expect(first).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), createdAt: '2026-12-01T00:00:00.000Z', genesis: true });
    expect(await Promise.all([bootstrapEventStore(nats.connection), bootstrapEventStore(nats.connection)])).toEqual([first, first]);
    const info = await jsm.streams.info(EVENT_STREAM);
    expect(info.state).toMatchObject({ messages: 1, last_seq: 1 });
    const m = await jsm.streams.getMessage(EVENT_STREAM, { seq: 1 });
    expect(m.subject).toBe('lbaas.evt.stream.genesis');
    expect(m.json()).toMatchObject({ commitId: first!.id, events: [{ type: 'EventStreamCreated', v: 1, data: { streamId: first!.id } }] });
    // Another stream (wiped and bootstrapped again) is another identity.
    await jsm.streams.delete(EVENT_STREAM);
    expect((await bootstrapEventStore(nats.connection))!.id).not.toBe(first!.id);
  });

  it('refuses a foreign stream, reports loosened limits loudly, and gives up after a timeout when asked to', async () => {
    await expect(waitForEventStream(nats.connection, { pollMs: 20, timeoutMs: 100 })).rejects.toThrow(IncompatibleEventStream);
    await jsm.streams.add({ name: EVENT_STREAM, subjects: ['other.>'] });
    await expect(waitForEventStream(nats.connection)).rejects.toThrow(IncompatibleEventStream);
    await jsm.streams.delete(EVENT_STREAM);
    await bootstrapEventStore(nats.connection);
    await jsm.streams.update(EVENT_STREAM, { max_msgs: 10, max_age: 3_600_000_000_000 });
    await waitForEventStream(nats.connection, { logger });
    expect(logged.find((l) => l.op === 'event-stream.loosened')).toMatchObject({ changes: { max_msgs: -1, max_age: 0 } });
    expect((await jsm.streams.info(EVENT_STREAM)).config.max_msgs).toBe(10); // an app changes nothing
  });
});
