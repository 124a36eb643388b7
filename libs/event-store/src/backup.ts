import { randomUUID } from 'node:crypto';
import { EVENT_STREAM, kvBucket, SECRETS_BUCKET, subjects } from '@lbaas/contracts';
import { DeliverPolicy, type JsMsg, type NatsConnection, type StreamInfo } from 'nats';
import { BackupError, BackupWriter, backupHeader, parseBackup, type BackupSecret, type BackupTrailer, type MacKey } from './backup-format';
import { ensureEventStream, eventStreamConfig } from './ensure-event-stream';
import { JsErr, jsErrCode } from './nats-errors';
import { observeEventStream, writeRestoreMarker } from './stream-identity';

/** Progress of a long export or import: `done` of `total` messages. */
export type BackupProgress = (p: { done: number; total: number }) => void;

async function streamInfo(nc: NatsConnection, name = EVENT_STREAM): Promise<StreamInfo | undefined> {
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  return jsm.streams.info(name).catch((err: unknown) => {
    if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
    throw err;
  });
}

const secretsStream = kvBucket(SECRETS_BUCKET).stream;
const secretsPrefix = kvBucket(SECRETS_BUCKET).keys.replace(/>$/, '');

/** Every live key of the secrets bucket with its sealed value (deleted and purged keys left out). Never creates it. */
async function readSecrets(nc: NatsConnection): Promise<BackupSecret[]> {
  const info = await streamInfo(nc, secretsStream);
  if (!info || info.state.messages === 0) return [];
  const consumer = await nc.jetstream().consumers.get(secretsStream, { deliver_policy: DeliverPolicy.LastPerSubject });
  const out = new Map<string, BackupSecret>();
  const messages = await consumer.consume({ max_messages: 256 });
  const last = info.state.last_seq;
  try {
    let stall = setTimeout(() => messages.stop(), 5_000);
    for await (const m of messages) {
      clearTimeout(stall);
      const key = m.subject.slice(secretsPrefix.length);
      const op = m.headers?.get('KV-Operation');
      if (op === 'DEL' || op === 'PURGE') out.delete(key);
      else out.set(key, { key, sealed: Buffer.from(m.data).toString('base64') });
      if (m.info.pending === 0 || m.seq >= last) break;
      stall = setTimeout(() => messages.stop(), 5_000);
    }
    clearTimeout(stall);
  } finally {
    messages.stop();
    await consumer.delete().catch(() => undefined);
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Writes every message of LBAAS_EVENTS (1..last at the start) through `write`, one line each, then every key of the
 * sealed-secrets bucket (still sealed), then a trailer with a sha256 and an HMAC under the operator key. Reads with an
 * ordered consumer; messages appended meanwhile are not included (the header says up to where). Raw bytes: a message
 * no reader can decode is kept as it is (a backup must reproduce the sequences).
 */
export async function exportEventStream(
  nc: NatsConnection, write: (line: string) => void, opts: { now: string; key: MacKey; onProgress?: BackupProgress; progressEvery?: number },
): Promise<BackupTrailer & { lastSeq: number }> {
  const info = await streamInfo(nc);
  if (!info) throw new BackupError('empty', `there is no stream ${EVENT_STREAM} on this NATS: nothing to export`);
  const lastSeq = info.state.last_seq;
  if (info.state.first_seq > 1 && lastSeq > 0) throw new BackupError('corrupt', `${EVENT_STREAM} starts at seq ${info.state.first_seq}, not 1: history was removed`);
  const seen = await observeEventStream(nc);
  const secrets = await readSecrets(nc);
  const streamId = seen.state === 'present' ? seen.identity?.id ?? null : null;
  const w = new BackupWriter(backupHeader(lastSeq, opts.now, { streamId, secrets: secrets.length }), write, opts.key);
  const every = opts.progressEvery ?? 5_000;
  if (lastSeq > 0) {
    const consumer = await nc.jetstream().consumers.get(EVENT_STREAM, { filterSubjects: subjects.allEvents });
    const messages = await consumer.consume({ max_messages: 1_000 });
    try {
      for await (const m of messages) {
        if (m.seq > lastSeq) break;
        w.add({ seq: m.seq, subject: m.subject, msgId: msgIdOf(m), data: m.string() });
        if (m.seq % every === 0) opts.onProgress?.({ done: m.seq, total: lastSeq });
        if (m.seq >= lastSeq) break;
      }
    } finally {
      messages.stop();
      await consumer.delete().catch(() => undefined);
    }
  }
  for (const s of secrets) w.addSecret(s);
  opts.onProgress?.({ done: lastSeq, total: lastSeq });
  return { ...w.finish(), lastSeq };
}

const msgIdOf = (m: JsMsg): string => {
  const h = m.headers?.get('Nats-Msg-Id');
  if (h) return h;
  try {
    return String((JSON.parse(m.string()) as { commitId?: string }).commitId ?? '');
  } catch {
    return '';
  }
};

/** What an import did. */
export type ImportResult = { count: number; lastSeq: number; secrets: number; streamId: string | null; undecodable: number[]; markerSeq: number | null };

/**
 * Restores a backup into an empty store. Everything is verified first (parseBackup, HMAC under the operator key
 * included); a stream that holds any message (but a bare genesis of a fresh bootstrap), or a secrets bucket that holds
 * another value for a key of the backup, is refused untouched (keys already there with the same sealed value stay). The messages are published in order with their msg ids and `expect last sequence =
 * seq - 1`, so every commit gets its original sequence (the OCC versions in later commits stay valid), the stream its
 * identity (message 1) back, and a retry dedupes. Then the sealed secrets, then a restore marker (EventStreamRestored:
 * agents that saw a longer history of this stream accept the restored one once). If anything fails half-way the stream
 * this import created is deleted again and the secrets it put are purged: nothing half-imported remains.
 */
export async function importEventStream(
  nc: NatsConnection, text: string,
  opts: { key: MacKey; now?: string; replicas?: number; onProgress?: BackupProgress; progressEvery?: number; window?: number; marker?: boolean },
): Promise<ImportResult> {
  const { header, records, secrets, undecodable } = parseBackup(text, opts.key);
  const existing = await streamInfo(nc);
  if (existing && existing.state.messages > 0) {
    const seen = await observeEventStream(nc);
    const bareGenesis = existing.state.messages === 1 && seen.state === 'present' && seen.identity?.genesis === true;
    if (!bareGenesis) {
      throw new BackupError('not-empty', `${EVENT_STREAM} already holds ${existing.state.messages} messages (seq ${existing.state.first_seq}..${existing.state.last_seq}); import only restores into an empty store`);
    }
  }
  const js = nc.jetstream({ timeout: 10_000 });
  // Secrets: keys the bucket lacks are put; a key it holds with the very same sealed value is left; one it holds with
  // another value is a conflict (two histories met), and the import is refused before anything is written.
  const present = new Map((await readSecrets(nc)).map((x) => [x.key, x.sealed]));
  const conflicts = secrets.filter((x) => present.has(x.key) && present.get(x.key) !== x.sealed).map((x) => x.key);
  if (conflicts.length) {
    throw new BackupError('not-empty', `the secrets bucket ${SECRETS_BUCKET} holds other values for ${conflicts.length} keys of the backup (${conflicts.slice(0, 3).join(', ')}); import restores only into a bucket without them`);
  }
  const missing = secrets.filter((x) => !present.has(x.key));
  const kv = missing.length > 0 ? await js.views.kv(SECRETS_BUCKET, { history: 1, replicas: opts.replicas ?? 1 }) : null;
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  // Deny flags stay off until the import is verified, so a failed import can be rolled back to "no stream".
  if (existing) await jsm.streams.delete(EVENT_STREAM);
  await jsm.streams.add({ ...eventStreamConfig({ replicas: opts.replicas }), deny_delete: false, deny_purge: false });
  const window = opts.window ?? 1000;
  const every = opts.progressEvery ?? 5_000;
  const enc = new TextEncoder();
  const put: string[] = [];
  try {
    for (let i = 0; i < records.length; i += window) {
      const batch = records.slice(i, i + window);
      const acks = await Promise.all(batch.map((r) =>
        js.publish(r.subject, enc.encode(r.data), { msgID: r.msgId || undefined, expect: { lastSequence: r.seq - 1 } })));
      for (const [k, ack] of acks.entries()) {
        if (ack.seq !== batch[k].seq || ack.duplicate) throw new Error(`record ${batch[k].seq} landed at seq ${ack.seq}${ack.duplicate ? ' (duplicate)' : ''}`);
      }
      const done = Math.min(i + window, records.length);
      if (Math.floor(done / every) > Math.floor(i / every) || done === records.length) opts.onProgress?.({ done, total: records.length });
    }
    const after = await jsm.streams.info(EVENT_STREAM);
    if (after.state.messages !== records.length || after.state.last_seq !== records.length) {
      throw new Error(`after import the stream holds ${after.state.messages} messages up to seq ${after.state.last_seq}, expected ${records.length}`);
    }
    for (const x of missing) {
      await kv!.put(x.key, Buffer.from(x.sealed, 'base64'));
      put.push(x.key);
    }
  } catch (err) {
    await jsm.streams.delete(EVENT_STREAM).catch(() => undefined);
    for (const k of put) await kv?.purge(k).catch(() => undefined);
    throw new Error(`import failed and was rolled back (${EVENT_STREAM} removed${put.length ? `, ${put.length} secrets purged` : ''}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (records.length === 0) opts.onProgress?.({ done: 0, total: 0 });
  await ensureEventStream(nc); // now append-only again: deny delete/purge
  const seen = await observeEventStream(nc);
  const streamId = seen.state === 'present' ? seen.identity?.id ?? null : null;
  let markerSeq: number | null = null;
  if (opts.marker !== false && streamId && records.length > 0) {
    markerSeq = await writeRestoreMarker(nc, {
      commitId: randomUUID(), streamId, now: opts.now ?? new Date().toISOString(), backupCreatedAt: header.createdAt, lastSeq: records.length,
    });
  }
  return { count: records.length, lastSeq: records.length, secrets: secrets.length, streamId, undecodable, markerSeq };
}
