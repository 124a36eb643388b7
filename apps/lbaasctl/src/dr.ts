import { createHash, randomUUID } from 'node:crypto';
import { closeSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { subjects } from '@lbaas/contracts';
import { BackupError, exportEventStream, importEventStream, saveSnapshot } from '@lbaas/event-store';
import { renderHaproxyConfig, RenderError } from '@lbaas/haproxy-config';
import {
  CATALOG_SNAPSHOT, catalogCodec, desiredStateFor, evolveCatalog, initialCatalog, isGone, lbProvisioningStatus, type Catalog,
} from '@lbaas/projections';
import type { NatsConnection } from 'nats';
import { flag, onlyKnown, opt, parseArgs, UsageError } from './args';
import { connectFromArgs, progress, replay } from './connection';
import { compareLb, verdict, type DriftResult, type ExpectedLb, type ObservedDigest } from './drift';

const out = (s: string) => process.stdout.write(s + '\n');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** `lbaasctl dr drill|export|import` */
export async function dr(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const [sub, ...rest] = argv;
  switch (sub) {
    case 'drill': return drill(rest, env);
    case 'export': return exportCmd(rest, env);
    case 'import': return importCmd(rest, env);
    default: throw new UsageError(`lbaasctl dr: expected drill, export or import, got ${JSON.stringify(sub ?? '')}`);
  }
}

/** Replays the whole stream into a fresh Catalog. */
async function freshCatalog(nc: NatsConnection, quiet: boolean): Promise<Catalog> {
  const catalog = initialCatalog();
  await replay(nc, (c) => evolveCatalog(catalog, c as Parameters<typeof evolveCatalog>[1]), { what: 'replaying', quiet });
  return catalog;
}

type DigestAnswer = { agentId: string; maxconnCap?: number; loadBalancers: Record<string, ObservedDigest & { statsSocket?: string }> };

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
 * every agent what it runs, report drift per load balancer. Exit 0 clean, 3 drift.
 */
async function drill(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'json', 'quiet', 'timeout-ms']);
  const quiet = flag(a, 'quiet');
  const nc = await connectFromArgs(a, env);
  try {
    const t0 = Date.now();
    // 1. The truth: a fresh replay of the whole history.
    const catalog = await freshCatalog(nc, quiet);
    // 2. What the agents run (every agent the history knows; a dead one simply does not answer).
    const agents = [...catalog.agents.agents.values()];
    if (!quiet) process.stderr.write(`lbaasctl: asking ${agents.length} agents for their config digests\n`);
    const answers = new Map<string, DigestAnswer | undefined>();
    await Promise.all(agents.map(async (ag) => answers.set(ag.agentId, await askAgent(nc, ag.agentId, Number(opt(a, 'timeout-ms') ?? 3000)))));
    // 3. Render and compare, per load balancer.
    const results: DriftResult[] = [];
    const lbs = [...catalog.loadBalancers.lbs.values()].filter((lb) => !isGone(lb));
    for (const [i, lb] of lbs.entries()) {
      const agentId = lb.placement?.agentId ?? null;
      const answer = agentId ? answers.get(agentId) : undefined;
      const observed = answer?.loadBalancers[lb.lbId];
      const expected = expectedFor(catalog, lb.lbId, agentId, observed?.statsSocket, answer?.maxconnCap);
      results.push(compareLb(expected, answer !== undefined, observed));
      if (!quiet && (i + 1) % 500 === 0) progress('compared')({ done: i + 1, total: lbs.length });
    }
    const v = verdict(results);
    if (flag(a, 'json')) {
      out(JSON.stringify({ clean: v.clean, seq: catalog.seq, ms: Date.now() - t0, agents: Object.fromEntries([...answers].map(([id, ans]) => [id, ans ? 'answered' : 'no answer'])), loadBalancers: results }, null, 2));
    } else {
      for (const r of results) out(`${r.ok ? 'ok   ' : 'DRIFT'} ${r.lbId} on ${r.agentId ?? '-'}${r.problems.length ? ': ' + r.problems.join('; ') : ''}`);
      for (const [id, ans] of answers) if (!ans) out(`note: agent ${id} did not answer (down, or not running)`);
      out(`${v.summary} (history up to seq ${catalog.seq}, ${Date.now() - t0} ms)`);
    }
    return v.exitCode;
  } finally {
    await nc.close();
  }
}

/** What the history says one LB's agent must run: the same renderer and digest as the agent (libs/projections). */
function expectedFor(catalog: Catalog, lbId: string, agentId: string | null, statsSocket: string | undefined, maxconnCap: number | undefined): ExpectedLb {
  const lb = catalog.loadBalancers.lbs.get(lbId)!;
  const base = { lbId, agentId, epoch: lb.placement?.epoch ?? 0, version: lb.version, vip: lb.vipAddress, deleted: lb.deleted !== null };
  if (!agentId) return { ...base, digest: null, renderProblem: 'not placed' };
  if (lbProvisioningStatus(lb) === 'ERROR') return { ...base, digest: null, renderProblem: `tree is in ERROR (${lb.rejected?.reason ?? lb.placementFailed ?? 'rejected'})` };
  const mappings = catalog.agents.agents.get(agentId)?.bridgeMappings ?? {};
  const d = desiredStateFor(catalog, agentId, mappings).loadBalancers.find((x) => x.lbId === lbId);
  if (!d) return { ...base, digest: null, renderProblem: 'not in the agent\'s desired state' };
  try {
    const cfg = renderHaproxyConfig(d, { statsSocket: statsSocket ?? `/run/lbaas/${agentId}/${lbId}/s.sock`, maxconnCap });
    return { ...base, digest: sha256(cfg), renderProblem: null };
  } catch (err) {
    if (err instanceof RenderError) return { ...base, digest: null, renderProblem: err.message };
    throw err;
  }
}

/** `lbaasctl dr export [--file F]`: the whole stream to a portable, checksummed backup file (JSON lines). */
async function exportCmd(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'file', 'json', 'quiet']);
  const file = opt(a, 'file') ?? `lbaas-backup-${new Date().toISOString().replace(/[:.]/g, '-')}.jsonl`;
  const nc = await connectFromArgs(a, env);
  const tmp = `${file}.partial`;
  const fd = openSync(tmp, 'w');
  const t0 = Date.now();
  let buf = '';
  try {
    const r = await exportEventStream(nc, (line) => {
      buf += line;
      if (buf.length > 1 << 20) { writeSync(fd, buf); buf = ''; }
    }, { now: new Date().toISOString(), onProgress: flag(a, 'quiet') ? undefined : progress('exported'), progressEvery: 20_000 });
    writeSync(fd, buf);
    closeSync(fd);
    renameSync(tmp, file); // only a complete file gets the real name
    const bytes = statSync(file).size;
    const res = { file, count: r.count, lastSeq: r.lastSeq, sha256: r.sha256, bytes, ms: Date.now() - t0 };
    out(flag(a, 'json') ? JSON.stringify(res) : `exported ${r.count} messages (seq 1..${r.lastSeq}) to ${file}: ${bytes} bytes, sha256 ${r.sha256}, ${res.ms} ms`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** `lbaasctl dr import --file F`: restores a backup into an empty store (new NATS). Refuses anything doubtful. */
async function importCmd(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'file', 'json', 'quiet']);
  const file = opt(a, 'file') ?? a.positional[0];
  if (!file) throw new UsageError('lbaasctl dr import: --file <backup> is required');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const nc = await connectFromArgs(a, env);
  const t0 = Date.now();
  try {
    const r = await importEventStream(nc, text, { onProgress: flag(a, 'quiet') ? undefined : progress('imported'), progressEvery: 20_000 });
    out(flag(a, 'json') ? JSON.stringify({ file, ...r, ms: Date.now() - t0 }) : `imported ${r.count} messages (seq 1..${r.lastSeq}) from ${file} in ${Date.now() - t0} ms`);
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

/** `lbaasctl snapshot`: replay and store a Catalog snapshot, so api and agent restarts replay only what came after. */
export async function snapshot(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['nats', 'json', 'quiet']);
  const nc = await connectFromArgs(a, env);
  try {
    const catalog = await freshCatalog(nc, flag(a, 'quiet'));
    const bytes = await saveSnapshot(nc, CATALOG_SNAPSHOT, catalogCodec, catalog, catalog.seq);
    out(flag(a, 'json') ? JSON.stringify({ seq: catalog.seq, bytes }) : `snapshot ${CATALOG_SNAPSHOT} saved at seq ${catalog.seq} (${bytes} bytes)`);
    return 0;
  } finally {
    await nc.close();
  }
}
