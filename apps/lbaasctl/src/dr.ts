import { createHash, randomUUID } from 'node:crypto';
import { closeSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { isAgentId, subjects } from '@lbaas/contracts';
import {
  BackupError, bootstrapEventStore, exportEventStream, importEventStream, observeEventStream, parseBackup, saveSnapshot, type ImportResult,
} from '@lbaas/event-store';
import { renderHaproxyConfig, RenderError } from '@lbaas/haproxy-config';
import { splitByEngine } from '@lbaas/nft-config';
import {
  CATALOG_SNAPSHOT, catalogCodec, desiredStateFor, evolveCatalog, initialCatalog, isGone, lbProvisioningStatus, type Catalog,
} from '@lbaas/projections';
import { connect, type NatsConnection } from 'nats';
import { flag, list, onlyKnown, opt, parseArgs, UsageError, type Args } from './args';
import { connectFromArgs, macKeyFromArgs, progress, replay, type SkippedCommit } from './connection';
import { compareLb, verdict, type DriftResult, type ExpectedLb, type ObservedDigest } from './drift';
import { embeddedFiles, embeddedHome, loadEmbeddedConfig } from './embedded-config';
import { ensureEmbeddedSecrets, identityEnv, natsPortInUse, startEmbeddedNats } from './embedded-nats';
import { envReader, natsConnectionOptions, readNatsConfig } from '@lbaas/app-shell';

const out = (s: string) => process.stdout.write(s + '\n');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `lbaasctl dr drill|export|import|restore` */
export async function dr(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'drill': return drill(rest, env);
    case 'export': return exportCmd(rest, env);
    case 'import': return importCmd(rest, env);
    case 'restore': return restoreCmd(rest, env);
    default: throw new UsageError(`lbaasctl dr: expected drill, export, import or restore, got ${JSON.stringify(sub ?? '')}`);
  }
}

/** Replays the whole stream into a fresh Catalog; commits no reader can decode are skipped and collected. */
async function freshCatalog(nc: NatsConnection, quiet: boolean, skipped: SkippedCommit[] = []): Promise<Catalog> {
  const catalog = initialCatalog();
  await replay(nc, (c) => evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]), { what: 'replaying', quiet, onUnreadable: (s) => skipped.push(s) });
  return catalog;
}

type AgentStream = { trusted: boolean; problem: string | null; message: string | null; streamId: string | null };
type DigestAnswer = {
  agentId: string; maxconnCap?: number; stream?: AgentStream;
  loadBalancers: Record<string, ObservedDigest & { statsSocket?: string; certDir?: string; certDigest?: string }>;
};

/** The agents the embedded home holds an identity for (`agent-<id>.nk`). */
const homeAgents = (env: Record<string, string | undefined>): string[] => {
  try {
    return readdirSync(embeddedFiles(embeddedHome(env)).identities).flatMap((f) => /^agent-(.+)\.nk$/.exec(f)?.[1] ?? []);
  } catch {
    return [];
  }
};

/** Asks one agent what it runs (Nest's NATS request/reply wire format: `{pattern, data, id}` → `{response}`). */
async function askAgent(nc: NatsConnection, agentId: string, timeoutMs: number): Promise<DigestAnswer | undefined> {
  const subject = subjects.agentQuery(agentId, 'digest');
  try {
    const reply = await nc.request(subject, JSON.stringify({ pattern: subject, data: {}, id: randomUUID() }), { timeout: timeoutMs });
    const body = JSON.parse(reply.string()) as { response?: DigestAnswer; err?: unknown };
    return body.response;
  } catch {
    return undefined;
  }
}

/**
 * `lbaasctl dr drill`: replay the whole stream into a fresh projection, render what every agent should run, ask
 * every agent what it runs, report drift per load balancer, the agents that refuse the stream (missing, empty,
 * shorter, foreign) and the commits no reader can decode. Exit 0 clean, 3 drift or a refused stream.
 */
async function drill(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'json', 'quiet', 'timeout-ms', 'agents']);
  const quiet = flag(a, 'quiet');
  const nc = await connectFromArgs(a, env);
  try {
    const t0 = Date.now();
    // 1. The truth: a fresh replay of the whole history (unreadable commits skipped and listed).
    const skipped: SkippedCommit[] = [];
    const catalog = await freshCatalog(nc, quiet, skipped);
    // 2. What the agents run: every agent the history knows, those named by --agents, and those the embedded home has
    //    an identity for (a stream that lost its history knows none of them). A dead one simply does not answer.
    const agents = [...new Set([...catalog.agents.agents.keys(), ...list(a, 'agents'), ...homeAgents(env)])].filter(isAgentId);
    if (!quiet) process.stderr.write(`lbaasctl: asking ${agents.length} agents for their config digests\n`);
    const answers = new Map<string, DigestAnswer | undefined>();
    await Promise.all(agents.map(async (agentId) => answers.set(agentId, await askAgent(nc, agentId, Number(opt(a, 'timeout-ms') ?? 3000)))));
    // An agent the history does not know and that does not answer is just not there.
    for (const [agentId, ans] of answers) if (!ans && !catalog.agents.agents.has(agentId)) answers.delete(agentId);
    // 3. Render and compare, per load balancer, with the host-local inputs the agent reports (stats socket, maxconn
    //    cap, the certificate digest it resolved from the secret store), so a TERMINATED_HTTPS listener renders the same.
    const results: DriftResult[] = [];
    const lbs = [...catalog.loadBalancers.lbs.values()].filter((lb) => !isGone(lb));
    for (const [i, lb] of lbs.entries()) {
      const agentId = lb.placement?.agentId ?? null;
      const answer = agentId ? answers.get(agentId) : undefined;
      const observed = answer?.loadBalancers[lb.lbId];
      const expected = expectedFor(catalog, lb.lbId, agentId, observed, answer?.maxconnCap);
      results.push(compareLb(expected, answer !== undefined, observed));
      if (!quiet && (i + 1) % 500 === 0) progress('compared')({ done: i + 1, total: lbs.length });
    }
    // 4. An agent that refuses the stream serves what it had and destroys nothing: never clean.
    const refusing = [...answers].flatMap(([id, ans]) => (ans?.stream && !ans.stream.trusted && ans.stream.problem
      ? [{ agentId: id, problem: ans.stream.problem, message: ans.stream.message ?? '' }] : []));
    const v = verdict(results);
    const clean = v.clean && refusing.length === 0;
    if (flag(a, 'json')) {
      out(JSON.stringify({
        clean, seq: catalog.seq, ms: Date.now() - t0,
        agents: Object.fromEntries([...answers].map(([id, ans]) => [id, !ans ? 'no answer' : ans.stream && !ans.stream.trusted ? `refuses the stream: ${ans.stream.problem}` : 'answered'])),
        refusingAgents: refusing, unreadableCommits: skipped, loadBalancers: results,
      }, null, 2));
    } else {
      for (const r of results) out(`${r.ok ? 'ok   ' : 'DRIFT'} ${r.lbId} on ${r.agentId ?? '-'}${r.problems.length ? ': ' + r.problems.join('; ') : ''}`);
      for (const [id, ans] of answers) if (!ans) out(`note: agent ${id} did not answer (down, or not running)`);
      for (const r of refusing) out(`REFUSED agent ${r.agentId} refuses the event stream (${r.problem}): ${r.message}`);
      for (const s of skipped) out(`warning: unreadable commit at seq ${s.seq} on ${s.subject} is skipped by every reader: ${s.reason}`);
      out(`${clean ? v.summary : refusing.length && v.clean ? `drift: ${refusing.length} agents refuse the stream` : v.summary} (history up to seq ${catalog.seq}, ${skipped.length} unreadable commits, ${Date.now() - t0} ms)`);
    }
    return clean ? 0 : 3;
  } finally {
    await nc.close();
  }
}

/** What the history says one LB's agent must run: the same renderer and digest as the agent (libs/projections). */
function expectedFor(
  catalog: Catalog, lbId: string, agentId: string | null,
  observed: { statsSocket?: string; certDir?: string; certDigest?: string } | undefined, maxconnCap: number | undefined,
): ExpectedLb {
  const lb = catalog.loadBalancers.lbs.get(lbId)!;
  const base = { lbId, agentId, epoch: lb.placement?.epoch ?? 0, version: lb.version, vip: lb.vipAddress, deleted: lb.deleted !== null };
  if (!agentId) return { ...base, digest: null, renderProblem: 'not placed' };
  if (lbProvisioningStatus(lb) === 'ERROR') return { ...base, digest: null, renderProblem: `tree is in ERROR (${lb.rejected?.reason ?? lb.placementFailed ?? 'rejected'})` };
  const mappings = catalog.agents.agents.get(agentId)?.bridgeMappings ?? {};
  const d = desiredStateFor(catalog, agentId, mappings).loadBalancers.find((x) => x.lbId === lbId);
  if (!d) return { ...base, digest: null, renderProblem: 'not in the agent\'s desired state' };
  const tls = d.listeners.some((l) => l.tls);
  if (tls && !observed?.certDigest) return { ...base, digest: null, renderProblem: 'TERMINATED_HTTPS, and the agent reports no certificates it could resolve' };
  try {
    // The agent's haproxy gets the tree without its UDP listeners and pools (the kernel carries those): the same split here.
    const cfg = renderHaproxyConfig(splitByEngine(d).haproxy, {
      statsSocket: observed?.statsSocket ?? `/run/lbaas/${agentId}/${lbId}/s.sock`, maxconnCap,
      ...(tls ? { certDir: observed!.certDir, certDigest: observed!.certDigest } : {}),
    });
    return { ...base, digest: sha256(cfg), renderProblem: null };
  } catch (err) {
    if (err instanceof RenderError) return { ...base, digest: null, renderProblem: err.message };
    throw err;
  }
}

/**
 * `lbaasctl dr export [--file F]`: the whole stream and the sealed secrets to a portable, checksummed backup file
 * (JSON lines) with an HMAC under the operator's MAC key.
 */
async function exportCmd(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'file', 'json', 'quiet', 'mac-key-file']);
  const key = macKeyFromArgs(a, env);
  const file = opt(a, 'file') ?? `lbaas-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  const nc = await connectFromArgs(a, env);
  const tmp = `${file}.partial`;
  const fd = openSync(tmp, 'w', 0o600);
  const t0 = Date.now();
  let buf = '';
  try {
    const r = await exportEventStream(nc, (line) => {
      buf += line;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }, { now: new Date().toISOString(), key, onProgress: flag(a, 'quiet') ? undefined : progress('exported'), progressEvery: 20_000 });
    writeSync(fd, buf);
    closeSync(fd);
    renameSync(tmp, file); // only a complete file gets the real name
    const bytes = statSync(file).size;
    const res = { file, count: r.count, secrets: r.secrets, lastSeq: r.lastSeq, sha256: r.sha256, bytes, ms: Date.now() - t0 };
    out(flag(a, 'json') ? JSON.stringify(res) : `exported ${r.count} messages (seq 1..${r.lastSeq}) and ${r.secrets} sealed secrets to ${file}: ${bytes} bytes, sha256 ${r.sha256}, HMAC-signed, ${res.ms} ms`);
    return 0;
  } finally {
    await nc.close();
  }
}

const readBackupFile = (a: Args, cmd: string): { file: string; text: string } => {
  const file = opt(a, 'file') ?? a.positional[0];
  if (!file) throw new UsageError(`lbaasctl dr ${cmd}: --file <backup> is required`);
  try {
    return { file, text: readFileSync(file, 'utf8') };
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
};

const imported = (file: string, r: ImportResult, ms: number) =>
  `imported ${r.count} messages (seq 1..${r.lastSeq}, stream ${r.streamId ?? '(no identity)'}) and ${r.secrets} sealed secrets from ${file} in ${ms} ms`
  + (r.undecodable.length ? `; ${r.undecodable.length} records no reader can decode were kept as they were (seq ${r.undecodable.slice(0, 10).join(', ')})` : '')
  + (r.markerSeq ? `; restore marker at seq ${r.markerSeq}` : '');

/** `lbaasctl dr import --file F`: restores a backup into an empty store (new NATS). Refuses anything doubtful. */
async function importCmd(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'file', 'json', 'quiet', 'mac-key-file', 'replicas']);
  const key = macKeyFromArgs(a, env);
  const { file, text } = readBackupFile(a, 'import');
  const nc = await connectFromArgs(a, env);
  const t0 = Date.now();
  try {
    const r = await importEventStream(nc, text, { key, replicas: replicasOf(a), onProgress: flag(a, 'quiet') ? undefined : progress('imported'), progressEvery: 20_000 });
    out(flag(a, 'json') ? JSON.stringify({ file, ...r, ms: Date.now() - t0 }) : imported(file, r, Date.now() - t0));
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`lbaasctl dr import: ${err.message}; nothing was imported, the store is untouched\n`);
      return 1;
    }
    throw err;
  } finally {
    await nc.close();
  }
}

const replicasOf = (a: Args): number | undefined => {
  const raw = opt(a, 'replicas');
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 5) throw new UsageError('--replicas must be 1..5');
  return n;
};

/**
 * `lbaasctl dr restore --file F [--nats URL] [--replicas N]`: the whole restore in one command. On the embedded stack
 * (no --nats, no NATS_URL): the stack must be stopped; it starts nats-server alone on the home's (empty) JetStream
 * store with the home's identities, bootstraps as the operator, imports the backup (the stream's identity and every
 * sequence from the backup, the sealed secrets, a restore marker), stops nats-server and says to start the stack.
 * With --nats: the same against a running, empty NATS of a deployment (then start the apps).
 */
async function restoreCmd(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'file', 'json', 'quiet', 'mac-key-file', 'replicas']);
  const key = macKeyFromArgs(a, env); // before anything starts: a backup is only restored when it verifies
  const { file, text } = readBackupFile(a, 'restore');
  const embedded = !opt(a, 'nats') && !env.NATS_URL;
  const t0 = Date.now();
  const say = (s: string) => { if (!flag(a, 'quiet')) process.stderr.write(`lbaasctl: ${s}\n`); };
  let nats: Awaited<ReturnType<typeof startEmbeddedNats>> | undefined;
  let nc: NatsConnection | undefined;
  try {
    // The backup must verify (HMAC under the operator key, checksum, sequences) before anything starts or is touched.
    parseBackup(text, key);
    if (embedded) {
      const cfg = loadEmbeddedConfig(env);
      if (await natsPortInUse(cfg.natsPort)) {
        process.stderr.write(`lbaasctl dr restore: something listens on 127.0.0.1:${cfg.natsPort}: stop the stack first (Ctrl-C on \`lbaasctl up\`)\n`);
        return 1;
      }
      const { identities } = ensureEmbeddedSecrets(cfg);
      say(`restoring into the embedded home ${cfg.home} (JetStream store ${embeddedFiles(cfg.home).jetstream})`);
      nats = await startEmbeddedNats(cfg);
      const r = envReader(env);
      const natsCfg = readNatsConfig(identityEnv(cfg, identities, 'operator'), r, { identity: 'operator' });
      r.done();
      nc = await connect({ ...natsConnectionOptions(natsCfg, 'lbaasctl'), timeout: 5_000 });
    } else {
      nc = await connectFromArgs(a, env);
    }
    // The operator's bootstrap first (buckets with the wanted replicas); the import then replaces its bare genesis
    // with the backup's stream, identity included. A store with any history is refused untouched.
    const seen = await observeEventStream(nc);
    if (seen.state === 'present' && seen.lastSeq > 1) {
      process.stderr.write(`lbaasctl dr restore: ${seen.identity ? `stream ${seen.identity.id}` : 'the event stream'} already holds ${seen.messages} messages: a restore only goes into an empty store`
        + `${embedded ? ` (stopped stack: remove ${embeddedFiles(loadEmbeddedConfig(env).home).jetstream} first)` : ''}; nothing was changed\n`);
      return 1;
    }
    await bootstrapEventStore(nc, { replicas: replicasOf(a) });
    const r = await importEventStream(nc, text, { key, replicas: replicasOf(a), onProgress: flag(a, 'quiet') ? undefined : progress('imported'), progressEvery: 20_000 });
    const next = embedded ? 'start the stack: sudo bash scripts/up.sh' : 'start the apps (api, scheduler, failover-watcher, agents)';
    out(flag(a, 'json') ? JSON.stringify({ file, ...r, ms: Date.now() - t0, next }) : `${imported(file, r, Date.now() - t0)}\nrestored; now ${next}`);
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`lbaasctl dr restore: ${err.message}; nothing was imported\n`);
      return 1;
    }
    throw err;
  } finally {
    await nc?.close().catch(() => undefined);
    await nats?.stop('SIGTERM');
  }
}

/** `lbaasctl snapshot`: replay and store a Catalog snapshot (HMAC-signed), so api and agent restarts replay only what came after. */
export async function snapshot(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'json', 'quiet', 'mac-key-file']);
  const key = macKeyFromArgs(a, env);
  const nc = await connectFromArgs(a, env);
  try {
    const catalog = await freshCatalog(nc, flag(a, 'quiet'));
    const bytes = await saveSnapshot(nc, CATALOG_SNAPSHOT, catalogCodec, catalog, catalog.seq, key);
    out(flag(a, 'json') ? JSON.stringify({ seq: catalog.seq, bytes }) : `snapshot ${CATALOG_SNAPSHOT} saved at seq ${catalog.seq} (${bytes} bytes, HMAC-signed)`);
    return 0;
  } finally {
    await nc.close();
  }
}
