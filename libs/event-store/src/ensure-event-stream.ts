import { EVENT_STREAM, REPORT_STREAM, REPORTS_PER_SUBJECT, subjects } from '@lbaas/contracts';
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
  return { ...streamBase(EVENT_STREAM, subjects.allEvents, opts), max_msgs_per_subject: -1, max_msg_size: -1, deny_purge: true } as StreamConfig;
}

/** What both streams share: file storage, no size or age limits, the dedupe window, no deletes, direct get. */
const streamBase = (name: string, subject: string, opts: EventStreamOptions) => ({
  name,
  subjects: [subject],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  discard: DiscardPolicy.Old,
  num_replicas: opts.replicas ?? 1,
  max_msgs: -1,
  max_bytes: -1,
  max_age: 0,
  max_consumers: -1,
  duplicate_window: nanos(DUPLICATE_WINDOW_MS),
  deny_delete: true,
  allow_direct: true,
  allow_rollup_hdrs: false,
  sealed: false,
});

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

/** The largest report message (a rejection's reason is at most 1000 characters): keeps a flood of big messages out. */
export const MAX_REPORT_BYTES = 64 * 1024;

/**
 * The configuration of LBAAS_REPORTS, the agents' report subjects: each subject keeps its last REPORTS_PER_SUBJECT
 * messages (latest value and recent transitions: bounded whatever a member does), messages of at most
 * MAX_REPORT_BYTES, no deletes; the operator may purge (reports of LBs long gone). The applied/rejected/hand-over
 * reports that count live on in the LB's history (relayed by the scheduler); member statuses live only here.
 */
export function reportStreamConfig(opts: EventStreamOptions = {}): StreamConfig {
  return {
    ...streamBase(REPORT_STREAM, subjects.allReports, opts), max_msgs_per_subject: REPORTS_PER_SUBJECT, max_msg_size: MAX_REPORT_BYTES, deny_purge: false,
  } as StreamConfig;
}

/** Creates LBAAS_REPORTS or brings an existing one to reportStreamConfig (the operator's bootstrap). Idempotent. */
export async function ensureReportStream(nc: NatsConnection, opts: EventStreamOptions = {}): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const want = reportStreamConfig(opts);
  const existing = await jsm.streams.info(REPORT_STREAM).catch((err: unknown) => {
    if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
    throw err;
  });
  if (!existing) {
    try {
      await jsm.streams.add(want);
      return;
    } catch (err) {
      if (jsErrCode(err) !== JsErr.StreamNameInUse) throw err;
      return ensureReportStream(nc, opts);
    }
  }
  const have = existing.config;
  if ([...have.subjects ?? []].join(',') !== want.subjects.join(',') || have.storage !== want.storage) {
    throw new IncompatibleEventStream(`${REPORT_STREAM} exists with subjects ${JSON.stringify(have.subjects)} and storage ${have.storage}, expected ${JSON.stringify(want.subjects)} on file`);
  }
  const changes: Partial<StreamUpdateConfig> = {};
  if (have.max_msgs_per_subject !== want.max_msgs_per_subject) changes.max_msgs_per_subject = want.max_msgs_per_subject;
  if (have.max_msg_size !== want.max_msg_size) changes.max_msg_size = want.max_msg_size;
  if (!have.deny_delete) changes.deny_delete = true;
  if (!have.allow_direct) changes.allow_direct = true;
  if (opts.replicas !== undefined && have.num_replicas !== opts.replicas) changes.num_replicas = opts.replicas;
  if (Object.keys(changes).length > 0) await jsm.streams.update(REPORT_STREAM, changes);
}
