import { EVENT_STREAM } from '@lbaas/contracts';
import type { NatsConnection } from 'nats';
import { isNotFound } from './nats-errors';

/** The message at one stream sequence (its msg id = commit id), or undefined when the stream has none there. */
export async function directGetSeq(nc: NatsConnection, seq: number): Promise<{ msgId: string; subject: string } | undefined> {
  const jsm = await nc.jetstreamManager({ checkAPI: false });
  try {
    const m = await jsm.streams.getMessage(EVENT_STREAM, { seq });
    return { msgId: m.header?.get('Nats-Msg-Id') ?? '', subject: m.subject };
  } catch (err) {
    if (isNotFound(err) || /no message found|not found/i.test(String((err as Error)?.message))) return undefined;
    throw err;
  }
}
