import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { EVENT_STREAM, kvBucket, objectBucket, SECRETS_BUCKET, SNAPSHOT_BUCKET } from '@lbaas/contracts';
import { observeEventStream, type StreamObservation } from '@lbaas/event-store';
import { flag, onlyKnown, opt, parseArgs, UsageError } from './args';
import { connectFromArgs } from './connection';
import { embeddedHome } from './embedded-config';
import type { ProcessStatus, SupervisorStatus } from './supervisor';

type Ready = { status?: string; appliedSeq?: number; streamLastSeq?: number | null; lag?: number | null; natsConnected?: boolean };
type Agent = { id: string; host: string; alive: boolean; admin_state_up: boolean };

/** What `lbaasctl status` reports (its --json). */
export type StackStatus = {
  supervisor: { pid: number; alive: boolean; startedAt: string } | null;
  processes: (ProcessStatus & { alive: boolean; uptimeS: number | null; ready: boolean | null; appliedSeq: number | null; lag: number | null })[];
  agents: { id: string; host: string; alive: boolean; adminStateUp: boolean; loadBalancers: number }[] | { error: string };
  /** The event stream: its identity (first message), length, last DR restore, replicas and raft leader. */
  stream: (StreamObservation & {
    name: string; replicas: number | null; leader: string | null;
    /** The other replicas: current or how many messages behind (a dead node, a full disk). */
    followers: { name: string; current: boolean; lag: number | null }[];
  }) | { error: string };
  /** Messages in the secrets bucket and the snapshot store (null: missing). */
  secretsBucket: { name: string; messages: number | null } | null;
  snapshotStore: { name: string; messages: number | null } | null;
};

const alivePid = (pid: number | null) => {
  if (!pid) return false;
  try { process.kill(pid, 0); return true; } catch { return false; }
};

async function getJson<T>(url: string, timeoutMs = 2_000): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const text = await res.text();
  if (!res.ok && res.status !== 503) throw new Error(`${url}: HTTP ${res.status}`);
  return JSON.parse(text) as T;
}

/** Everything `lbaasctl status` shows, gathered from the supervisor's file, each app's /readyz, the api and NATS. */
export async function gatherStatus(o: { home: string; api?: string; natsArgs: string[]; env: Record<string, string | undefined> }): Promise<StackStatus> {
  const file = join(o.home, 'supervisor.json');
  const sup = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as SupervisorStatus : null;
  const now = Date.now();
  const processes = await Promise.all((sup?.processes ?? []).map(async (p) => {
    const alive = p.running && alivePid(p.pid);
    const ready = p.metricsPort && alive ? await getJson<Ready>(`http://127.0.0.1:${p.metricsPort}/readyz`).catch(() => null) : null;
    return {
      ...p, alive, uptimeS: alive ? Math.round((now - Date.parse(p.startedAt)) / 1000) : null,
      ready: ready ? ready.status === 'ok' : null, appliedSeq: ready?.appliedSeq ?? null, lag: ready?.lag ?? null,
    };
  }));
  const api = o.api ?? (sup?.extra.api as string | undefined) ?? 'http://127.0.0.1:9876';
  let agents: StackStatus['agents'];
  try {
    const list = (await getJson<{ agents: Agent[] }>(`${api}/v2.0/agents`)).agents;
    agents = await Promise.all(list.map(async (a) => ({
      id: a.id, host: a.host, alive: a.alive, adminStateUp: a.admin_state_up,
      loadBalancers: (await getJson<{ loadbalancers: unknown[] }>(`${api}/v2.0/agents/${encodeURIComponent(a.id)}/agent-loadbalancers`)).loadbalancers.length,
    })));
  } catch (err) {
    agents = { error: `the api at ${api} did not answer: ${err instanceof Error ? err.message : String(err)}` };
  }
  let stream: StackStatus['stream'];
  let secretsBucket: StackStatus['secretsBucket'] = null;
  let snapshotStore: StackStatus['snapshotStore'] = null;
  try {
    const nc = await connectFromArgs(parseArgs(o.natsArgs, new Set()), o.env);
    try {
      const seen = await observeEventStream(nc);
      const jsm = await nc.jetstreamManager({ timeout: 2_000, checkAPI: false });
      const info = seen.state === 'missing' ? undefined : await jsm.streams.info(EVENT_STREAM).catch(() => undefined);
      stream = {
        name: EVENT_STREAM, ...seen, replicas: info?.config.num_replicas ?? null, leader: info?.cluster?.leader ?? null,
        followers: (info?.cluster?.replicas ?? []).map((r) => ({ name: r.name, current: r.current, lag: r.lag ?? null })),
      };
      const count = async (s: string) => (await jsm.streams.info(s).catch(() => undefined))?.state.messages ?? null;
      secretsBucket = { name: SECRETS_BUCKET, messages: await count(kvBucket(SECRETS_BUCKET).stream) };
      snapshotStore = { name: SNAPSHOT_BUCKET, messages: await count(objectBucket(SNAPSHOT_BUCKET).stream) };
    } finally {
      await nc.close();
    }
  } catch (err) {
    stream = { error: err instanceof Error ? err.message : String(err) };
  }
  return {
    supervisor: sup ? { pid: sup.supervisorPid, alive: alivePid(sup.supervisorPid), startedAt: sup.startedAt } : null, processes, agents, stream,
    secretsBucket, snapshotStore,
  };
}

const dur = (s: number | null) => (s === null ? '-' : s < 120 ? `${s}s` : s < 7200 ? `${Math.floor(s / 60)}m${s % 60}s` : `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`);
const table = (rows: string[][]) => {
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => `  ${r.map((c, i) => c.padEnd(w[i])).join('  ')}`.trimEnd()).join('\n');
};

/** Renders a StackStatus for people. */
export function renderStatus(s: StackStatus): string {
  const out: string[] = [];
  out.push(s.supervisor
    ? `lbaasctl up: pid ${s.supervisor.pid} (${s.supervisor.alive ? 'running' : 'not running'}), since ${s.supervisor.startedAt}`
    : 'lbaasctl up: no supervisor status file (is the embedded stack up? --home)');
  if (s.processes.length) {
    out.push('processes:', table([['NAME', 'ROLE', 'PID', 'STATE', 'RESTARTS', 'UPTIME', 'READY', 'APPLIED', 'LAG'], ...s.processes.map((p) => [
      p.name, p.role, p.alive ? String(p.pid) : '-', p.alive ? 'running' : p.restartAt ? `restarting at ${p.restartAt.slice(11, 19)}` : 'stopped',
      String(p.restarts), dur(p.uptimeS), p.ready === null ? '-' : p.ready ? 'yes' : 'no', p.appliedSeq === null ? '-' : String(p.appliedSeq),
      p.lag === null ? '-' : String(p.lag),
    ])]));
  }
  if ('error' in s.agents) out.push(`agents: ${s.agents.error}`);
  else out.push('agents:', table([['AGENT', 'HOST', 'ALIVE', 'ADMIN', 'LBS'], ...s.agents.map((a) => [a.id, a.host, a.alive ? 'yes' : 'NO', a.adminStateUp ? 'up' : 'down', String(a.loadBalancers)])]));
  const st = s.stream;
  if ('error' in st) out.push(`stream: ${st.error}`);
  else if (st.state === 'missing') out.push(`${st.name}: missing (the operator creates it: lbaasctl bootstrap, or lbaasctl dr restore)`);
  else {
    out.push(`${st.name}: stream ${st.identity?.id ?? '(no identity yet)'}${st.identity?.createdAt ? ` created ${st.identity.createdAt}` : ''}, `
      + `${st.messages} messages up to seq ${st.lastSeq}, ${st.replicas ?? '?'} replica(s)${st.leader ? `, leader ${st.leader}` : ''}`);
    if (st.followers.length) out.push(`  followers: ${st.followers.map((f) => `${f.name} ${f.current ? 'current' : `behind${f.lag ? ` by ${f.lag}` : ''}`}`).join(', ')}`);
    if (st.restore) out.push(`  restored ${st.restore.restoredAt} from a backup up to seq ${st.restore.lastSeq}`);
  }
  const bucket = (b: { name: string; messages: number | null } | null) => b && `${b.name}: ${b.messages === null ? 'missing' : `${b.messages} messages`}`;
  if (s.secretsBucket && s.snapshotStore) out.push(`${bucket(s.secretsBucket)}; ${bucket(s.snapshotStore)}`);
  return `${out.join('\n')}\n`;
}

/** `lbaasctl status [--home D] [--api URL] [--nats URL] [--json]`. */
export async function status(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const a = parseArgs(argv, new Set(['json', 'quiet']));
  onlyKnown(a, ['home', 'api', 'nats', 'json', 'quiet']);
  if (a.positional.length) throw new UsageError(`status takes no arguments, got ${a.positional.join(' ')}`);
  const home = opt(a, 'home') ? resolve(opt(a, 'home') as string) : embeddedHome(env);
  env = { ...env, LBAAS_HOME: home }; // the operator identity of that home, unless the environment names one
  const natsArgs = opt(a, 'nats') ? ['--nats', opt(a, 'nats') as string] : [];
  const s = await gatherStatus({ home, api: opt(a, 'api'), natsArgs, env: natsArgs.length || env.NATS_URL ? env : { ...env, NATS_URL: statusNats(home) } });
  process.stdout.write(flag(a, 'json') ? `${JSON.stringify(s, null, 2)}\n` : renderStatus(s));
  return s.supervisor?.alive === false || ('state' in s.stream && s.stream.state === 'missing') ? 1 : 0;
}

/** The embedded stack's NATS URL from its status file, if any. */
function statusNats(home: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(home, 'supervisor.json'), 'utf8')) as SupervisorStatus).extra.nats as string | undefined;
  } catch {
    return undefined;
  }
}
