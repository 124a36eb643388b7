import { parseEventSubject, type Aggregate, type Commit } from '@lbaas/contracts';
import { LATEST_EVENT_VERSIONS, storedEventProblem, upcast, type StoredEvent } from '@lbaas/events';
import { UnreadableCommit } from './errors';
import type { StoredCommit } from './event-store';

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The largest commit a reader accepts (nats-server's default max_payload): anything bigger is not ours. */
export const MAX_COMMIT_BYTES = 1024 * 1024;

/** The message body of a commit: `{ commitId, at, actor, events }` as UTF-8 JSON (the only wire layout). */
export function encodeCommit(commit: Commit): Uint8Array {
  const { commitId, at, actor, events } = commit;
  return encoder.encode(JSON.stringify({ commitId, at, actor, events }));
}

/**
 * Parses a stored message back into a commit; throws UnreadableCommit (with the reason) if it is not one: not UTF-8
 * JSON, too big, not a `{ commitId, at, actor, events }` object, an event this code cannot read (an unknown version
 * of a known type, a payload of the wrong shape or an id that is not a token: libs/events' schemas), or an event about
 * another aggregate than the one whose subject holds it. Old versions are upcast.
 */
export function decodeCommit<E>(data: Uint8Array, subject: string, seq: number): StoredCommit<E> {
  const unreadable = (reason: string, cause?: unknown): never => {
    throw new UnreadableCommit(subject, seq, reason, cause === undefined ? undefined : { cause });
  };
  if (data.length > MAX_COMMIT_BYTES) unreadable(`${data.length} bytes, more than ${MAX_COMMIT_BYTES}`);
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(data));
  } catch (err) {
    return unreadable('not UTF-8 JSON', err);
  }
  const shape = commitShapeProblem(body);
  if (shape) return unreadable(shape);
  const b = body as CommitBody;
  const target = parseEventSubject(subject);
  for (const e of b.events) {
    const problem = storedEventProblem(e);
    if (problem) unreadable(problem);
    // An event is about the aggregate whose subject holds it: one on lb A's subject that names lb B would let a writer
    // of A's subject change B in every view.
    const ev = e as StoredEvent;
    if (target && ev.type in LATEST_EVENT_VERSIONS) {
      const field = AGGREGATE_ID[target.aggregate];
      const named = (ev.data as Record<string, unknown>)[field];
      if (named !== target.id) unreadable(`${ev.type} names ${field} ${JSON.stringify(String(named).slice(0, 80))} on the subject of ${target.aggregate} ${target.id}`);
    }
  }
  // Old event versions are upcast here, on every read, so deciders and views only ever see the latest shapes.
  let events: E[];
  try {
    // Unknown types (written by a newer release) pass through untouched: readers ignore what they do not know.
    events = (b.events as StoredEvent[]).map((e) => (e.type in LATEST_EVENT_VERSIONS ? upcast(e) : e) as unknown as E);
  } catch (err) {
    return unreadable(err instanceof Error ? err.message : String(err), err);
  }
  return { commitId: b.commitId, at: b.at, actor: b.actor, events, seq, subject };
}

/** The field every event of an aggregate carries its instance's id in (libs/events/tools/event-catalogue.ts names the same). */
const AGGREGATE_ID: Readonly<Record<Aggregate, string>> = {
  lb: 'lbId', agent: 'agentId', network: 'networkId', subnet: 'subnetId', project: 'projectId', flavor: 'provider', az: 'provider',
};

type CommitBody = { commitId: string; at: string; actor: Commit['actor']; events: unknown[] };

const str = (x: unknown, max: number) => typeof x === 'string' && x.length > 0 && x.length <= max;

/** Why `b` is not a commit body (null = it is one). */
function commitShapeProblem(b: unknown): string | null {
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'not a {commitId, at, actor, events} object';
  const o = b as Record<string, unknown>;
  if (!str(o.commitId, 200)) return 'commitId is not a string of at most 200 characters';
  if (!str(o.at, 64)) return 'at is not a string of at most 64 characters';
  if (typeof o.actor !== 'object' || o.actor === null || Array.isArray(o.actor)) return 'actor is not an object';
  if (!Array.isArray(o.events)) return 'events is not an array';
  return null;
}
