import { runProjection, type StoredCommit } from '@lbaas/event-store';
import { connect, type NatsConnection } from 'nats';
import { opt, type Args } from './args';

/** `--nats <url>`, else NATS_URL, else the embedded default. */
export async function connectFromArgs(a: Args, env: Record<string, string | undefined>): Promise<NatsConnection> {
  const url = opt(a, 'nats') ?? env.NATS_URL ?? 'nats://127.0.0.1:4222';
  try {
    return await connect({ servers: url.split(','), name: 'lbaasctl', timeout: 5_000 });
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
