import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EVENT_STREAM } from '@lbaas/contracts';
import { freePort } from '@lbaas/testing';
import { connect, nkeyAuthenticator } from 'nats';

/** `lbaasctl identities` and `lbaasctl bootstrap` (the built CLI) against a nats-server that includes what it wrote. */
const CLI = resolve(__dirname, '../dist/main.js');
const home = mkdtempSync(join(tmpdir(), 'lbaasctl-ids-'));
const ids = join(home, 'identities');
const cli = (args: string[], env: Record<string, string> = {}) => new Promise<{ code: number; out: string; err: string }>((done) => {
  execFile(process.execPath, [CLI, ...args], { timeout: 60_000, env: { ...process.env, ...env } }, (error, out, err) =>
    done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err }));
});

describe('lbaasctl identities and bootstrap', () => {
  let port = 0;
  let server: ReturnType<typeof spawn> | undefined;
  afterAll(() => { server?.kill('SIGKILL'); });

  it('writes one private nkey seed per identity and the authorization include; a second run keeps the seeds', async () => {
    const r = await cli(['identities', '--dir', ids, '--agents', 'h1,h2', '--json']);
    expect(r.code).toBe(0);
    const first = JSON.parse(r.out) as { seeds: Record<string, string>; publicKeys: Record<string, string>; created: string[] };
    expect(Object.keys(first.seeds).sort()).toEqual(['agent-h1', 'agent-h2', 'api', 'auditor', 'failover-watcher', 'operator', 'scheduler']);
    for (const f of Object.values(first.seeds)) expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(statSync(ids).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(ids, 'agent-h1.env'), 'utf8')).toBe(`NATS_NKEY_SEED_FILE=${first.seeds['agent-h1']}\n`);
    const again = JSON.parse((await cli(['identities', '--dir', ids, '--agents', 'h1,h2,h3', '--json'])).out) as typeof first;
    expect(again.created).toEqual(['agent-h3']);
    expect(again.publicKeys.api).toBe(first.publicKeys.api);
    expect((await cli(['identities', '--dir', ids, '--agents', 'Bad_Id'])).code).toBe(2);
  });

  it('the server admits those identities; bootstrap works as the operator and is refused as the api', async () => {
    port = await freePort();
    const conf = join(home, 'nats.conf');
    writeFileSync(conf, [`host: 127.0.0.1`, `port: ${port}`, `jetstream { store_dir: ${JSON.stringify(join(home, 'store'))} }`, 'max_payload: 8MB', 'include ./identities/authorization.conf', ''].join('\n'));
    server = spawn('/usr/sbin/nats-server', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((ok, fail) => {
      let log = '';
      server?.stderr?.on('data', (d: Buffer) => { log += d.toString(); if (log.includes('Server is ready')) ok(); });
      server?.once('exit', () => fail(new Error(log)));
    });
    const url = `nats://127.0.0.1:${port}`;
    const as = (name: string) => ({ NATS_URL: url, NATS_NKEY_SEED_FILE: join(ids, `${name}.nk`) });
    const refused = await cli(['bootstrap'], { ...as('api'), NATS_INBOX_PREFIX: '_INBOX_api' });
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/Permissions Violation for Publish to "\$JS\.API\.STREAM\.CREATE\.LBAAS_EVENTS"/);
    const ok = await cli(['bootstrap', '--json'], as('operator'));
    expect(ok.code).toBe(0);
    const nc = await connect({ servers: url, authenticator: nkeyAuthenticator(new TextEncoder().encode(readFileSync(join(ids, 'api.nk'), 'utf8').trim())), inboxPrefix: '_INBOX_api' });
    expect((await (await nc.jetstreamManager()).streams.info(EVENT_STREAM)).config.deny_delete).toBe(true);
    await nc.close();
    const withUrlSecret = await cli(['events', '--nats', `nats://operator:pw@127.0.0.1:${port}`]);
    expect(withUrlSecret.code).toBe(1);
    expect(withUrlSecret.err).toContain('carries credentials (nats://***@127.0.0.1');
    expect(withUrlSecret.err).not.toContain('pw@');
  });
});
