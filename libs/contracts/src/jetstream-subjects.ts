import { token } from './subjects';

/**
 * JetStream's own subjects, as nats-server defines them: its API (`$JS.API.…`), acks, flow control, and the streams
 * behind KV buckets (`KV_<bucket>`, subjects `$KV.<bucket>.>`) and object stores (`OBJ_<bucket>`, `$O.<bucket>.>`).
 * Permissions on these subjects are JetStream's access control (security.md §3). Built here, like every subject.
 */

/** The KV bucket that holds sealed TLS material (certificates, keys): never in the event stream. */
export const SECRETS_BUCKET = 'LBAAS_SECRETS';

/** The object store bucket that holds view snapshots (one object per view name). */
export const SNAPSHOT_BUCKET = 'lbaas_snapshots';

/** A consumer name, or `*` for any consumer of the stream (permissions only). */
type ConsumerName = string;
const consumer = (name: ConsumerName) => (name === '*' ? '*' : token(name));

/** JetStream API subjects (nats-server 2.9: the consumer-create subject carries the consumer name and its filter). */
export const jsApi = {
  /** Every API call (the operator's). */
  all: '$JS.API.>',
  /** Account info: `jetstreamManager()` asks it first (checkAPI). */
  info: '$JS.API.INFO',
  /** Stream names (a subscribe by subject asks which stream holds it). */
  streamNames: '$JS.API.STREAM.NAMES',
  streamInfo: (stream: string) => `$JS.API.STREAM.INFO.${token(stream)}`,
  streamCreate: (stream: string) => `$JS.API.STREAM.CREATE.${token(stream)}`,
  streamUpdate: (stream: string) => `$JS.API.STREAM.UPDATE.${token(stream)}`,
  streamDelete: (stream: string) => `$JS.API.STREAM.DELETE.${token(stream)}`,
  streamPurge: (stream: string) => `$JS.API.STREAM.PURGE.${token(stream)}`,
  streamMsgGet: (stream: string) => `$JS.API.STREAM.MSG.GET.${token(stream)}`,
  streamMsgDelete: (stream: string) => `$JS.API.STREAM.MSG.DELETE.${token(stream)}`,
  /** Direct get with the query in the body (`seq`, `next_by_subj`). */
  directGet: (stream: string) => `$JS.API.DIRECT.GET.${token(stream)}`,
  /** Direct get of the last message on a subject, the subject appended to the API subject. */
  directGetLastBySubject: (stream: string) => `$JS.API.DIRECT.GET.${token(stream)}.>`,
  /** Create a named consumer; with `filter` the permission ties it to that subject range, without it to none. */
  consumerCreate: (stream: string, name: ConsumerName, filter?: string) =>
    `$JS.API.CONSUMER.CREATE.${token(stream)}.${consumer(name)}${filter ? `.${filter}` : ''}`,
  /** Create an unnamed (ephemeral) consumer: the pre-2.9 subject, which carries no filter (ordered push consumers). */
  consumerCreateEphemeral: (stream: string) => `$JS.API.CONSUMER.CREATE.${token(stream)}`,
  consumerInfo: (stream: string, name: ConsumerName) => `$JS.API.CONSUMER.INFO.${token(stream)}.${consumer(name)}`,
  consumerDelete: (stream: string, name: ConsumerName) => `$JS.API.CONSUMER.DELETE.${token(stream)}.${consumer(name)}`,
  /** Pull the next batch from a consumer. */
  consumerNext: (stream: string, name: ConsumerName) => `$JS.API.CONSUMER.MSG.NEXT.${token(stream)}.${consumer(name)}`,
  /** Any API call on one consumer (CREATE/INFO/DELETE with its name as the 6th token): deny lists. */
  anyOnConsumer: (stream: string, name: string) => [
    `$JS.API.CONSUMER.*.${token(stream)}.${token(name)}`,
    `$JS.API.CONSUMER.*.${token(stream)}.${token(name)}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${token(stream)}.${token(name)}`,
  ],
} as const;

/**
 * Acks of one consumer's messages. 2.9-2.14: `$JS.ACK.<stream>.<consumer>.…`; from 2.15 the subject gains a domain
 * and an account hash: `$JS.ACK.<domain>.<account>.<stream>.<consumer>.…`. Both forms, so an upgrade keeps working.
 */
export const jsAck = (stream: string, name: string): readonly string[] => [
  `$JS.ACK.${token(stream)}.${token(name)}.>`,
  `$JS.ACK.*.*.${token(stream)}.${token(name)}.>`,
];

/** Every ack (the operator's: DR export and drills may use durable consumers). */
export const jsAckAll = '$JS.ACK.>';

/** Flow-control replies of push consumers on a stream (ordered consumers of an object store). */
export const jsFlowControl = (stream: string) => `$JS.FC.${token(stream)}.>`;

/** A KV bucket: its stream and the subjects its keys are written on. */
export const kvBucket = (bucket: string) => ({ stream: `KV_${token(bucket)}`, keys: `$KV.${token(bucket)}.>` }) as const;

/** An object store bucket: its stream and the subjects of its chunks and metadata. */
export const objectBucket = (bucket: string) => ({ stream: `OBJ_${token(bucket)}`, all: `$O.${token(bucket)}.>` }) as const;
