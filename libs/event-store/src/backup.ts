import { EVENT_STREAM, subjects } from '@lbaas/contracts';
import type { JsMsg, NatsConnection, StreamInfo } from 'nats';
import { BackupError, BackupWriter, backupHeader, parseBackup, type BackupTrailer } from './backup-format';
import { ensureEventStream, eventStreamConfig } from './ensure-event-stream';
import { JsErr, jsErrCode } from './nats-errors';

/** Progress of a long export or import: `done` of `total` messages. */
export type BackupProgress = (p: { done: number; total: number }) => void;

async function streamInfo(nc: NatsConnection): Promise<StreamInfo | undefined> {
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  return jsm.streams.info(EVENT_STREAM).catch((err: unknown) => {
    if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
    throw err;
  });
}

/**
 * Writes every message of LBAAS_EVENTS (1..last at the start) through `write`, one line each, then a trailer with
 * a sha256. Reads with an ordered consumer; messages appended meanwhile are not included (the header says up to where).
 */
export async function exportEventStream(
  nc: NatsConnection, write: (line: string) => void, opts: { now: string; onProgress?: BackupProgress; progressEvery?: number },
): Promise<BackupTrailer & { lastSeq: number }> {
  const info = await streamInfo(nc);
  if (!info) throw new BackupError('empty', `there is no stream ${EVENT_STREAM} on this NATS: nothing to export`);
  const lastSeq = info.state.last_seq;
  if (info.state.first_seq > 1 && lastSeq > 0) throw new BackupError('corrupt', `${EVENT_STREAM} starts at seq ${info.state.first_seq}, not 1: history was removed`);
  const w = new BackupWriter(backupHeader(lastSeq, opts.now), write);
  const every = opts.progressEvery ?? 5_000;
  if (lastSeq > 0) {
    const consumer = await nc.jetstream().consumers.get(EVENT_STREAM, { filterSubjects: subjects.allEvents });
    const messages = await consumer.consume({ max_messages: 1_000 });
    try {
      for await (const m of messages) {
        w.add({ seq: m.seq, subject: m.subject, msgId: msgIdOf(m), data: m.string() });
        if (m.seq % every === 0) opts.onProgress?.({ done: m.seq, total: lastSeq });
        if (m.seq >= lastSeq) break;
      }
    } finally {
      messages.stop();
      await consumer.delete().catch(() => undefined);
    }
  }
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

/**
 * Restores a backup into an empty store. Everything is verified first (parseBackup); a store that holds any message
 * is refused untouched. The messages are published in order with their msg ids and `expect last sequence = seq - 1`,
 * so every commit gets its original sequence (the OCC versions in later commits stay valid) and a retry dedupes.
 * If anything fails half-way the stream this import created is deleted again: nothing half-imported remains.
 */
export async function importEventStream(
  nc: NatsConnection, text: string, opts: { onProgress?: BackupProgress; progressEvery?: number; window?: number } = {},
): Promise<{ count: number; lastSeq: number }> {
  const { records } = parseBackup(text);
  const existing = await streamInfo(nc);
  if (existing && existing.state.messages > 0) {
    throw new BackupError('not-empty', `${EVENT_STREAM} already holds ${existing.state.messages} messages (seq ${existing.state.first_seq}..${existing.state.last_seq}); import only restores into an empty store`);
  }
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  // Deny flags stay off until the import is verified, so a failed import can be rolled back to "no stream".
  if (existing) await jsm.streams.delete(EVENT_STREAM);
  await jsm.streams.add({ ...eventStreamConfig(), deny_delete: false, deny_purge: false });
  const js = nc.jetstream({ timeout: 10_000 });
  const window = opts.window ?? 1000;
  const every = opts.progressEvery ?? 5_000;
  const enc = new TextEncoder();
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
  } catch (err) {
    await jsm.streams.delete(EVENT_STREAM).catch(() => undefined);
    throw new Error(`import failed and was rolled back (${EVENT_STREAM} removed): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (records.length === 0) opts.onProgress?.({ done: 0, total: 0 });
  await ensureEventStream(nc); // now append-only again: deny delete/purge
  return { count: records.length, lastSeq: records.length };
}
