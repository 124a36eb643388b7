import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import {
  DiscardPolicy, nanos, RetentionPolicy, StorageType,
  type NatsConnection, type StreamConfig, type StreamInfo, type StreamUpdateConfig,
} from 'nats';
import { IncompatibleEventStream } from './errors';
import { JsErr, jsErrCode } from './nats-errors';

/** Options of the event stream. */
export type EventStreamOptions = Readonly<{
  /** 1 in dev/CI (the default when creating), 3 in production. An existing stream is rescaled only when this is given. */
  replicas?: number;
}>;

/** The server's dedupe window for commit ids: a command retried later than this is no longer recognised. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

/** The full configuration of LBAAS_EVENTS: append-only (deny delete/purge), no limits, direct get allowed. */
export function eventStreamConfig(opts: EventStreamOptions = {}): StreamConfig {
  return {
    name: EVENT_STREAM,
    subjects: [subjects.allEvents],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    num_replicas: opts.replicas ?? 1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    max_msg_size: -1,
    max_consumers: -1,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
    allow_rollup_hdrs: false,
    sealed: false,
  } as StreamConfig;
}

/**
 * Creates the stream LBAAS_EVENTS, or checks an existing one: settings that cannot change in place (subjects,
 * storage, retention) throw IncompatibleEventStream; loosened limits, a shorter dedupe window, missing
 * deny flags or direct get are fixed with an update. Idempotent and safe to race from several processes.
 */
export async function ensureEventStream(nc: NatsConnection, opts: EventStreamOptions = {}): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const existing = await jsm.streams.info(EVENT_STREAM).catch((err: unknown) => {
    if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
    throw err;
  });
  if (!existing) {
    try {
      await jsm.streams.add(eventStreamConfig(opts));
      return;
    } catch (err) {
      // Another process created it between our info and add: check theirs instead.
      if (jsErrCode(err) !== JsErr.StreamNameInUse) throw err;
      return ensureEventStream(nc, opts);
    }
  }
  const changes = requiredChanges(existing, opts);
  if (Object.keys(changes).length === 0) return;
  try {
    await jsm.streams.update(EVENT_STREAM, changes);
  } catch (err) {
    throw new IncompatibleEventStream(`cannot update ${EVENT_STREAM} with ${JSON.stringify(changes)}`, { cause: err });
  }
}

/** What an update must change so that an existing stream is append-only and unlimited again (throws when it cannot be). */
export function requiredChanges(info: StreamInfo, opts: EventStreamOptions): Partial<StreamUpdateConfig> {
  const have = info.config;
  const want = eventStreamConfig(opts);
  const fixed = { subjects: [...have.subjects ?? []].sort().join(','), storage: have.storage, retention: have.retention };
  const expected = { subjects: want.subjects.join(','), storage: want.storage, retention: want.retention };
  if (JSON.stringify(fixed) !== JSON.stringify(expected)) {
    throw new IncompatibleEventStream(`${EVENT_STREAM} exists as ${JSON.stringify(fixed)}, expected ${JSON.stringify(expected)}`);
  }
  const changes: Partial<StreamUpdateConfig> = {};
  if (have.max_msgs !== -1) changes.max_msgs = -1;
  if (have.max_bytes !== -1) changes.max_bytes = -1;
  if (have.max_age !== 0) changes.max_age = 0;
  if (have.max_msgs_per_subject !== -1) changes.max_msgs_per_subject = -1;
  if ((have.duplicate_window ?? 0) < want.duplicate_window) changes.duplicate_window = want.duplicate_window;
  if (!have.deny_delete) changes.deny_delete = true;
  if (!have.deny_purge) changes.deny_purge = true;
  if (!have.allow_direct) changes.allow_direct = true;
  if (opts.replicas !== undefined && have.num_replicas !== opts.replicas) changes.num_replicas = opts.replicas;
  return changes;
}
