import { ErrorCode, NatsError } from 'nats';

/** JetStream API error codes this lib reacts to (nats-server `errors.json`). */
export const JsErr = {
  /** "wrong last sequence: N" from an `expect.lastSubjectSequence` publish. */
  StreamWrongLastSequence: 10071,
  StreamNotFound: 10059,
  StreamNameInUse: 10058,
  MessageNotFound: 10037,
} as const;

/** The `err_code` of a JetStream API error, if the error carries one. */
export const jsErrCode = (err: unknown): number | undefined =>
  err instanceof NatsError ? err.api_error?.err_code : undefined;

/** True for "no such message" (404), as direct get answers for an empty subject. */
export const isNotFound = (err: unknown): boolean =>
  err instanceof NatsError && (err.code === ErrorCode.JetStream404NoMessages || jsErrCode(err) === JsErr.MessageNotFound);

/** JetStream's "insufficient storage resources available" (10047, status 500) and "insufficient resources" (10023, 503). */
const STORAGE_CODES: readonly number[] = [10047, 10023];

/** True for a request that got no answer in time (client timeout, or JetStream's 408). */
export const isTimeout = (err: unknown): boolean =>
  err instanceof NatsError && (err.code === ErrorCode.Timeout || err.code === ErrorCode.JetStream408RequestTimeout);

/**
 * True when trying again may succeed: timeouts, no responders / JetStream not ready (503), a dropped connection, and
 * JetStream API errors with status 503 (no stream leader or quorum during an election, "JetStream system temporarily
 * unavailable", insufficient resources on a full store), and a store out of space (10047, sent as a 500): the leader
 * may move to a node with room, and a write that never gets through is EventStoreUnavailable (the api's 503), not a 500.
 */
export const isTransient = (err: unknown): boolean =>
  err instanceof NatsError && (
    err.code === ErrorCode.Timeout || err.code === ErrorCode.NoResponders || err.code === ErrorCode.Disconnect
    || err.code === ErrorCode.JetStream408RequestTimeout || err.code === ErrorCode.ConnectionRefused
    || err.api_error?.code === 503 || STORAGE_CODES.includes(err.api_error?.err_code ?? 0)
  );

/**
 * Why an append failed, for metrics: `conflict` (a stale expected sequence), `too_large`, `insufficient_storage` (the
 * leader's store is full or over its limits: JetStream 10047 / 10023), `no_leader` (no stream leader or quorum to take
 * it: a JetStream 503, no responders), `timeout` (asked, no answer), `disconnected` (no NATS connection), `unavailable`
 * (the store gave up for another reason) or `other`. Looks through `cause` (EventStoreUnavailable wraps the last try).
 */
export type AppendFailureReason = 'conflict' | 'too_large' | 'insufficient_storage' | 'no_leader' | 'timeout' | 'disconnected' | 'unavailable' | 'other';

export const APPEND_FAILURE_REASONS: readonly AppendFailureReason[] = ['conflict', 'too_large', 'insufficient_storage', 'no_leader', 'timeout', 'disconnected', 'unavailable', 'other'];


export function appendFailureReason(err: unknown): AppendFailureReason {
  const e = err as { name?: string; cause?: unknown } | undefined;
  if (e?.name === 'WrongExpectedSequence') return 'conflict';
  if (e?.name === 'CommitTooLarge') return 'too_large';
  for (let c: unknown = err, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
    if (!(c instanceof NatsError)) continue;
    const code = jsErrCode(c);
    if (code !== undefined && STORAGE_CODES.includes(code) || /insufficient (storage )?resources|no space/i.test(c.api_error?.description ?? c.message)) return 'insufficient_storage';
    if (c.code === ErrorCode.NoResponders || c.api_error?.code === 503) return 'no_leader';
    if (c.code === ErrorCode.Timeout || c.code === ErrorCode.JetStream408RequestTimeout) return 'timeout';
    if (c.code === ErrorCode.Disconnect || c.code === ErrorCode.ConnectionRefused || c.code === ErrorCode.ConnectionClosed) return 'disconnected';
    return e?.name === 'EventStoreUnavailable' ? 'unavailable' : 'other';
  }
  return e?.name === 'EventStoreUnavailable' ? (/connection closed/.test(String((e as Error).message)) ? 'disconnected' : 'unavailable') : 'other';
}
