import { EVENT_STREAM, subjects, type Actor, type EventStreamCreated, type EventStreamRestored } from '@lbaas/contracts';
import type { NatsConnection } from 'nats';
import { encodeCommit } from './commit-codec';
import { directGet } from './direct-get';
import { JsErr, jsErrCode } from './nats-errors';

/**
 * A stream has an identity (issue 10): its first message. `lbaasctl bootstrap` writes `EventStreamCreated` there, so
 * a new stream is told apart from the one an agent served from even while it is empty; a stream made before that has
 * its first commit's id and time as identity. A DR import keeps every sequence, hence the identity of the backup.
 */
export type StreamIdentity = Readonly<{ id: string; createdAt: string; /** seq 1 is a genesis (no domain commit). */ genesis: boolean }>;

/** The last restore marker (`EventStreamRestored`), by its commit id. */
export type RestoreMarker = Readonly<{ commitId: string; streamId: string; restoredAt: string; lastSeq: number }>;

/** What the stream looks like now. */
export type StreamObservation =
  | Readonly<{ state: 'missing' }>
  | Readonly<{ state: 'present'; identity: StreamIdentity | null; lastSeq: number; messages: number; restore: RestoreMarker | null }>;

const decoder = new TextDecoder();
const json = (data: Uint8Array): Record<string, unknown> | null => {
  try {
    const v: unknown = JSON.parse(decoder.decode(data));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
};
const firstEventData = (body: Record<string, unknown> | null, type: string): Record<string, unknown> | null => {
  const e = Array.isArray(body?.events) ? (body!.events as unknown[])[0] as { type?: unknown; data?: unknown } | undefined : undefined;
  return e?.type === type && typeof e.data === 'object' && e.data !== null ? (e.data as Record<string, unknown>) : null;
};

/** Looks at LBAAS_EVENTS: missing, or its identity (first message), last sequence and last restore marker. Read-only. */
export async function observeEventStream(nc: NatsConnection): Promise<StreamObservation> {
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  const info = await jsm.streams.info(EVENT_STREAM).catch((err: unknown) => {
    if (jsErrCode(err) === JsErr.StreamNotFound) return undefined;
    throw err;
  });
  if (!info) return { state: 'missing' };
  const { messages, last_seq: lastSeq, first_seq: firstSeq } = info.state;
  let identity: StreamIdentity | null = null;
  if (messages > 0) {
    const first = firstSeq === 1 ? await directGet(jsm, { seq: 1, next_by_subj: subjects.allEvents }) : undefined;
    if (first && first.seq === 1) {
      const body = json(first.data);
      const created = first.subject === subjects.streamGenesis ? firstEventData(body, 'EventStreamCreated') : null;
      const id = typeof created?.streamId === 'string' ? created.streamId : first.header?.get('Nats-Msg-Id') || String(body?.commitId ?? '');
      const at = typeof created?.createdAt === 'string' ? created.createdAt : typeof body?.at === 'string' ? body.at : first.time.toISOString();
      identity = { id: id || `seq1:${first.time.toISOString()}`, createdAt: at, genesis: created !== null };
    } else {
      // History was removed from the start (a purge, limits): whatever it is, it has no first message to be known by.
      identity = { id: `first-seq-${firstSeq}`, createdAt: '', genesis: false };
    }
  }
  const m = messages > 0 ? await directGet(jsm, { last_by_subj: subjects.streamRestored }) : undefined;
  const r = m ? firstEventData(json(m.data), 'EventStreamRestored') : null;
  const restore = m && r && typeof r.streamId === 'string'
    ? { commitId: m.header?.get('Nats-Msg-Id') || `seq-${m.seq}`, streamId: r.streamId, restoredAt: String(r.restoredAt ?? ''), lastSeq: Number(r.lastSeq) }
    : null;
  return { state: 'present', identity, lastSeq, messages, restore };
}

const operator: Actor = { kind: 'service', service: 'lbaasctl' };

/**
 * Gives an empty LBAAS_EVENTS its identity: `EventStreamCreated` as message 1 (expected last sequence 0, so two
 * racing bootstraps write one). Returns the identity now at seq 1, or null if the stream already had history.
 */
export async function writeStreamGenesis(nc: NatsConnection, opts: { streamId: string; now: string }): Promise<StreamIdentity | null> {
  const event: EventStreamCreated = { type: 'EventStreamCreated', v: 1, data: { streamId: opts.streamId, createdAt: opts.now } };
  try {
    await nc.jetstream().publish(subjects.streamGenesis, encodeCommit({ commitId: opts.streamId, at: opts.now, actor: operator, events: [event] }),
      { msgID: opts.streamId, expect: { lastSequence: 0 } });
  } catch (err) {
    if (jsErrCode(err) !== JsErr.StreamWrongLastSequence) throw err;
  }
  const seen = await observeEventStream(nc);
  return seen.state === 'present' ? seen.identity : null;
}

/** Appends the restore marker after a DR import of stream `streamId` whose backup ended at `lastSeq`. */
export async function writeRestoreMarker(nc: NatsConnection, opts: { commitId: string; streamId: string; now: string; backupCreatedAt: string; lastSeq: number }): Promise<number> {
  const event: EventStreamRestored = {
    type: 'EventStreamRestored', v: 1, data: { streamId: opts.streamId, restoredAt: opts.now, backupCreatedAt: opts.backupCreatedAt, lastSeq: opts.lastSeq },
  };
  const ack = await nc.jetstream().publish(subjects.streamRestored, encodeCommit({ commitId: opts.commitId, at: opts.now, actor: operator, events: [event] }),
    { msgID: opts.commitId, expect: { lastSequence: opts.lastSeq } });
  return ack.seq;
}

/** What an agent remembers of the stream it served from (in its state dir). */
export type RememberedStream = Readonly<{
  id: string; createdAt: string;
  /** The highest stream sequence it applied. */
  lastSeq: number;
  /** The restore marker it already accepted (a shorter stream is accepted once per marker). */
  acceptedRestore: string | null;
}>;

/** Why the stream is not trusted. */
export type StreamProblem = 'missing' | 'empty' | 'shorter' | 'foreign';

/** Whether an agent may act on what the stream says (destroy included), and what to remember if so. */
export type StreamVerdict =
  | Readonly<{ trusted: true; remember: RememberedStream | null; note: string | null }>
  | Readonly<{ trusted: false; problem: StreamProblem; message: string }>;

/**
 * Pure: may an agent that remembers `remembered` (null: never saw a stream) and `owns` data-plane objects trust the
 * stream it observes? Refused: a missing stream; one with no history while it remembers one or owns something; one
 * shorter than what it saw, unless a restore marker it has not accepted yet says an operator restored it; one of
 * another identity while it hosts something. A first sight is trusted (and remembered) when it owns nothing or the
 * stream has history; an agent that hosts nothing adopts any stream there is.
 */
export function judgeStream(remembered: RememberedStream | null, seen: StreamObservation, owns: boolean): StreamVerdict {
  if (seen.state === 'missing') return { trusted: false, problem: 'missing', message: `${EVENT_STREAM} does not exist` };
  const { identity, lastSeq, restore } = seen;
  const history = identity !== null && lastSeq > (identity.genesis ? 1 : 0);
  if (identity === null) {
    if (owns && remembered) return { trusted: false, problem: 'empty', message: `${EVENT_STREAM} is empty; this agent served from stream ${remembered.id} up to seq ${remembered.lastSeq}` };
    if (owns) return { trusted: false, problem: 'empty', message: `${EVENT_STREAM} is empty and has no identity, but this agent hosts load balancers` };
    return { trusted: true, remember: null, note: null };
  }
  // Hosting nothing, there is nothing to protect: a new stream (a fresh start, a new deployment) is adopted, not refused.
  const fresh = { id: identity.id, createdAt: identity.createdAt, lastSeq, acceptedRestore: restore?.commitId ?? null };
  if (!owns && remembered && (remembered.id !== identity.id || lastSeq < remembered.lastSeq)) {
    return { trusted: true, remember: fresh, note: `this agent hosts nothing: adopting stream ${identity.id} (created ${identity.createdAt}, seq ${lastSeq}) instead of ${remembered.id} (seq ${remembered.lastSeq})` };
  }
  if (remembered && remembered.id !== identity.id) {
    return { trusted: false, problem: 'foreign', message: `${EVENT_STREAM} is stream ${identity.id} (created ${identity.createdAt}), not ${remembered.id} (created ${remembered.createdAt}) that this agent served from` };
  }
  if (remembered && lastSeq < remembered.lastSeq) {
    if (restore && restore.streamId === identity.id && restore.commitId !== remembered.acceptedRestore) {
      return {
        trusted: true, remember: { id: identity.id, createdAt: identity.createdAt, lastSeq, acceptedRestore: restore.commitId },
        note: `${EVENT_STREAM} was restored (${restore.restoredAt}) to seq ${restore.lastSeq}; this agent had applied up to ${remembered.lastSeq}: accepting the restored history`,
      };
    }
    return { trusted: false, problem: 'shorter', message: `${EVENT_STREAM} ends at seq ${lastSeq}, but this agent applied up to ${remembered.lastSeq} of it (history lost, or an older backup imported without \`lbaasctl dr restore\`)` };
  }
  if (!remembered && owns && !history) {
    return { trusted: false, problem: 'empty', message: `${EVENT_STREAM} ${identity.id} has no history yet, but this agent hosts load balancers from a stream it does not remember` };
  }
  return {
    trusted: true, note: null,
    // A restore marker seen on a trusted stream is spent: only a newer one may excuse a shorter history later.
    remember: { id: identity.id, createdAt: identity.createdAt, lastSeq: Math.max(lastSeq, remembered?.lastSeq ?? 0), acceptedRestore: restore?.commitId ?? remembered?.acceptedRestore ?? null },
  };
}
