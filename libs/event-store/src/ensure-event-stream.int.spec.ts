import { EVENT_STREAM } from '@lbaas/contracts';
import { natsServerPerFile } from '@lbaas/testing';
import { nanos, StorageType, type JetStreamManager } from 'nats';
import { DUPLICATE_WINDOW_MS, ensureEventStream } from './ensure-event-stream';
import { IncompatibleEventStream } from './errors';

const nats = natsServerPerFile();
let jsm: JetStreamManager;
beforeAll(async () => {
  jsm = await nats.connection.jetstreamManager();
});
afterEach(() => jsm.streams.delete(EVENT_STREAM).catch(() => undefined));

describe('ensureEventStream', () => {
  it('creates LBAAS_EVENTS append-only, file-backed, unlimited, with a 2 minute dedupe window and direct get', async () => {
    await ensureEventStream(nats.connection);
    const { config } = await jsm.streams.info(EVENT_STREAM);
    expect(config).toMatchObject({
      subjects: ['lbaas.evt.>'], storage: 'file', retention: 'limits', num_replicas: 1,
      deny_delete: true, deny_purge: true, allow_direct: true, duplicate_window: nanos(DUPLICATE_WINDOW_MS),
      max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1,
    });
  });

  it('is idempotent, also when several processes race', async () => {
    await Promise.all([1, 2, 3].map(() => ensureEventStream(nats.connection)));
    await ensureEventStream(nats.connection);
    expect((await jsm.streams.info(EVENT_STREAM)).config.deny_delete).toBe(true);
  });

  it('tightens a weaker existing stream in place (deny flags, direct get, dedupe window, limits)', async () => {
    await jsm.streams.add({
      name: EVENT_STREAM, subjects: ['lbaas.evt.>'], storage: StorageType.File,
      duplicate_window: nanos(10_000), max_msgs: 1_000,
    });
    await ensureEventStream(nats.connection);
    expect((await jsm.streams.info(EVENT_STREAM)).config).toMatchObject({
      deny_delete: true, deny_purge: true, allow_direct: true, duplicate_window: nanos(DUPLICATE_WINDOW_MS), max_msgs: -1,
    });
  });

  it('refuses a stream that cannot be fixed in place (memory storage)', async () => {
    await jsm.streams.add({ name: EVENT_STREAM, subjects: ['lbaas.evt.>'], storage: StorageType.Memory });
    await expect(ensureEventStream(nats.connection)).rejects.toBeInstanceOf(IncompatibleEventStream);
  });
});
