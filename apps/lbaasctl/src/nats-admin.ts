import { writeIdentities } from '@lbaas/app-shell';
import { isAgentId, isToken } from '@lbaas/contracts';
import { bootstrapEventStore } from '@lbaas/event-store';
import { flag, list, onlyKnown, opt, parseArgs, UsageError } from './args';
import { connectFromArgs } from './connection';

const out = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `lbaasctl identities --dir D --agents a1,a2 [--auditor-durables x,y] [--json]`: one nkey seed per NATS identity
 * (operator, api, scheduler, failover-watcher, auditor, agent-<id> each; mode 0600, kept when present), an env file
 * each, and `authorization.conf` for nats-server (`include` it), generated from libs/contracts' permission table.
 */
export async function identities(argv: string[], _env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json']));
  onlyKnown(a, ['dir', 'agents', 'auditor-durables', 'json']);
  const dir = opt(a, 'dir');
  if (!dir) throw new UsageError('lbaasctl identities: --dir <directory> is required');
  const agents = list(a, 'agents');
  if (agents.length === 0) throw new UsageError('lbaasctl identities: --agents a1,a2,... is required (one identity per agent host)');
  for (const id of agents) if (!isAgentId(id)) throw new UsageError(`lbaasctl identities: ${JSON.stringify(id)} is not an agent id`);
  const durables = list(a, 'auditor-durables');
  for (const d of durables) if (!isToken(d)) throw new UsageError(`lbaasctl identities: ${JSON.stringify(d)} is not a consumer name`);
  const w = writeIdentities(dir, { agents, auditorDurables: durables.length ? durables : undefined });
  if (flag(a, 'json')) {
    out(JSON.stringify({ dir: w.dir, authorization: w.authorizationFile, seeds: w.seedFiles, publicKeys: w.publicKeys, created: w.created }));
  } else {
    for (const row of w.table) out(`${row.name.padEnd(20)} ${w.publicKeys[row.name]}  ${w.seedFiles[row.name]}${w.created.includes(row.name) ? '  (new)' : ''}`);
    out(`server: include ${w.authorizationFile} in nats-server.conf; each app: NATS_NKEY_SEED_FILE=<its seed> (see <name>.env)`);
  }
  return 0;
}

/**
 * `lbaasctl bootstrap [--replicas N] [--nats URL]`, as the operator identity: creates (or checks and tightens) the
 * event stream, the secrets bucket and the snapshot store. The apps wait for the stream and never create it.
 */
export async function bootstrap(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json']));
  onlyKnown(a, ['nats', 'replicas', 'json']);
  const raw = opt(a, 'replicas');
  const replicas = raw === undefined ? undefined : Number(raw);
  if (replicas !== undefined && (!Number.isInteger(replicas) || replicas < 1 || replicas > 5)) throw new UsageError('lbaasctl bootstrap: --replicas must be 1..5');
  const nc = await connectFromArgs(a, env);
  try {
    const identity = await bootstrapEventStore(nc, { replicas });
    out(flag(a, 'json') ? JSON.stringify({ ok: true, replicas: replicas ?? null, stream: identity })
      : `event stream ${identity ? `${identity.id} (created ${identity.createdAt})` : '(made before stream identities, no message yet)'}, secrets bucket and snapshot store ready${replicas ? ` (replicas ${replicas})` : ''}`);
    return 0;
  } finally {
    await nc.close();
  }
}
