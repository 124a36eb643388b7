import { createHash } from 'node:crypto';
import { EVENT_STREAM, parseEventSubject, subjects } from '@lbaas/contracts';

/** The first line of a backup file: what it holds and where it came from. */
export type BackupHeader = Readonly<{
  format: 'lbaas-backup';
  version: 1;
  stream: string;
  subjects: readonly string[];
  createdAt: string;
  firstSeq: number;
  lastSeq: number;
  count: number;
}>;

/** One stored message: its stream sequence, subject, dedupe id and body (the commit JSON, verbatim). */
export type BackupRecord = Readonly<{ seq: number; subject: string; msgId: string; data: string }>;

/** The last line: proves the file is complete and unchanged. */
export type BackupTrailer = Readonly<{ trailer: true; count: number; sha256: string }>;

/** Why a backup cannot be imported; nothing was written when this is thrown. */
export type BackupProblem = 'corrupt' | 'truncated' | 'foreign' | 'unsupported' | 'not-empty' | 'empty';

/** A backup file that cannot be restored (or a store that must not receive it). */
export class BackupError extends Error {
  constructor(readonly problem: BackupProblem, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** Builds the header for `count` messages of LBAAS_EVENTS starting at sequence 1. */
export const backupHeader = (count: number, createdAt: string): BackupHeader => ({
  format: 'lbaas-backup', version: 1, stream: EVENT_STREAM, subjects: [subjects.allEvents], createdAt,
  firstSeq: count > 0 ? 1 : 0, lastSeq: count, count,
});

/** Incremental writer of the line format: header, one line per record, trailer with a sha256 over the record lines. */
export class BackupWriter {
  private readonly hash = createHash('sha256');
  private count = 0;
  constructor(header: BackupHeader, private readonly write: (line: string) => void) {
    write(JSON.stringify(header) + '\n');
  }
  add(record: BackupRecord): void {
    const line = JSON.stringify({ seq: record.seq, subject: record.subject, msgId: record.msgId, data: record.data }) + '\n';
    this.hash.update(line);
    this.count++;
    this.write(line);
  }
  finish(): BackupTrailer {
    const trailer: BackupTrailer = { trailer: true, count: this.count, sha256: this.hash.digest('hex') };
    this.write(JSON.stringify(trailer) + '\n');
    return trailer;
  }
}

/** Serialises a whole backup (for small ones and tests). */
export function formatBackup(records: readonly BackupRecord[], createdAt: string): string {
  let out = '';
  const w = new BackupWriter(backupHeader(records.length, createdAt), (l) => { out += l; });
  for (const r of records) w.add(r);
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

/**
 * Parses and fully verifies a backup before anything is written: the header names LBAAS_EVENTS, the trailer is
 * there (else truncated), the checksum and count match, sequences run 1..N without a gap, every body is a commit.
 */
export function parseBackup(text: string): { header: BackupHeader; records: BackupRecord[] } {
  if (text.length === 0) throw new BackupError('truncated', 'backup is empty (0 bytes)');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const header = parseLine(lines[0], 'the header (line 1)') as Partial<BackupHeader>;
  if (header?.format !== 'lbaas-backup') throw new BackupError('corrupt', 'not an lbaas backup (no lbaas-backup header on line 1)');
  if (header.version !== 1) throw new BackupError('unsupported', `backup format version ${String(header.version)} is not supported (this lbaasctl reads version 1)`);
  if (header.stream !== EVENT_STREAM || JSON.stringify(header.subjects) !== JSON.stringify([subjects.allEvents])) {
    throw new BackupError('foreign', `backup is of stream ${String(header.stream)} (${JSON.stringify(header.subjects)}), not ${EVENT_STREAM} (${subjects.allEvents})`);
  }
  const last = lines.length > 1 ? (parseLineOrUndefined(lines[lines.length - 1]) as Partial<BackupTrailer> | undefined) : undefined;
  if (!last || last.trailer !== true) {
    throw new BackupError('truncated', `backup is truncated: no trailer after ${lines.length - 1} lines (expected ${String(header.count)} records)`);
  }
  const body = lines.slice(1, -1);
  if (body.length !== last.count || body.length !== header.count) {
    throw new BackupError('truncated', `backup holds ${body.length} records, header says ${String(header.count)}, trailer ${String(last.count)}`);
  }
  const hash = createHash('sha256');
  for (const l of body) hash.update(l + '\n');
  const sum = hash.digest('hex');
  if (sum !== last.sha256) throw new BackupError('corrupt', `backup is corrupt: checksum ${sum} does not match the trailer's ${String(last.sha256)}`);
  const records = body.map((l, i) => {
    const r = parseLine(l, `record ${i + 1}`) as Partial<BackupRecord>;
    if (r.seq !== i + 1) throw new BackupError('corrupt', `backup is corrupt: record ${i + 1} has sequence ${String(r.seq)} (a gap or reordering)`);
    if (typeof r.subject !== 'string' || !parseEventSubject(r.subject) || typeof r.msgId !== 'string' || typeof r.data !== 'string') {
      throw new BackupError('corrupt', `backup is corrupt: record ${i + 1} lacks subject, msgId or data`);
    }
    const c = parseLine(r.data, `the commit of record ${i + 1}`) as { commitId?: unknown; events?: unknown };
    if (typeof c?.commitId !== 'string' || !Array.isArray(c.events)) throw new BackupError('corrupt', `backup is corrupt: record ${i + 1} is not a commit`);
    return r as BackupRecord;
  });
  return { header: header as BackupHeader, records };
}

function parseLineOrUndefined(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
