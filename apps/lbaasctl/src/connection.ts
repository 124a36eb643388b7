import { existsSync } from 'node:fs';
import { envReader, MAC_KEY_FILE_ENV, natsConnectionOptions, readMacKeyFile, readNatsConfig } from '@lbaas/app-shell';
import { runProjection, type StoredCommit } from '@lbaas/event-store';
import { connect, type NatsConnection } from 'nats';
import { opt, UsageError, type Args } from './args';
import { embeddedFiles, embeddedHome } from './embedded-config';

const CREDENTIAL_VARS = ['NATS_NKEY_SEED_FILE', 'NATS_CREDS_FILE', 'NATS_USER', 'NATS_PASSWORD_FILE'];

/**
 * The operator's environment: as given, or, when it names no NATS credential, the operator identity of the embedded
 * home (`LBAAS_HOME`, default `.lbaas`: what `lbaasctl up` wrote), so `lbaasctl events|state|dr|snapshot|status` work
 * against the embedded stack without any variable.
 */
export function operatorEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  if (CREDENTIAL_VARS.some((v) => env[v])) return env;
  const seed = embeddedFiles(embeddedHome(env)).operatorSeed;
  return existsSync(seed) ? { ...env, NATS_NKEY_SEED_FILE: seed } : env;
}

/**
 * Connects as the operator identity: `--nats <url>`, else NATS_URL, else the embedded default (127.0.0.1, port
 * LBAAS_NATS_PORT or 4222); credentials and TLS
 * from the same variables as every app (NATS_NKEY_SEED_FILE, NATS_CREDS_FILE, NATS_TLS_CA_FILE, ...), else the
 * embedded home's operator seed.
 */
export async function connectFromArgs(a: Args, env: Record<string, string | undefined>): Promise<NatsConnection> {
  const r = envReader(env);
  // The default is the embedded stack's NATS (LBAAS_NATS_PORT, as `lbaasctl up` reads it).
  const defaultUrl = `nats://127.0.0.1:${/^\d{1,5}$/.test(env.LBAAS_NATS_PORT ?? '') ? env.LBAAS_NATS_PORT : 4222}`;
  const nats = readNatsConfig({ ...operatorEnv(env), NATS_URL: opt(a, 'nats') ?? env.NATS_URL }, r, { identity: 'operator', defaultUrl });
  r.done();
  const url = nats.servers.join(',');
  try {
    return await connect({ ...natsConnectionOptions(nats, 'lbaasctl'), timeout: 5_000 });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/**
 * The operator's MAC key (HMAC-SHA256 over snapshots and backups): `--mac-key-file F`, else LBAAS_MAC_KEY_FILE, else
 * the embedded home's `mac.key`. Commands that write or verify one refuse to run without it.
 */
export function macKeyFromArgs(a: Args, env: Record<string, string | undefined>): Buffer {
  const file = opt(a, 'mac-key-file') ?? env[MAC_KEY_FILE_ENV] ?? (existsSync(embeddedFiles(embeddedHome(env)).macKey) ? embeddedFiles(embeddedHome(env)).macKey : undefined);
  if (!file) throw new UsageError(`no operator MAC key: give --mac-key-file <file> or ${MAC_KEY_FILE_ENV} (the embedded stack keeps one in .lbaas/mac.key)`);
  const problems: string[] = [];
  const key = readMacKeyFile(file, problems, opt(a, 'mac-key-file') ? '--mac-key-file' : MAC_KEY_FILE_ENV);
  if (!key) throw new Error(problems.join('; '));
  return key;
}

/** Progress on stderr (stdout stays clean for --json and pipes): one line every few thousand commits. */
export const progress = (what: string) => (p: { done: number; total: number }) => {
  const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  process.stderr.write(`lbaasctl: ${what} ${p.done}/${p.total} (${pct}%)\n`);
};

/** A commit the replay skipped because no reader of this code can decode it. */
export type SkippedCommit = { seq: number; subject: string; reason: string };

/**
 * Replays the whole stream once (no follow): every readable commit in order to `onCommit`; unreadable ones are skipped,
 * reported on stderr (unless quiet) and handed to `onUnreadable`. Returns the projection (stopped unless `follow`).
 */
export async function replay(nc: NatsConnection, onCommit: (c: StoredCommit) => void, opts: { what: string; follow?: boolean; quiet?: boolean; onUnreadable?: (s: SkippedCommit) => void }) {
  const show = progress(opts.what);
  const projection = await runProjection(nc, {
    onCommit,
    onProgress: opts.quiet ? undefined : (p) => show({ done: p.seq, total: p.lastSeq }),
    progressEvery: 20_000,
    onUnreadable: (e) => {
      if (!opts.quiet) process.stderr.write(`lbaasctl: skipped unreadable commit at seq ${e.seq} on ${e.subject}: ${e.reason}\n`);
      opts.onUnreadable?.({ seq: e.seq, subject: e.subject, reason: e.reason });
    },
  });
  if (!opts.follow) await projection.stop();
  return projection;
}
