import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureMacKeyFile, startAppProcess, writeIdentities, type AppProcess, type AppProcessSpec, type WrittenIdentities } from '@lbaas/app-shell';
import { embeddedFiles, type EmbeddedConfig } from './embedded-config';

const run = promisify(execFile);
const say = (msg: string) => process.stdout.write(`lbaasctl: ${msg}\n`);

/**
 * The embedded home's keys and NATS identities (made once, kept: files 0600, directory 0700): one nkey per role and
 * per agent from the permission table (`lbaasctl identities`), the operator's MAC key (snapshots, backups) and the
 * key that seals TLS material. nats-server runs with the identities on loopback without TLS: on 127.0.0.1 nothing
 * crosses a wire, and every app still proves who it is and gets only its own rights.
 */
export function ensureEmbeddedSecrets(cfg: EmbeddedConfig): { identities: WrittenIdentities; macKeyFile: string; secretsKey: string } {
  const f = embeddedFiles(cfg.home);
  mkdirSync(cfg.home, { recursive: true, mode: 0o700 });
  const identities = writeIdentities(f.identities, { agents: cfg.agents });
  const macKeyFile = ensureMacKeyFile(f.macKey);
  if (!existsSync(f.secretsKey)) writeFileSync(f.secretsKey, randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
  return { identities, macKeyFile, secretsKey: readFileSync(f.secretsKey, 'utf8').trim() };
}

/** True when something answers on the embedded NATS port (the stack, or another nats-server, is running). */
export function natsPortInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = netConnect({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

/** nats-server on 127.0.0.1 with the home's JetStream store and the identities' authorization include (checked with -t). */
export async function embeddedNatsSpec(cfg: EmbeddedConfig): Promise<AppProcessSpec> {
  const f = embeddedFiles(cfg.home);
  mkdirSync(f.jetstream, { recursive: true });
  writeFileSync(f.natsConf, [
    'server_name: "lbaas-embedded"', 'host: "127.0.0.1"', `port: ${cfg.natsPort}`, 'max_payload: 8MB',
    'jetstream {', `  store_dir: ${JSON.stringify(f.jetstream)}`, '}',
    '# one nkey identity per role and agent (libs/contracts/src/permissions.ts); no TLS on loopback',
    'include "identities/authorization.conf"', '',
  ].join('\n'), { mode: 0o600 });
  say(`starting nats-server on 127.0.0.1:${cfg.natsPort} with NATS identities (JetStream store ${f.jetstream})`);
  await run('nats-server', ['-c', f.natsConf, '-t']).catch((err: { stderr?: string }) => {
    throw new Error(`nats-server refuses ${f.natsConf}: ${err.stderr ?? String(err)}`);
  });
  return {
    name: 'nats-server', command: ['nats-server', '-c', f.natsConf], logFile: join(f.logs, 'nats-server.log'),
    readyLine: /Server is ready/, startTimeoutMs: 20_000,
  };
}

/** The embedded nats-server, started (embeddedNatsSpec). */
export async function startEmbeddedNats(cfg: EmbeddedConfig): Promise<AppProcess> {
  return startAppProcess(await embeddedNatsSpec(cfg));
}

/** The environment that makes lbaasctl (or an app) connect as `identity` to the embedded NATS. */
export const identityEnv = (cfg: EmbeddedConfig, ids: WrittenIdentities, identity: string): Record<string, string> => {
  const seed = ids.seedFiles[identity];
  if (!seed) throw new Error(`no NATS identity ${identity} in ${embeddedFiles(cfg.home).identities}`);
  return { NATS_URL: `nats://127.0.0.1:${cfg.natsPort}`, NATS_NKEY_SEED_FILE: seed };
};
