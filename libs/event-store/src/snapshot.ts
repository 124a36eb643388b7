import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { StorageType, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { objectBucket, SNAPSHOT_BUCKET } from '@lbaas/contracts';
import type { MacKey } from './backup-format';
import { directGetSeq } from './direct-get-seq';
import { JsErr, jsErrCode } from './nats-errors';

/** The JetStream object store bucket that holds view snapshots (one object per view name). */
export { SNAPSHOT_BUCKET };

/** How a view becomes JSON and back; bump `schema` whenever the view's shape changes (old snapshots are then ignored). */
export type SnapshotCodec<V> = Readonly<{ schema: number; encode: (view: V) => unknown; decode: (json: unknown) => V }>;

/**
 * What a snapshot object holds: the view at a stream sequence, the commit id there, a sha256 over the state and an
 * HMAC-SHA256 under the operator key over all of it (version 2; version 1 had no MAC and is not used any more).
 */
type SnapshotBody = { format: 'lbaas-snapshot'; version: 2; name: string; schema: number; seq: number; commitId: string; sha256: string; hmac: string; state: string };

/** Why a snapshot was not used (then the view is rebuilt from the stream: slower, never wrong). */
export type SnapshotMiss = 'missing' | 'corrupt' | 'stale' | 'foreign' | 'unverified';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
/** The MAC covers every field a reader trusts, the state through its sha256. */
const macOf = (key: MacKey, b: Omit<SnapshotBody, 'hmac' | 'state'>) =>
  createHmac('sha256', key).update(JSON.stringify([b.format, b.version, b.name, b.schema, b.seq, b.commitId, b.sha256])).digest();

/** JSON with Maps (views use them): a Map becomes `{ "$map": [[k, v], ...] }`. */
export const jsonWithMaps = {
  stringify: (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? { $map: [...x.entries()] } : x)),
  parse: (s: string): unknown => JSON.parse(s, (_k, x: unknown) =>
    (x && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as { $map?: unknown }).$map) ? new Map((x as { $map: [unknown, unknown][] }).$map) : x)),
};

/** The snapshot store, or null when the operator has not made it: readers never create it (nats.js `os()` would). */
async function bucket(nc: NatsConnection, create = false) {
  if (!create) {
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const exists = await jsm.streams.info(objectBucket(SNAPSHOT_BUCKET).stream).then(() => true, (err: unknown) => {
      if (jsErrCode(err) === JsErr.StreamNotFound) return false;
      throw err;
    });
    if (!exists) return null;
  }
  return nc.jetstream().views.os(SNAPSHOT_BUCKET, { storage: StorageType.File });
}

const needKey = (key: MacKey | null | undefined): MacKey => {
  if (!key || key.length < 32) throw new Error('no operator MAC key (LBAAS_MAC_KEY_FILE): snapshots are only written with one');
  return key;
};

/**
 * Stores `view` as of stream sequence `seq` (whose commit id is recorded, so a snapshot of another history is
 * detected), with an HMAC under the operator key: a snapshot nobody with the key wrote is never used.
 */
export async function saveSnapshot<V>(nc: NatsConnection, name: string, codec: SnapshotCodec<V>, view: V, seq: number, key: MacKey): Promise<number> {
  const k = needKey(key);
  // Serialise before the first await: a live view keeps changing, and the state must be exactly the one at `seq`.
  const state = jsonWithMaps.stringify(codec.encode(view));
  const at = seq > 0 ? await directGetSeq(nc, seq) : undefined;
  const fields = { format: 'lbaas-snapshot' as const, version: 2 as const, name, schema: codec.schema, seq, commitId: at?.msgId ?? '', sha256: sha(state) };
  const body: SnapshotBody = { ...fields, hmac: macOf(k, fields).toString('hex'), state };
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  await (await bucket(nc, true))!.putBlob({ name }, bytes);
  return bytes.length;
}

/**
 * Loads the snapshot of view `name`, or says why not: missing, corrupt (bad JSON or checksum), unverified (no key here,
 * an old unsigned snapshot, or an HMAC that does not verify: written by somebody without the operator key), stale
 * (another schema, or a sequence the stream does not have), foreign (the stream holds another commit at that
 * sequence). Never throws for a bad snapshot: the caller then replays from sequence 1 (logged `snapshot.miss`).
 */
export async function loadSnapshot<V>(
  nc: NatsConnection, name: string, codec: SnapshotCodec<V>, logger: Logger | undefined, key: MacKey | null,
): Promise<{ view: V; seq: number } | { miss: SnapshotMiss; reason: string }> {
  const miss = (m: SnapshotMiss, reason: string) => {
    const level = m === 'unverified' && key ? 'error' : 'warn'; // a snapshot that fails its MAC under our key is an attack or a mistake
    logger?.[level]({ op: 'snapshot.miss', view: name, miss: m, reason }, `snapshot not used (${m}): full replay`);
    return { miss: m, reason };
  };
  let raw: Uint8Array | null;
  try {
    const b = await bucket(nc);
    raw = b ? await b.getBlob(name) : null;
  } catch (err) {
    return miss('corrupt', `cannot read the snapshot object: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!raw) return miss('missing', `no snapshot ${name} in ${SNAPSHOT_BUCKET}`);
  if (!key || key.length < 32) return miss('unverified', 'no operator MAC key configured (LBAAS_MAC_KEY_FILE): a snapshot is only used when its HMAC verifies');
  let body: SnapshotBody;
  try {
    body = JSON.parse(new TextDecoder().decode(raw)) as SnapshotBody;
  } catch {
    return miss('corrupt', 'snapshot is not JSON');
  }
  if (body?.format !== 'lbaas-snapshot' || typeof body.state !== 'string' || sha(body.state) !== body.sha256) return miss('corrupt', 'snapshot checksum does not match');
  if (body.version !== 2 || typeof body.hmac !== 'string' || !/^[0-9a-f]{64}$/.test(body.hmac)) return miss('unverified', `snapshot format version ${String(body.version ?? 1)} carries no HMAC`);
  const want = macOf(key, body);
  if (!timingSafeEqual(Buffer.from(body.hmac, 'hex'), want)) return miss('unverified', 'snapshot HMAC does not verify under the operator key (forged, or written with another key)');
  if (body.name !== name) return miss('foreign', `snapshot of view ${String(body.name)} stored as ${name}`);
  if (body.schema !== codec.schema) return miss('stale', `snapshot schema ${body.schema}, this code needs ${codec.schema}`);
  if (!Number.isSafeInteger(body.seq) || body.seq < 0) return miss('corrupt', `bad snapshot sequence ${String(body.seq)}`);
  if (body.seq > 0) {
    const at = await directGetSeq(nc, body.seq);
    if (!at) return miss('stale', `the stream has no message at the snapshot's sequence ${body.seq}`);
    if (at.msgId !== body.commitId) return miss('foreign', `the stream holds commit ${at.msgId} at seq ${body.seq}, the snapshot was taken after ${body.commitId}`);
  }
  try {
    return { view: codec.decode(jsonWithMaps.parse(body.state)), seq: body.seq };
  } catch (err) {
    return miss('corrupt', `snapshot state does not decode: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Writes raw bytes as the snapshot object `name` (tests and drills: a corrupt or foreign snapshot). */
export async function putSnapshotBytes(nc: NatsConnection, name: string, bytes: Uint8Array): Promise<void> {
  await (await bucket(nc, true))!.putBlob({ name }, bytes);
}

