import type { Commit } from '@lbaas/contracts';
import { LATEST_EVENT_VERSIONS, upcast, type StoredEvent } from '@lbaas/events';
import { UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The message body of a commit: `{ commitId, at, actor, events }` as UTF-8 JSON (the only wire layout). */
export function encodeCommit(commit: Commit): Uint8Array {
  const { commitId, at, actor, events } = commit;
  return encoder.encode(JSON.stringify({ commitId, at, actor, events }));
}

/** Parses a stored message back into a commit; throws UnreadableCommit if it is not one. */
export function decodeCommit<E>(data: Uint8Array, subject: string, seq: number): StoredCommit<E> {
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch (err) {
    throw new UnreadableCommit(subject, seq, { cause: err });
  }
  if (!isCommitBody(body)) throw new UnreadableCommit(subject, seq, { cause: new Error('not a {commitId, at, actor, events} object') });
  // Old event versions are upcast here, on every read, so deciders and views only ever see the latest shapes.
  let events: E[];
  try {
    // Unknown types (written by a newer release) pass through untouched: readers ignore what they do not know.
    events = (body.events as StoredEvent[]).map((e) => (e && e.type in LATEST_EVENT_VERSIONS ? upcast(e) : e) as unknown as E);
  } catch (err) {
    throw new UnreadableCommit(subject, seq, { cause: err });
  }
  return { commitId: body.commitId, at: body.at, actor: body.actor, events, seq, subject };
}

type CommitBody = { commitId: string; at: string; actor: Commit['actor']; events: unknown[] };

function isCommitBody(b: unknown): b is CommitBody {
  if (typeof b !== 'object' || b === null) return false;
  const o = b as Record<string, unknown>;
  return typeof o.commitId === 'string' && typeof o.at === 'string' && typeof o.actor === 'object' && o.actor !== null
    && Array.isArray(o.events);
}
