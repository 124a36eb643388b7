import { envReader, natsConnectionOptions, readNatsConfig } from '@lbaas/app-shell';
import { runProjection, type StoredCommit } from '@lbaas/event-store';
import { connect, type NatsConnection } from 'nats';
import { opt, type Args } from './args';

/**
 * Connects as the operator identity: `--nats <url>`, else NATS_URL, else the embedded default; credentials and TLS
 * from the same variables as every app (NATS_NKEY_SEED_FILE, NATS_CREDS_FILE, NATS_TLS_CA_FILE, ...).
 */
export async function connectFromArgs(a: Args, env: Record<string, string | undefined>): Promise<NatsConnection> {
  const r = envReader(env);
  const nats = readNatsConfig({ ...env, NATS_URL: opt(a, 'nats') ?? env.NATS_URL }, r, { identity: 'operator', defaultUrl: 'nats://127.0.0.1:4222' });
  r.done();
  const url = nats.servers.join(',');
  try {
    return await connect({ ...natsConnectionOptions(nats, 'lbaasctl'), timeout: 5_000 });
  } catch (err) {
    throw new Error(`cannot connect to NATS at ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** Progress on stderr (stdout stays clean for --json and pipes): one line every few thousand commits. */
export const progress = (what: string) => (p: { done: number; total: number }) => {
  const pct = p.total > 0 ? Math.floor((p.done / p.total) * 100) : 100;
  process.stderr.write(`lbaasctl: ${what} ${p.done}/${p.total} (${pct}%)\n`);
};

/**
 * Replays the whole stream once (no follow): every commit in order to `onCommit`. Returns the last sequence.
 * With `follow`, keeps the projection running and hands it back.
 */
export async function replay(nc: NatsConnection, onCommit: (c: StoredCommit) => void, opts: { what: string; follow?: boolean; quiet?: boolean }) {
  const show = progress(opts.what);
  const projection = await runProjection(nc, {
    onCommit,
    onProgress: opts.quiet ? undefined : (p) => show({ done: p.seq, total: p.lastSeq }),
    progressEvery: 20_000,
  });
  if (!opts.follow) await projection.stop();
  return projection;
}
