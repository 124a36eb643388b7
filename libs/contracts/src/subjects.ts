/**
 * The aggregates whose histories live in the event store, one subject per instance. `flavor` and `az` have one
 * instance per provider (PROVIDER_CATALOG): the flavors and availability zones it offers, with their profiles.
 */
export type Aggregate = 'lb' | 'agent' | 'network' | 'subnet' | 'project' | 'flavor' | 'az';

/** The instance of the `flavor` and `az` aggregates: this control plane is one provider, named `lbaas`. */
export const PROVIDER_CATALOG = 'lbaas';

/** Thrown when a string cannot be used as one token of a NATS subject. */
export class InvalidSubjectToken extends Error {
  constructor(readonly value: string) {
    super(`not a NATS subject token: ${JSON.stringify(value)}`);
    this.name = 'InvalidSubjectToken';
  }
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** Returns `s` if it can be one subject token (`[A-Za-z0-9_-]+`), else throws InvalidSubjectToken. */
export const token = (s: string): string => {
  if (typeof s !== 'string' || !TOKEN.test(s)) throw new InvalidSubjectToken(String(s));
  return s;
};

/** True if `s` can be one subject token. */
export const isToken = (s: unknown): s is string => typeof s === 'string' && TOKEN.test(s);

/** The JetStream stream that is the append-only event store. */
export const EVENT_STREAM = 'LBAAS_EVENTS';

/** Every subject string of the system is built here and nowhere else. */
export const subjects = {
  /** All commits of every aggregate: the stream's subject filter. */
  allEvents: 'lbaas.evt.>',
  /** The commits of one aggregate instance, e.g. `lbaas.evt.lb.<uuid>`. */
  stream: (aggregate: Aggregate, id: string) => `lbaas.evt.${aggregate}.${token(id)}`,
  /** The commits of every instance of one aggregate type. */
  allOf: (aggregate: Aggregate) => `lbaas.evt.${aggregate}.*`,
  /** The stream's own facts, written by the operator only (lbaasctl): not an aggregate, no view folds them. */
  streamFacts: 'lbaas.evt.stream.*',
  /** The stream's first message (`lbaasctl bootstrap`): its identity, `EventStreamCreated { streamId, createdAt }`. */
  streamGenesis: 'lbaas.evt.stream.genesis',
  /** Written after a DR restore (`lbaasctl dr restore`): `EventStreamRestored`, which lets agents accept a shorter history once. */
  streamRestored: 'lbaas.evt.stream.restored',
  /** Agent heartbeats (core NATS, not stored). */
  heartbeat: (agentId: string) => `lbaas.hb.agent.${token(agentId)}`,
  /** Every agent's heartbeats. */
  allHeartbeats: 'lbaas.hb.agent.*',
  /** A request/reply query to one agent (stats, config digests). */
  agentQuery: (agentId: string, query: AgentQuery) => `lbaas.rpc.agent.${token(agentId)}.${token(query)}`,
  /** Every query to one agent (what that agent answers). */
  agentQueries: (agentId: string) => `lbaas.rpc.agent.${token(agentId)}.*`,
  /** Every query to every agent (what the api and the operator ask). */
  allAgentQueries: 'lbaas.rpc.agent.*.*',
  /**
   * The inbox prefix of one NATS identity (nats.js `inboxPrefix`): replies to its requests arrive below it, and only
   * that identity may subscribe there, so nobody reads another's replies (the default `_INBOX.>` is shared by all).
   */
  inboxPrefix: (identity: string) => `_INBOX_${token(identity)}`,
  /** Everything below an identity's inbox prefix (its subscribe permission). */
  inbox: (identity: string) => `_INBOX_${token(identity)}.>`,
} as const;

/**
 * The queries an agent answers over request/reply: live counters, config digests, and `reconcile` (a wake-up: the agent
 * re-observes its host and reconciles now, e.g. for the amphora `config` endpoint).
 */
export type AgentQuery = 'stats' | 'digest' | 'reconcile';

/** Parses `lbaas.evt.<aggregate>.<id>` back into its parts; undefined for any other subject. */
export const parseEventSubject = (subject: string): { aggregate: Aggregate; id: string } | undefined => {
  const m = /^lbaas\.evt\.(lb|agent|network|subnet|project|flavor|az)\.([A-Za-z0-9_-]+)$/.exec(subject);
  return m ? { aggregate: m[1] as Aggregate, id: m[2] } : undefined;
};

/** True for the subjects of the stream's own facts (genesis, restore markers). */
export const isStreamFactSubject = (subject: string): boolean => /^lbaas\.evt\.stream\.(genesis|restored)$/.test(subject);

/** Parses `lbaas.hb.agent.<agentId>` into the agent id; undefined for any other subject. */
export const parseHeartbeatSubject = (subject: string): string | undefined => {
  const m = /^lbaas\.hb\.agent\.([A-Za-z0-9_-]+)$/.exec(subject);
  return m ? m[1] : undefined;
};
