import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const GOLDEN = join(__dirname, '__golden__');
const HAPROXY = process.env.HAPROXY_BIN ?? 'haproxy';

describe('golden haproxy configs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-golden-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.cfg'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(8));

  for (const f of files) {
    it(`${f} passes haproxy -c`, async () => {
      // haproxy -c checks that the stats socket's directory exists, so point it at a temp dir.
      const cfg = join(dir, f);
      writeFileSync(cfg, readFileSync(join(GOLDEN, f), 'utf8').replace(/stats socket \S+/, `stats socket ${dir}/s.sock`));
      const { stdout } = await run(HAPROXY, ['-c', '-f', cfg]);
      expect(stdout).toMatch(/Configuration file is valid/);
    });
  }
});
