import { createHash, createHmac, timingSafeEqual, type Hash, type Hmac } from 'node:crypto';
import { EVENT_STREAM, isStreamFactSubject, parseEventSubject, SECRETS_BUCKET, subjects } from '@lbaas/contracts';

/** The format version this code writes and reads. Version 1 (no MAC, no secrets) cannot be verified and is refused. */
export const BACKUP_VERSION = 2;

/** The first line of a backup file: what it holds and where it came from. */
export type BackupHeader = Readonly<{
  format: 'lbaas-backup';
  version: typeof BACKUP_VERSION;
  stream: string;
  subjects: readonly string[];
  createdAt: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
  /** The stream's identity (its first message), informative: the records themselves carry it. */
  streamId: string | null;
  /** The KV bucket of sealed secrets the backup also holds, and how many keys. */
  secretsBucket: string;
  secrets: number;
}>;

/** One stored message: its stream sequence, subject, dedupe id and body (the commit JSON, verbatim). */
export type BackupRecord = Readonly<{ seq: number; subject: string; msgId: string; data: string }>;

/** One key of the secrets bucket: its value as stored (still sealed: AES-GCM under SECRETS_KEY), base64. */
export type BackupSecret = Readonly<{ key: string; sealed: string }>;

/** The last line: proves the file is complete (count, sha256) and was written by a holder of the operator key (hmac). */
export type BackupTrailer = Readonly<{ trailer: true; count: number; secrets: number; sha256: string; hmac: string }>;

/** Why a backup cannot be imported; nothing was written when this is thrown. */
export type BackupProblem = 'corrupt' | 'truncated' | 'foreign' | 'unsupported' | 'unverified' | 'not-empty' | 'empty';

/** A backup file that cannot be restored (or a store that must not receive it). */
export class BackupError extends Error {
  constructor(readonly problem: BackupProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** The operator's MAC key (HMAC-SHA256): at least 32 bytes. */
export type MacKey = Buffer;

const checkKey = (key: MacKey | null | undefined): MacKey => {
  if (!key || key.length < 32) throw new BackupError('unverified', 'no operator MAC key (LBAAS_MAC_KEY_FILE, 32 bytes or more): a backup is neither written nor imported without one');
  return key;
};

/** Builds the header for `count` messages of LBAAS_EVENTS starting at sequence 1, and `secrets` sealed keys. */
export const backupHeader = (count: number, createdAt: string, o: { streamId?: string | null; secrets?: number } = {}): BackupHeader => ({
  format: 'lbaas-backup', version: BACKUP_VERSION, stream: EVENT_STREAM, subjects: [subjects.allEvents], createdAt,
  firstSeq: count > 0 ? 1 : 0, lastSeq: count, count, streamId: o.streamId ?? null, secretsBucket: SECRETS_BUCKET, secrets: o.secrets ?? 0,
});

/**
 * Incremental writer of the line format: header, one line per record, one per secret, then a trailer with a sha256
 * and an HMAC-SHA256 (operator key) over every line before it, header included (a header cannot be swapped).
 */
export class BackupWriter {
  private readonly hash: Hash = createHash('sha256');
  private readonly mac: Hmac;
  private count = 0;
  private secrets = 0;
  constructor(header: BackupHeader, private readonly write: (line: string) => void, key: MacKey) {
    this.mac = createHmac('sha256', checkKey(key));
    this.line(JSON.stringify(header));
  }
  private line(text: string): void {
    const l = `${text}\n`;
    this.hash.update(l);
    this.mac.update(l);
    this.write(l);
  }
  add(record: BackupRecord): void {
    if (this.secrets > 0) throw new Error('records come before secrets');
    this.line(JSON.stringify({ seq: record.seq, subject: record.subject, msgId: record.msgId, data: record.data }));
    this.count++;
  }
  addSecret(secret: BackupSecret): void {
    this.line(JSON.stringify({ secret: secret.key, sealed: secret.sealed }));
    this.secrets++;
  }
  finish(): BackupTrailer {
    const trailer: BackupTrailer = { trailer: true, count: this.count, secrets: this.secrets, sha256: this.hash.digest('hex'), hmac: this.mac.digest('hex') };
    this.write(JSON.stringify(trailer) + '\n');
    return trailer;
  }
}

/** Serialises a whole backup (for small ones and tests). */
export function formatBackup(records: readonly BackupRecord[], createdAt: string, key: MacKey, o: { secrets?: readonly BackupSecret[]; streamId?: string | null } = {}): string {
  let out = '';
  const w = new BackupWriter(backupHeader(records.length, createdAt, { streamId: o.streamId, secrets: o.secrets?.length ?? 0 }), (l) => { out += l; }, key);
  for (const r of records) w.add(r);
  for (const s of o.secrets ?? []) w.addSecret(s);
  w.finish();
  return out;
}

const parseLine = (line: string, what: string): unknown => {
  try {
    return JSON.parse(line);
  } catch (err) {
    throw new BackupError('corrupt', `backup is corrupt: ${what} is not JSON`, { cause: err });
  }
};

const SECRET_KEY = /^[A-Za-z0-9_=.-]{1,256}$/;

/** A verified backup: its header, the messages 1..N, the sealed secrets, and the records no reader of this code can decode. */
export type ParsedBackup = Readonly<{ header: BackupHeader; records: BackupRecord[]; secrets: BackupSecret[]; undecodable: number[] }>;

/**
 * Parses and fully verifies a backup before anything is written: the header names LBAAS_EVENTS, the trailer is there
 * (else truncated), counts and checksum match (else corrupt), the HMAC verifies under the operator key (else
 * unverified: another key, or a forged file), sequences run 1..N without a gap, every record has a subject of the
 * stream, a msg id and a body. A body that is not a readable commit is kept verbatim (its sequence must stay) and
 * listed in `undecodable`: readers skip it, as they did in the stream it came from.
 */
export function parseBackup(text: string, key: MacKey | null | undefined): ParsedBackup {
  if (text.length === 0) throw new BackupError('truncated', 'backup is empty (0 bytes)');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = parseLine(lines[0], 'the header (line 1)') as Partial<BackupHeader>;
  if (header?.format !== 'lbaas-backup') throw new BackupError('corrupt', 'not an lbaas backup (no lbaas-backup header on line 1)');
  if (header.version !== BACKUP_VERSION) {
    throw new BackupError('unsupported', `backup format version ${String(header.version)} is not supported (this lbaasctl reads version ${BACKUP_VERSION}`
      + `${header.version === 1 ? '; version 1 files carry no MAC and no secrets, so they cannot be verified: export again with this lbaasctl' : ''})`);
  }
  if (header.stream !== EVENT_STREAM || JSON.stringify(header.subjects) !== JSON.stringify([subjects.allEvents])) {
    throw new BackupError('foreign', `backup is of stream ${String(header.stream)} (${JSON.stringify(header.subjects)}), not ${EVENT_STREAM} (${subjects.allEvents})`);
  }
  const last = lines.length > 1 ? (parseLineOrUndefined(lines[lines.length - 1]) as Partial<BackupTrailer> | undefined) : undefined;
  if (!last || last.trailer !== true) {
    throw new BackupError('truncated', `backup is truncated: no trailer after ${lines.length - 1} lines (expected ${String(header.count)} records)`);
  }
  const body = lines.slice(1, -1);
  const count = Number(header.count);
  const nSecrets = Number(header.secrets);
  if (body.length !== count + nSecrets || last.count !== count || last.secrets !== nSecrets) {
    throw new BackupError('truncated', `backup holds ${body.length} lines, header says ${String(header.count)} records + ${String(header.secrets)} secrets, trailer ${String(last.count)} + ${String(last.secrets)}`);
  }
  const hash = createHash('sha256');
  const mac = createHmac('sha256', checkKey(key));
  for (const l of lines.slice(0, -1)) { hash.update(l + '\n'); mac.update(l + '\n'); }
  const sum = hash.digest('hex');
  if (sum !== last.sha256) throw new BackupError('corrupt', `backup is corrupt: checksum ${sum} does not match the trailer's ${String(last.sha256)}`);
  const want = mac.digest();
  const got = typeof last.hmac === 'string' && /^[0-9a-f]{64}$/.test(last.hmac) ? Buffer.from(last.hmac, 'hex') : Buffer.alloc(0);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new BackupError('unverified', 'backup does not verify: its HMAC was not made with this operator key (another key, or a forged or edited file)');
  }
  const undecodable: number[] = [];
  const records = body.slice(0, count).map((l, i) => {
    const r = parseLine(l, `record ${i + 1}`) as Partial<BackupRecord>;
    if (r.seq !== i + 1) throw new BackupError('corrupt', `backup is corrupt: record ${i + 1} has sequence ${String(r.seq)} (a gap or reordering)`);
    if (typeof r.subject !== 'string' || !(parseEventSubject(r.subject) || isStreamFactSubject(r.subject)) || typeof r.msgId !== 'string' || typeof r.data !== 'string') {
      throw new BackupError('corrupt', `backup is corrupt: record ${i + 1} lacks a subject of the stream, msgId or data`);
    }
    const c = parseLineOrUndefined(r.data) as { commitId?: unknown; events?: unknown } | undefined;
    if (typeof c?.commitId !== 'string' || !Array.isArray(c.events)) undecodable.push(i + 1);
    return r as BackupRecord;
  });
  const secrets = body.slice(count).map((l, i) => {
    const s = parseLine(l, `secret ${i + 1}`) as { secret?: unknown; sealed?: unknown };
    if (typeof s.secret !== 'string' || !SECRET_KEY.test(s.secret) || typeof s.sealed !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(s.sealed)) {
      throw new BackupError('corrupt', `backup is corrupt: secret ${i + 1} is not a key and a base64 value`);
    }
    return { key: s.secret, sealed: s.sealed };
  });
  return { header: header as BackupHeader, records, secrets, undecodable };
}

function parseLineOrUndefined(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
