import { EVENT_STREAM } from '@lbaas/contracts';
import type { JetStreamManager, StoredMsg } from 'nats';
import { isNotFound } from './nats-errors';

/** A direct get of one message (needs allow_direct): the last on a subject or filter, or the next at or after a seq. */
export type DirectQuery = Readonly<{ last_by_subj: string }> | Readonly<{ seq: number; next_by_subj: string }>;

type DirectApi = { getMessage(stream: string, query: DirectQuery): Promise<StoredMsg> };

/**
 * One message of `stream` (LBAAS_EVENTS unless named) by direct get; undefined when there is none (404). nats v2
 * implements `jsm.direct` but leaves it out of the public JetStreamManager type, hence the narrow cast here.
 *
 * Any replica answers a direct get, and nats-server 2.9 lets a follower that is still catching up (just restarted,
 * e.g. in a lame-duck rolling restart) answer too: what it says may be older than what was acknowledged. Fine for a
 * head that is only compared (a stall guard); a read that decides uses leaderGet.
 */
export async function directGet(jsm: JetStreamManager, query: DirectQuery, stream = EVENT_STREAM): Promise<StoredMsg | undefined> {
  const direct = (jsm as JetStreamManager & { direct?: DirectApi }).direct;
  if (!direct) throw new Error('this nats client has no direct get API (jsm.direct)');
  try {
    return await direct.getMessage(stream, query);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

type MsgGetApi = { getMessage(stream: string, query: DirectQuery): Promise<StoredMsg> };

/**
 * The same query answered by the stream's leader (STREAM.MSG.GET, which nats-server 2.9 serves with `last_by_subj` and
 * `next_by_subj`): never older than an acknowledged append. Undefined when there is none (404). During an election it
 * fails like any JetStream API request (503, timeout): the caller retries.
 */
export async function leaderGet(jsm: JetStreamManager, query: DirectQuery, stream = EVENT_STREAM): Promise<StoredMsg | undefined> {
  try {
    // nats.js types the query as seq | last_by_subj only, and passes it to the server as it is.
    return await (jsm.streams as unknown as MsgGetApi).getMessage(stream, query);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
