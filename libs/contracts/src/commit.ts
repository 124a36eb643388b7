/** Who made a decision and through which request: carried by every commit, for auditing. */
export type Actor = Readonly<{
  /** `user`: an API caller; `service`: one of our apps acting on its own (scheduler, failover-watcher, agent). */
  kind: 'user' | 'service';
  projectId?: string;
  userId?: string;
  /** The user's name, when the token says it (Keystone, a JWT's name claim). */
  userName?: string;
  roles?: readonly string[];
  /** The token's audit id (Keystone's `audit_ids[0]`, a JWT's `jti`): what ties the commit to one token. */
  auditId?: string;
  /** How the API established who the caller is: `noauth` (the caller's word), `keystone` or `jwt`. */
  auth?: 'noauth' | 'keystone' | 'jwt';
  /** The API request id (`req-<uuid>`), when the decision came from an HTTP call. */
  requestId?: string;
  /** The client address as the API saw it. */
  clientAddress?: string;
  /** The app (and instance) that decided: `api`, `scheduler`, `agent:<agentId>`, ... */
  service: string;
  /** What was asked, e.g. `POST /v2/lbaas/listeners`. */
  operation?: string;
}>;

/** One stored event as written in a commit: type, schema version, payload. */
export type EventEnvelope = Readonly<{ type: string; v: number; data: Readonly<Record<string, unknown>> }>;

/** One message in the event store: every event one decision produced, atomically. */
export type Commit<E extends EventEnvelope = EventEnvelope> = Readonly<{
  commitId: string;
  /** ISO-8601 time of the decision. */
  at: string;
  actor: Actor;
  events: readonly E[];
}>;

/** The stream's identity: a random id and when `lbaasctl bootstrap` made it (the body of its first message). */
export type EventStreamCreated = Readonly<{ type: 'EventStreamCreated'; v: 1; data: Readonly<{ streamId: string; createdAt: string }> }>;

/**
 * A DR restore happened (`lbaasctl dr restore` / `dr import`): the stream `streamId` was brought back from a backup
 * that ended at `lastSeq`. An agent that saw a longer history accepts the shorter one once per such marker.
 */
export type EventStreamRestored = Readonly<{
  type: 'EventStreamRestored'; v: 1; data: Readonly<{ streamId: string; restoredAt: string; backupCreatedAt: string; lastSeq: number }>;
}>;
