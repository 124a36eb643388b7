import { BackupError, formatBackup, parseBackup, type BackupRecord } from './backup-format';

const rec = (seq: number): BackupRecord => ({
  seq, subject: `lbaas.evt.lb.lb${seq % 2}`, msgId: `c${seq}`, data: JSON.stringify({ commitId: `c${seq}`, at: 't', actor: {}, events: [{ type: 'X', v: 1, data: { seq } }] }),
});
const records = [1, 2, 3].map(rec);
const good = formatBackup(records, '2026-01-01T00:00:00Z');
const problem = (text: string) => {
  try {
    parseBackup(text);
  } catch (err) {
    if (err instanceof BackupError) return `${err.problem}: ${err.message}`;
    throw err;
  }
  return 'accepted';
};

describe('backup format', () => {
  it('is one header line, one line per message and a trailer with the count and a sha256', () => {
    const lines = good.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ format: 'lbaas-backup', version: 1, stream: 'LBAAS_EVENTS', subjects: ['lbaas.evt.>'], createdAt: '2026-01-01T00:00:00Z', firstSeq: 1, lastSeq: 3, count: 3 });
    expect(lines[4]).toMatchObject({ trailer: true, count: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
  it('parses back what it wrote', () => expect(parseBackup(good).records).toEqual(records));
  it('is deterministic: the same records give the same checksum', () => expect(formatBackup(records, '2026-01-01T00:00:00Z')).toBe(good));
  it('refuses a truncated file', () => expect(problem(good.slice(0, 200))).toMatch(/^truncated: backup is truncated: no trailer/));
  it('refuses a changed record (checksum)', () => expect(problem(good.replace('"seq\\":2', '"seq\\":9'))).toMatch(/^corrupt: .*checksum/));
  it('refuses a gap in the sequences even with a matching checksum', () => {
    const gap = formatBackup([rec(1), rec(3)], 'x');
    expect(problem(gap)).toMatch(/^corrupt: .*record 2 has sequence 3/);
  });
  it('refuses another stream', () => expect(problem(good.replace('LBAAS_EVENTS', 'ORDERS'))).toMatch(/^foreign: backup is of stream ORDERS/));
  it('refuses a newer format version', () => expect(problem(good.replace('"version":1', '"version":2'))).toMatch(/^unsupported/));
  it('refuses an empty file and a file that is not a backup', () => {
    expect(problem('')).toMatch(/^truncated: backup is empty/);
    expect(problem('{"hello":1}\n')).toMatch(/^corrupt: not an lbaas backup/);
  });
  it('accepts an empty history', () => expect(parseBackup(formatBackup([], 'x')).records).toEqual([]));
});
