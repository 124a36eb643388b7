import { createHmac } from 'node:crypto';
import { BackupError, formatBackup, parseBackup, type BackupRecord } from './backup-format';

const KEY = Buffer.alloc(32, 7);
const OTHER_KEY = Buffer.alloc(32, 8);
const rec = (seq: number): BackupRecord => ({
  seq, subject: `lbaas.evt.lb.lb${seq % 2}`, msgId: `c${seq}`, data: JSON.stringify({ commitId: `c${seq}`, at: 't', actor: {}, events: [{ type: 'X', v: 1, data: { seq } }] }),
});
const records = [1, 2, 3].map(rec);
const secrets = [{ key: 'secret.11111111-1111-4111-8111-111111111111', sealed: Buffer.from('sealed bytes').toString('base64') }];
const good = formatBackup(records, '2026-01-01T00:00:00Z', KEY, { secrets, streamId: 'c1' });
const problem = (text: string, key: Buffer | null = KEY) => {
  try {
    parseBackup(text, key);
  } catch (err) {
    if (err instanceof BackupError) return `${err.problem}: ${err.message}`;
    throw err;
  }
  return 'accepted';
};
/** Re-signs an edited file with `key`: what somebody with the key (or a forger without it) would produce. */
const resign = (text: string, key: Buffer) => {
  const lines = text.trim().split('\n');
  const trailer = JSON.parse(lines.at(-1)!);
  const mac = createHmac('sha256', key);
  const sha = require('node:crypto').createHash('sha256');
  for (const l of lines.slice(0, -1)) { mac.update(l + '\n'); sha.update(l + '\n'); }
  return [...lines.slice(0, -1), JSON.stringify({ ...trailer, sha256: sha.digest('hex'), hmac: mac.digest('hex') })].join('\n') + '\n';
};

describe('backup format (version 2)', () => {
  it('is a header, one line per message, one per sealed secret, and a trailer with counts, a sha256 and an HMAC', () => {
    const lines = good.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({
      format: 'lbaas-backup', version: 2, stream: 'LBAAS_EVENTS', subjects: ['lbaas.evt.>'], createdAt: '2026-01-01T00:00:00Z', firstSeq: 1, lastSeq: 3, count: 3,
      streamId: 'c1', secretsBucket: 'LBAAS_SECRETS', secrets: 1,
    });
    expect(lines[4]).toEqual({ secret: secrets[0].key, sealed: secrets[0].sealed });
    expect(lines[5]).toMatchObject({ trailer: true, count: 3, secrets: 1, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), hmac: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });
  it('parses back what it wrote', () => expect(parseBackup(good, KEY)).toMatchObject({ records, secrets, undecodable: [] }));
  it('is deterministic: the same records give the same checksum', () => expect(formatBackup(records, '2026-01-01T00:00:00Z', KEY, { secrets, streamId: 'c1' })).toBe(good));
  it('is neither written nor read without a key', () => {
    expect(() => formatBackup(records, 'x', Buffer.alloc(0))).toThrow(/no operator MAC key/);
    expect(problem(good, null)).toMatch(/^unverified: no operator MAC key/);
  });
  it('refuses a file made with another key, and an edited file re-checksummed by someone without the key', () => {
    expect(problem(good, OTHER_KEY)).toMatch(/^unverified: backup does not verify/);
    const forged = resign(good.replace('"seq\\":2', '"seq\\":9'), OTHER_KEY);
    expect(problem(forged)).toMatch(/^unverified/);
    // The same edit signed with the right key passes the MAC and is then caught by the content checks.
    expect(problem(resign(good.replace('"seq":2,', '"seq":9,'), KEY))).toMatch(/^corrupt: .*record 2 has sequence 9/);
  });
  it('refuses a swapped header (the MAC covers it)', () => expect(problem(good.replace('"createdAt":"2026-01-01T00:00:00Z"', '"createdAt":"2020-01-01T00:00:00Z"'))).toMatch(/^corrupt|^unverified/));
  it('refuses a truncated file', () => expect(problem(good.slice(0, 400))).toMatch(/^truncated: backup is truncated: no trailer/));
  it('refuses a changed record (checksum)', () => expect(problem(good.replace('"seq\\":2', '"seq\\":9'))).toMatch(/^corrupt: .*checksum/));
  it('refuses a gap in the sequences even with a matching checksum and MAC', () => {
    expect(problem(formatBackup([rec(1), rec(3)], 'x', KEY))).toMatch(/^corrupt: .*record 2 has sequence 3/);
  });
  it('refuses another stream', () => expect(problem(good.replace('LBAAS_EVENTS', 'ORDERS'))).toMatch(/^foreign: backup is of stream ORDERS/));
  it('refuses version 1 (no MAC) and newer versions', () => {
    expect(problem(good.replace('"version":2', '"version":1'))).toMatch(/^unsupported: .*version 1 files carry no MAC/);
    expect(problem(good.replace('"version":2', '"version":3'))).toMatch(/^unsupported/);
  });
  it('refuses an empty file and a file that is not a backup', () => {
    expect(problem('')).toMatch(/^truncated: backup is empty/);
    expect(problem('{"hello":1}\n')).toMatch(/^corrupt: not an lbaas backup/);
  });
  it('keeps a record no reader can decode, and lists it (its sequence must stay)', () => {
    const poison = formatBackup([rec(1), { seq: 2, subject: 'lbaas.evt.lb.x', msgId: 'm2', data: 'not json' }], 'x', KEY);
    expect(parseBackup(poison, KEY)).toMatchObject({ undecodable: [2] });
  });
  it('accepts an empty history', () => expect(parseBackup(formatBackup([], 'x', KEY), KEY).records).toEqual([]));
});
