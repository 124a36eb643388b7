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

/**
 * True when trying again may succeed: timeouts, no responders / JetStream not ready (503), a dropped connection, and
 * JetStream API errors with status 503 (no stream leader or quorum during an election, "JetStream system temporarily
 * unavailable", insufficient resources on a full store).
 */
export const isTransient = (err: unknown): boolean =>
  err instanceof NatsError && (
    err.code === ErrorCode.Timeout || err.code === ErrorCode.NoResponders || err.code === ErrorCode.Disconnect
    || err.code === ErrorCode.JetStream408RequestTimeout || err.code === ErrorCode.ConnectionRefused
    || err.api_error?.code === 503
  );
