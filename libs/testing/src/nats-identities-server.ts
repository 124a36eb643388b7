import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { natsConnectionOptions, readNatsConfig, writeIdentities, type WrittenIdentities } from '@lbaas/app-shell';
import { connect, type ConnectionOptions, type NatsConnection } from 'nats';
import { startNatsServer, type NatsServer, type NatsServerOptions } from './nats-server';

const run = promisify(execFile);
/** deploy/nats/make-certs.sh: the tests make their certificates with the script operators use. */
export const MAKE_CERTS = resolve(__dirname, '../../../deploy/nats/make-certs.sh');

/** A nats-server that admits only the identities of the permission table (nkeys), optionally with TLS. */
export interface NatsServerWithIdentities {
  readonly server: NatsServer;
  readonly url: string;
  readonly identities: WrittenIdentities;
  /** Certificates (make-certs.sh output) when started with TLS. */
  readonly certDir: string | undefined;
  /** The environment an app needs to connect as `name` (NATS_URL, NATS_NKEY_SEED_FILE, TLS files). */
  env(name: string): Record<string, string>;
  /** nats.js options of identity `name`, built the way the apps build theirs (readNatsConfig). */
  options(name: string): ConnectionOptions;
  /** Connects as `name` (closed by stop()). */
  connect(name: string, extra?: Partial<ConnectionOptions>): Promise<NatsConnection>;
  stop(): Promise<void>;
}

/**
 * Makes identities (`writeIdentities`, as `lbaasctl identities` does) in a temp dir, and TLS certificates with
 * `make-certs.sh` when `tls` is set (the server then requires TLS and a client certificate of our CA), then starts
 * nats-server with the generated authorization include.
 */
export async function startNatsServerWithIdentities(o: {
  agents: readonly string[]; auditorDurables?: readonly string[]; tls?: boolean; server?: NatsServerOptions;
}): Promise<NatsServerWithIdentities> {
  const dir = await mkdtemp(join(tmpdir(), 'lbaas-ids-'));
  const identities = writeIdentities(join(dir, 'identities'), { agents: o.agents, auditorDurables: o.auditorDurables });
  let certDir: string | undefined;
  // nats-server resolves `include` relative to the including file (whose temp dir is made later): inline the text.
  const lines = [await readFile(identities.authorizationFile, 'utf8')];
  if (o.tls) {
    certDir = join(dir, 'certs');
    await run('bash', [MAKE_CERTS, certDir], {
      env: { ...process.env, SERVERS: 'nats-test', CLIENTS: identities.table.map((r) => r.name).join(' ') },
    });
    lines.push('tls {', `  cert_file: ${JSON.stringify(join(certDir, 'nats-test.pem'))}`, `  key_file: ${JSON.stringify(join(certDir, 'nats-test-key.pem'))}`,
      `  ca_file: ${JSON.stringify(join(certDir, 'ca.pem'))}`, '  verify: true', '  timeout: 5', '}');
  }
  let server: NatsServer;
  try {
    server = await startNatsServer({ ...o.server, extraConfig: [o.server?.extraConfig ?? '', ...lines].join('\n') });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  const opened: NatsConnection[] = [];
  const env = (name: string): Record<string, string> => {
    const seed = identities.seedFiles[name];
    if (!seed) throw new Error(`no identity ${name}`);
    return {
      NATS_URL: server.url, NATS_NKEY_SEED_FILE: seed,
      ...(certDir ? { NATS_TLS_CA_FILE: join(certDir, 'ca.pem'), NATS_TLS_CERT_FILE: join(certDir, `${name}.pem`), NATS_TLS_KEY_FILE: join(certDir, `${name}-key.pem`) } : {}),
    };
  };
  const options = (name: string): ConnectionOptions => {
    const r = { problems: [] as string[] };
    const cfg = readNatsConfig(env(name), r, { identity: name });
    if (r.problems.length) throw new Error(r.problems.join('; '));
    return natsConnectionOptions(cfg, `test:${name}`);
  };
  return {
    server, url: server.url, identities, certDir, env, options,
    async connect(name, extra = {}) {
      const nc = await connect({ ...options(name), ...extra });
      opened.push(nc);
      return nc;
    },
    async stop() {
      for (const nc of opened) await nc.close().catch(() => undefined);
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
