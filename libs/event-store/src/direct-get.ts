import { EVENT_STREAM } from '@lbaas/contracts';
import type { JetStreamManager, StoredMsg } from 'nats';
import { isNotFound } from './nats-errors';

/** A direct get of one message (needs allow_direct): the last on a subject or filter, or the next at or after a seq. */
export type DirectQuery = Readonly<{ last_by_subj: string }> | Readonly<{ seq: number; next_by_subj: string }>;

type DirectApi = { getMessage(stream: string, query: DirectQuery): Promise<StoredMsg> };

/**
 * One message of `stream` (LBAAS_EVENTS unless named) by direct get; undefined when there is none (404). nats v2
 * implements `jsm.direct` but leaves it out of the public JetStreamManager type, hence the narrow cast here.
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
