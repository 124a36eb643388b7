/** Somebody else appended to the aggregate first (JetStream error 10071, "wrong last sequence"): re-read and decide again. */
export class WrongExpectedSequence extends Error {
  constructor(
    readonly subject: string,
    readonly expectedSeq: number,
    options?: { cause?: unknown },
  ) {
    super(`wrong expected sequence ${expectedSeq} on ${subject}`, options);
    this.name = 'WrongExpectedSequence';
  }
}

/** The event store did not answer (timeouts, no responders, closed connection), even after bounded retries. */
export class EventStoreUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventStoreUnavailable';
  }
}

/**
 * A stored message is not a commit this code can read (bad JSON, shape, an unknown event version). Readers skip it and
 * report it (UnreadableCommits): one poison commit costs that commit, never a whole aggregate or view.
 */
export class UnreadableCommit extends Error {
  constructor(
    readonly subject: string,
    readonly seq: number,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`unreadable commit at seq ${seq} on ${subject}: ${reason}`, options);
    this.name = 'UnreadableCommit';
  }
}

/** The stream exists with a configuration that cannot safely be changed in place (e.g. other subjects, storage). */
export class IncompatibleEventStream extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IncompatibleEventStream';
  }
}

/** A projection did not apply the awaited sequence in time (read-your-writes wait). */
export class ProjectionTimeout extends Error {
  constructor(
    readonly awaitedSeq: number,
    readonly appliedSeq: number,
    readonly timeoutMs: number,
  ) {
    super(`projection did not reach seq ${awaitedSeq} within ${timeoutMs} ms (applied up to ${appliedSeq})`);
    this.name = 'ProjectionTimeout';
  }
}

/** The projection was stopped (or its consumer failed) while somebody waited for it. */
export class ProjectionStopped extends Error {
  constructor(message = 'projection stopped', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProjectionStopped';
  }
}
