import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, SECRETS_BUCKET, SNAPSHOT_BUCKET } from '@lbaas/contracts';
import { StorageType, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { ensureEventStream, requiredChanges, type EventStreamOptions } from './ensure-event-stream';
import { IncompatibleEventStream } from './errors';
import { JsErr, jsErrCode } from './nats-errors';
import { observeEventStream, writeStreamGenesis, type StreamIdentity } from './stream-identity';

/**
 * The operator's bootstrap (lbaasctl, as the operator identity): the event stream LBAAS_EVENTS with its identity (a
 * new, empty stream gets `EventStreamCreated` as message 1: a random id and the time), the sealed-secrets KV bucket and
 * the snapshot object store, each with `replicas`. Idempotent. Apps never create any of them: their identities may
 * not, and an app that created an empty stream would take it for the truth (issue 10). Returns the stream's identity
 * (null for a stream made before identities that has no message yet).
 */
export async function bootstrapEventStore(nc: NatsConnection, opts: EventStreamOptions & { now?: string } = {}): Promise<StreamIdentity | null> {
  await ensureEventStream(nc, opts);
  const js = nc.jetstream();
  await js.views.kv(SECRETS_BUCKET, { history: 1, replicas: opts.replicas ?? 1 });
  await js.views.os(SNAPSHOT_BUCKET, { storage: StorageType.File, replicas: opts.replicas ?? 1 });
  const seen = await observeEventStream(nc);
  if (seen.state === 'present' && seen.identity) return seen.identity;
  if (seen.state === 'present' && seen.lastSeq > 0) return null; // messages were there and are gone: nothing to name
  return writeStreamGenesis(nc, { streamId: randomUUID(), now: opts.now ?? new Date().toISOString() });
}

/**
 * What an app does at start instead of creating the stream: wait until LBAAS_EVENTS exists (logging every
 * `logEveryMs` that it waits for the operator's bootstrap), then check it. A stream with other subjects, storage or
 * retention throws IncompatibleEventStream; loosened limits or missing deny flags are logged loudly (only the
 * operator may update the stream: `lbaasctl bootstrap` fixes them). Never creates or changes anything.
 */
export async function waitForEventStream(
  nc: NatsConnection, opts: { logger?: Logger; pollMs?: number; logEveryMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const pollMs = opts.pollMs ?? 500;
  const logEveryMs = opts.logEveryMs ?? 10_000;
  const t0 = Date.now();
  let logged = -Infinity;
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  for (;;) {
    const info = await jsm.streams.info(EVENT_STREAM).catch((err: unknown) => {
      if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
      throw err;
    });
    if (info) {
      const changes = requiredChanges(info, {}); // throws IncompatibleEventStream for what cannot be fixed in place
      if (Object.keys(changes).length > 0) {
        opts.logger?.error({ op: 'event-stream.loosened', stream: EVENT_STREAM, changes }, `${EVENT_STREAM} is not append-only/unlimited as it must be; the operator must run \`lbaasctl bootstrap\``);
      }
      return;
    }
    const waited = Date.now() - t0;
    if (opts.timeoutMs !== undefined && waited >= opts.timeoutMs) {
      throw new IncompatibleEventStream(`${EVENT_STREAM} does not exist after ${waited} ms; the operator creates it (\`lbaasctl bootstrap\`)`);
    }
    if (Date.now() - logged >= logEveryMs) {
      logged = Date.now();
      opts.logger?.warn({ op: 'event-stream.missing', stream: EVENT_STREAM, waited_ms: waited }, `${EVENT_STREAM} does not exist: waiting for the operator's bootstrap (\`lbaasctl bootstrap\`)`);
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
