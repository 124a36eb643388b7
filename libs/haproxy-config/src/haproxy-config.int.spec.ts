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
      let text = readFileSync(join(GOLDEN, f), 'utf8').replace(/stats socket \S+/, `stats socket ${dir}/s.sock`);
      // TLS goldens: haproxy -c loads the crt-list and its certificates, so give it a real one.
      for (const m of text.matchAll(/crt-list (\S+)/g)) {
        const pem = join(dir, `${f}.pem`);
        await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=golden.test', '-keyout', pem, '-out', `${pem}.crt`]);
        writeFileSync(pem, readFileSync(`${pem}.crt`, 'utf8') + readFileSync(pem, 'utf8'));
        writeFileSync(join(dir, `${f}.crtlist`), `${pem}\n`);
        text = text.replace(m[1], join(dir, `${f}.crtlist`));
      }
      writeFileSync(cfg, text);
      const { stdout } = await run(HAPROXY, ['-c', '-f', cfg]);
      expect(stdout).toMatch(/Configuration file is valid/);
    });
  }
});
