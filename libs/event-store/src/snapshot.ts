import { createHash } from 'node:crypto';
import { StorageType, type NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { SNAPSHOT_BUCKET } from '@lbaas/contracts';
import { directGetSeq } from './direct-get-seq';

/** The JetStream object store bucket that holds view snapshots (one object per view name). */
export { SNAPSHOT_BUCKET };

/** How a view becomes JSON and back; bump `schema` whenever the view's shape changes (old snapshots are then ignored). */
export type SnapshotCodec<V> = Readonly<{ schema: number; encode: (view: V) => unknown; decode: (json: unknown) => V }>;

/** What a snapshot object holds: the view at a stream sequence, the commit id there, a checksum over the state. */
type SnapshotBody = { format: 'lbaas-snapshot'; name: string; schema: number; seq: number; commitId: string; sha256: string; state: string };

/** Why a snapshot was not used (then the view is rebuilt from the stream: slower, never wrong). */
export type SnapshotMiss = 'missing' | 'corrupt' | 'stale' | 'foreign';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** JSON with Maps (views use them): a Map becomes `{ "$map": [[k, v], ...] }`. */
export const jsonWithMaps = {
  stringify: (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? { $map: [...x.entries()] } : x)),
  parse: (s: string): unknown => JSON.parse(s, (_k, x: unknown) =>
    (x && typeof x === 'object' && !Array.isArray(x) && Array.isArray((x as { $map?: unknown }).$map) ? new Map((x as { $map: [unknown, unknown][] }).$map) : x)),
};

async function bucket(nc: NatsConnection) {
  return nc.jetstream().views.os(SNAPSHOT_BUCKET, { storage: StorageType.File });
}

/** Stores `view` as of stream sequence `seq` (whose commit id is recorded, so a snapshot of another history is detected). */
export async function saveSnapshot<V>(nc: NatsConnection, name: string, codec: SnapshotCodec<V>, view: V, seq: number): Promise<number> {
  // Serialise before the first await: a live view keeps changing, and the state must be exactly the one at `seq`.
  const state = jsonWithMaps.stringify(codec.encode(view));
  const at = seq > 0 ? await directGetSeq(nc, seq) : undefined;
  const body: SnapshotBody = { format: 'lbaas-snapshot', name, schema: codec.schema, seq, commitId: at?.msgId ?? '', sha256: sha(state), state };
  const bytes = new TextEncoder().encode(JSON.stringify(body));
  await (await bucket(nc)).putBlob({ name }, bytes);
  return bytes.length;
}

/**
 * Loads the snapshot of view `name`, or says why not: missing, corrupt (bad JSON or checksum), stale (another schema,
 * or a sequence the stream does not have), foreign (the stream holds another commit at that sequence). Never throws
 * for a bad snapshot: the caller then replays from sequence 1.
 */
export async function loadSnapshot<V>(
  nc: NatsConnection, name: string, codec: SnapshotCodec<V>, logger?: Logger,
): Promise<{ view: V; seq: number } | { miss: SnapshotMiss; reason: string }> {
  const miss = (m: SnapshotMiss, reason: string) => {
    logger?.warn({ op: 'snapshot.miss', view: name, miss: m, reason }, `snapshot not used (${m}): full replay`);
    return { miss: m, reason };
  };
  let raw: Uint8Array | null;
  try {
    raw = await (await bucket(nc)).getBlob(name);
  } catch (err) {
    return miss('corrupt', `cannot read the snapshot object: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!raw) return miss('missing', `no snapshot ${name} in ${SNAPSHOT_BUCKET}`);
  let body: SnapshotBody;
  try {
    body = JSON.parse(new TextDecoder().decode(raw)) as SnapshotBody;
  } catch {
    return miss('corrupt', 'snapshot is not JSON');
  }
  if (body?.format !== 'lbaas-snapshot' || typeof body.state !== 'string' || sha(body.state) !== body.sha256) return miss('corrupt', 'snapshot checksum does not match');
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
  await (await bucket(nc)).putBlob({ name }, bytes);
}

