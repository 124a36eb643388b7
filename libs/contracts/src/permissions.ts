import { AGENT_ID } from './ids';
import {
  jsAck, jsAckAll, jsApi, jsFlowControl, kvBucket, objectBucket, SECRETS_BUCKET, SNAPSHOT_BUCKET,
} from './jetstream-subjects';
import { EVENT_STREAM, REPORT_STREAM, subjects, token } from './subjects';

/**
 * NATS least privilege as one table (DESIGN.md §7a, security.md §3): one row per identity, what it may publish and
 * subscribe. nats-server enforces it (`renderAuthorization` turns it into the server's `authorization` block); an
 * allow list denies everything else, and explicit deny lists guard what a wildcard allow would reach.
 *
 * Agents report on subjects of their own (`lbaas.report.<agentId>.…`, stream LBAAS_REPORTS) and may not publish on any
 * `lbaas.evt.lb.*` subject: a stolen agent credential cannot forge desired state. What it can still do is report
 * nonsense about any LB on its own subjects; every reader accepts a report only from the agent the LB's placement names,
 * at that placement's epoch, and only when the subject's agent id is the one in the report (the scheduler's relay, the
 * load-balancer decider's `hostedBy`, the member-status view).
 *
 * What subject permissions cannot express, and who checks it instead: the scheduler may write every LB and subnet
 * subject and the api every aggregate; which events a writer may produce is the deciders' business; NATS sees subjects,
 * not event types.
 */

/** The roles that connect to NATS; `operator` is lbaasctl (bootstrap, DR, snapshots). */
export type NatsRole = 'operator' | 'api' | 'scheduler' | 'failover-watcher' | 'agent' | 'auditor';

/** One identity: its role, and for an agent its agent id (every agent host has its own). */
export type NatsIdentity = Readonly<{ role: 'agent'; agentId: string }> | Readonly<{ role: Exclude<NatsRole, 'agent'> }>;

/** An allow list and a deny list of subjects (deny wins). */
export type SubjectRights = Readonly<{ allow: readonly string[]; deny: readonly string[] }>;

/** One row of the table. */
export type IdentityPermissions = Readonly<{
  /** `api`, `scheduler`, `agent-<agentId>`, ...: the user's name in the server config and in file names. */
  name: string;
  role: NatsRole;
  /** Where its replies arrive (nats.js `inboxPrefix`); only this identity may subscribe below it. */
  inboxPrefix: string;
  publish: SubjectRights;
  subscribe: SubjectRights;
  /** May answer requests it received (one reply each, within a few seconds) without a publish right on the asker's inbox. */
  allowResponses: boolean;
}>;

/** What the table is built from. */
export type PermissionTableOptions = Readonly<{
  /** Agent ids (one identity each). */
  agents: readonly string[];
  /** The auditor's durable consumers on the event stream (default `auditor`). */
  auditorDurables?: readonly string[];
}>;

/** The default durable consumer of the auditor identity. */
export const AUDITOR_DURABLE = 'auditor';

/** The name of an identity: the role, or `agent-<agentId>`. */
export const identityName = (id: NatsIdentity): string => {
  if (id.role !== 'agent') return id.role;
  if (!AGENT_ID.test(id.agentId)) throw new Error(`not an agent id: ${JSON.stringify(id.agentId)}`);
  return `agent-${token(id.agentId)}`;
};

const S = EVENT_STREAM;
const secrets = kvBucket(SECRETS_BUCKET);
const snapshots = objectBucket(SNAPSHOT_BUCKET);

/**
 * Read the event stream: info, direct gets, and ordered consumers whose filter lies within `lbaas.evt.>`. Consumer info
 * too: an ordered consumer that misses its heartbeats (its server died with the stream leader) asks for its consumer's
 * info before it recreates it; refused, it retried for ever and the reader's view stood still after a leader kill.
 */
const readEventStream: readonly string[] = [
  jsApi.info, jsApi.streamInfo(S), jsApi.directGet(S), jsApi.directGetLastBySubject(S), jsApi.streamMsgGet(S),
  jsApi.consumerCreate(S, '*', subjects.allEvents), jsApi.consumerNext(S, '*'), jsApi.consumerDelete(S, '*'), jsApi.consumerInfo(S, '*'),
];

const R = REPORT_STREAM;

/** Read the report stream: info, direct gets, ordered consumers whose filter lies within `lbaas.report.>`, consumer info (as above). */
const readReportStream: readonly string[] = [
  jsApi.streamInfo(R), jsApi.directGet(R), jsApi.directGetLastBySubject(R),
  jsApi.consumerCreate(R, '*', subjects.allReports), jsApi.consumerNext(R, '*'), jsApi.consumerDelete(R, '*'), jsApi.consumerInfo(R, '*'),
];

/** Read the sealed secrets (KV get: the bucket's stream info and direct gets of a key's last value). */
const readSecrets: readonly string[] = [
  jsApi.info, jsApi.streamInfo(secrets.stream), jsApi.directGetLastBySubject(secrets.stream),
];

/** Write and purge sealed secrets (KV put, and purge = a rollup publish on the key). */
const writeSecrets: readonly string[] = [secrets.keys];

/**
 * Read snapshots (object store get: stream info, the object's metadata by message get, the chunks through an ordered
 * push consumer, which nats.js finds by stream names and creates by the pre-2.9 subject without a filter, and its
 * flow-control replies: without those a snapshot of more than a few chunks hangs, it does not fail).
 */
const readSnapshots: readonly string[] = [
  jsApi.info, jsApi.streamNames, jsApi.streamInfo(snapshots.stream), jsApi.streamMsgGet(snapshots.stream),
  jsApi.consumerCreateEphemeral(snapshots.stream), jsFlowControl(snapshots.stream),
];

/**
 * Never for anyone but the operator, even should an allow list grow a wildcard: stream create, update (limits),
 * delete, purge, message delete, snapshot/restore (a stream snapshot would copy the secrets bucket out).
 */
const streamAdmin: readonly string[] = [
  '$JS.API.STREAM.CREATE.>', '$JS.API.STREAM.UPDATE.>', '$JS.API.STREAM.DELETE.>', '$JS.API.STREAM.PURGE.>',
  '$JS.API.STREAM.MSG.DELETE.>', '$JS.API.STREAM.SNAPSHOT.>', '$JS.API.STREAM.RESTORE.>', '$JS.API.STREAM.PEER.>',
  '$JS.API.STREAM.LEADER.>', '$JS.API.META.>', '$JS.API.SERVER.>', '$JS.API.ACCOUNT.>',
];

const uniq = (xs: readonly string[]) => [...new Set(xs)];
const rights = (allow: readonly string[], deny: readonly string[] = []): SubjectRights =>
  Object.freeze({ allow: Object.freeze(uniq(allow)), deny: Object.freeze(uniq(deny)) });

/** The permissions of one identity. */
export function permissionsOf(id: NatsIdentity, opts: Pick<PermissionTableOptions, 'auditorDurables'> = {}): IdentityPermissions {
  const name = identityName(id);
  const durables = opts.auditorDurables ?? [AUDITOR_DURABLE];
  const inbox = subjects.inbox(name);
  // Readers with `consumerCreate(S, '*', …)` could otherwise take over, drain or delete the auditor's durables.
  const protectAudit = durables.flatMap((d) => [...jsApi.anyOnConsumer(S, d), ...jsApi.anyOnConsumer(R, d)]);
  const row = (publish: SubjectRights, subscribe: SubjectRights, allowResponses = false): IdentityPermissions =>
    Object.freeze({ name, role: id.role, inboxPrefix: subjects.inboxPrefix(name), publish, subscribe, allowResponses });
  switch (id.role) {
    case 'operator':
      // Bootstrap (stream and buckets), DR export/import (all of `lbaas.evt.>` into a new stream), snapshots,
      // KV admin, drills (request every agent), audits of its own.
      return row(
        rights([jsApi.all, subjects.allEvents, subjects.allReports, subjects.allAgentQueries, secrets.keys, snapshots.all, jsAckAll, '$JS.FC.>']),
        rights([inbox]),
      );
    case 'api':
      // The commits the api decides (every aggregate it has a command for), reading, agent queries (stats), secrets.
      return row(
        rights([
          subjects.allOf('lb'), subjects.allOf('subnet'), subjects.allOf('network'), subjects.allOf('project'), subjects.allOf('agent'),
          subjects.allOf('flavor'), subjects.allOf('az'), ...readEventStream, ...readReportStream, subjects.allAgentQueries, ...readSecrets,
          ...writeSecrets, ...readSnapshots,
        ], [...streamAdmin, ...protectAudit, subjects.allReports]),
        rights([inbox]),
      );
    case 'scheduler':
      // Placements and placement failures (LB subjects), the agents' LB reports it relays into LB histories (it reads
      // the report stream), VIP releases by the sweeper (subnet subjects).
      return row(
        rights([subjects.allOf('lb'), subjects.allOf('subnet'), ...readEventStream, ...readReportStream], [...streamAdmin, ...protectAudit, subjects.allReports]),
        rights([inbox]),
      );
    case 'failover-watcher':
      // Agent declared down/up (agent subjects); it hears every agent's heartbeats.
      return row(
        rights([subjects.allOf('agent'), ...readEventStream], [...streamAdmin, ...protectAudit, subjects.allReports]),
        rights([subjects.allHeartbeats, inbox]),
      );
    case 'agent':
      // Its own heartbeats, registration (its agent aggregate) and reports (its own report subjects, never an LB's:
      // see the note at the top); it answers its own queries only; secrets and snapshots read-only.
      return row(
        rights([
          subjects.heartbeat(id.agentId), subjects.stream('agent', id.agentId), subjects.reportsOf(id.agentId),
          ...readEventStream, ...readReportStream, ...readSecrets, ...readSnapshots,
        ], [...streamAdmin, ...protectAudit, secrets.keys, snapshots.all, subjects.allOf('lb')]),
        rights([subjects.agentQueries(id.agentId), inbox]),
        true,
      );
    case 'auditor':
      // Its own durable consumers on the event stream and on the report stream (member statuses, the agents' own
      // words), and their acks; nothing else (no stream info, no KV).
      return row(
        rights(durables.flatMap((d) => [
          jsApi.consumerCreate(S, d, subjects.allEvents), jsApi.consumerInfo(S, d), jsApi.consumerNext(S, d), ...jsAck(S, d),
          jsApi.consumerCreate(R, d, subjects.allReports), jsApi.consumerInfo(R, d), jsApi.consumerNext(R, d), ...jsAck(R, d),
        ]), [...streamAdmin]),
        rights([inbox]),
      );
  }
}

/** Every identity of a deployment: operator, api, scheduler, failover-watcher, auditor and one per agent. */
export function permissionTable(opts: PermissionTableOptions): readonly IdentityPermissions[] {
  const agents = uniq(opts.agents);
  const rows = [
    permissionsOf({ role: 'operator' }), permissionsOf({ role: 'api' }, opts), permissionsOf({ role: 'scheduler' }, opts),
    permissionsOf({ role: 'failover-watcher' }, opts), permissionsOf({ role: 'auditor' }, opts),
    ...agents.map((agentId) => permissionsOf({ role: 'agent', agentId }, opts)),
  ];
  return Object.freeze(rows);
}
