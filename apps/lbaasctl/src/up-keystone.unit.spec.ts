import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openrc } from './up-keystone';

describe('the openrc files of lbaasctl up --keystone', () => {
  it('give bash exactly the credentials, whatever characters the password holds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'openrc-'));
    try {
      const file = join(dir, 'openrc');
      const password = `-it's $HOME; \`id\` "x"`;
      writeFileSync(file, openrc('http://127.0.0.1:5000/v3', 'demo-a', password, 'demo-a'));
      const env = execFileSync('bash', ['-c', `source ${file}; printf '%s\\n' "$OS_AUTH_URL" "$OS_USERNAME" "$OS_PASSWORD" "$OS_PROJECT_NAME" "$OS_AUTH_TYPE"`], { encoding: 'utf8' });
      expect(env.split('\n').slice(0, 5)).toEqual(['http://127.0.0.1:5000/v3', 'demo-a', password, 'demo-a', 'password']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
