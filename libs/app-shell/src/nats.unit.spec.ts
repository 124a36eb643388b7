import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeNats, natsConnectionOptions, readNatsConfig } from './nats';

const dir = mkdtempSync(join(tmpdir(), 'nats-config-'));
const file = (name: string, text: string, mode = 0o600) => {
  const f = join(dir, name);
  writeFileSync(f, text);
  chmodSync(f, mode);
  return f;
};
const read = (env: Record<string, string>, identity = 'api') => {
  const r = { problems: [] as string[] };
  return { cfg: readNatsConfig(env, r, { identity, defaultUrl: 'nats://127.0.0.1:4222' }), problems: r.problems };
};

describe('readNatsConfig', () => {
  it('defaults to no credentials, no TLS and the identity\'s own inbox prefix', () => {
    expect(read({})).toEqual({ cfg: { servers: ['nats://127.0.0.1:4222'], auth: { kind: 'none' }, tls: null, inboxPrefix: '_INBOX_api' }, problems: [] });
    expect(read({ NATS_URL: 'nats://a:4222, tls://b:4223,[::1]:4224' }, 'agent-a1').cfg)
      .toMatchObject({ servers: ['nats://a:4222', 'tls://b:4223', '[::1]:4224'], inboxPrefix: '_INBOX_agent-a1' });
  });

  it('refuses credentials in a URL without repeating the secret', () => {
    const { problems } = read({ NATS_URL: 'nats://n1:4222,nats://api:s3cr3t@n2:4222' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/NATS_URL entry 2 carries credentials \(nats:\/\/\*\*\*@n2:4222\)/);
    expect(problems[0]).not.toContain('s3cr3t');
    expect(read({ NATS_URL: 'tok3n@n2:4222' }).problems[0]).not.toContain('tok3n');
  });

  it('takes one credential from a file: nkey seed, creds, or user + password file', () => {
    const seed = file('api.nk', 'SUAIBDPBAUTWCWBKIO6XHQNINK5FWJW4OHLXC3HQ2KFE4PEJUA44CNHTC4\n');
    const { cfg } = read({ NATS_NKEY_SEED_FILE: seed });
    expect(cfg.auth).toEqual({ kind: 'nkey', seedFile: seed });
    const o = natsConnectionOptions(cfg, 'lbaas-api');
    expect(o).toMatchObject({ servers: ['nats://127.0.0.1:4222'], name: 'lbaas-api', inboxPrefix: '_INBOX_api' });
    expect(typeof o.authenticator).toBe('function');
    expect(JSON.stringify(describeNats(cfg))).not.toContain('SUAIB');
    const pw = file('pw', 'hunter2\n');
    expect(read({ NATS_USER: 'api', NATS_PASSWORD_FILE: pw }).cfg.auth).toEqual({ kind: 'password', user: 'api', passwordFile: pw });
    expect(read({ NATS_CREDS_FILE: file('u.creds', 'x') }).cfg.auth.kind).toBe('creds');
  });

  it('reports every problem at once: two credentials, a half pair, a missing or world-readable file, secrets in the environment', () => {
    const seed = file('s.nk', 'SU...', 0o644);
    const { problems } = read({
      NATS_NKEY_SEED_FILE: seed, NATS_CREDS_FILE: join(dir, 'missing.creds'), NATS_USER: 'api', NATS_PASSWORD: 'x',
      NATS_TLS_CERT_FILE: file('c.pem', 'cert'), NATS_URL: 'http://x',
    });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/NATS_URL entry 1 must be/),
      expect.stringMatching(/NATS_CREDS_FILE .* does not exist/),
      expect.stringMatching(/NATS_NKEY_SEED_FILE .* is readable by every user/),
      expect.stringMatching(/give one NATS credential/),
      expect.stringMatching(/NATS_USER and NATS_PASSWORD_FILE go together/),
      expect.stringMatching(/NATS_PASSWORD\/NATS_TOKEN are not read/),
      expect.stringMatching(/NATS_TLS_CERT_FILE and NATS_TLS_KEY_FILE go together/),
    ]));
  });

  it('turns TLS files into nats.js tls options', () => {
    const ca = file('ca.pem', 'ca', 0o644);
    const { cfg } = read({ NATS_TLS_CA_FILE: ca, NATS_TLS_CERT_FILE: file('api.pem', 'c', 0o644), NATS_TLS_KEY_FILE: file('api-key.pem', 'k') });
    expect(natsConnectionOptions(cfg, 'x').tls).toEqual({ caFile: ca, certFile: join(dir, 'api.pem'), keyFile: join(dir, 'api-key.pem') });
  });
});
