import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { issueTestCert, makeTestCa, testCrl } from '@lbaas/testing';

const run = promisify(execFile);
const GOLDEN = join(__dirname, '__golden__');
const HAPROXY = process.env.HAPROXY_BIN ?? 'haproxy';

describe('golden haproxy configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-golden-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // haproxy -c loads every certificate, CA and CRL a config names: give it real ones, made now (no key is committed).
  const ca = makeTestCa(dir, 'golden');
  const leaf = issueTestCert(ca, 'leaf', { cn: 'golden.test', usage: 'server' });
  const crl = testCrl(ca);
  writeFileSync(join(dir, 'golden.crtlist'), `${leaf.bundle}\n`);

  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.cfg'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(8));

  for (const f of files) {
    it(`${f} passes haproxy -c`, async () => {
      // haproxy -c checks that the stats socket's directory exists, so point it at a temp dir.
      const cfg = join(dir, f);
      const text = readFileSync(join(GOLDEN, f), 'utf8').replace(/stats socket \S+/, `stats socket ${dir}/s.sock`).replace(/server-state-file \S+/, `server-state-file ${dir}/none.state`)
        .replace(/ crt-list \S+/g, ` crt-list ${join(dir, 'golden.crtlist')}`)
        .replace(/ ca-file \S+/g, ` ca-file ${ca.cert}`)
        .replace(/ crl-file \S+/g, ` crl-file ${crl}`)
        .replace(/ crt \S+/g, ` crt ${leaf.bundle}`);
      writeFileSync(cfg, text);
      const { stdout, stderr } = await run(HAPROXY, ['-c', '-f', cfg]);
      expect(stdout).toMatch(/Configuration file is valid/);
      // A TLS option haproxy only half-understands (a version hole, an ignored keyword) shows as a warning: none allowed.
      expect(stderr.split('\n').filter((l) => /WARNING/.test(l) && !/server state file/.test(l))).toEqual([]);
    });
  }
});
