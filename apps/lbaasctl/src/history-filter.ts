import { parseEventSubject } from '@lbaas/contracts';
import { UsageError } from './args';

/** A commit as the history tools see it (stored, upcast). */
export type HistoryCommit = Readonly<{
  seq: number; subject: string; commitId: string; at: string;
  actor: Readonly<Record<string, unknown>>;
  events: readonly Readonly<{ type: string; v: number; data: unknown }>[];
}>;

/** A point of the history: a stream sequence or an instant. */
export type Point = { kind: 'seq'; seq: number } | { kind: 'time'; at: number; text: string };

/** What `lbaasctl events` keeps. Every field narrows; an empty filter keeps everything. */
export type HistoryFilter = Readonly<{
  projectId?: string;
  /** A load balancer (its whole tree, and its VIP on the subnet) or one child id (the commits that name it). */
  lbId?: string;
  types?: readonly string[];
  from?: Point;
  to?: Point;
}>;

/** `123` is a sequence; anything else must be an ISO-8601 time (`2026-11-25T10:00:00Z`) or `-5m`/`-2h`/`-1d` before now. */
export function parsePoint(text: string, now: number): Point {
  if (/^\d+$/.test(text)) return { kind: 'seq', seq: Number(text) };
  const rel = /^-(\d+)([smhd])$/.exec(text);
  if (rel) return { kind: 'time', at: now - Number(rel[1]) * { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[rel[2] as 's'] , text };
  const t = Date.parse(text);
  if (!/^\d{4}-\d\d-\d\d/.test(text) || Number.isNaN(t)) throw new UsageError(`${JSON.stringify(text)} is neither a sequence number nor an ISO-8601 time (or -30m, -2h, -1d)`);
  return { kind: 'time', at: t, text };
}

/** True once the commit lies after `to`: a replay may stop there (sequences and commit times only grow). */
export function pastEnd(f: HistoryFilter, c: HistoryCommit): boolean {
  if (!f.to) return false;
  return f.to.kind === 'seq' ? c.seq > f.to.seq : Date.parse(c.at) > f.to.at;
}

const inRange = (f: HistoryFilter, c: HistoryCommit): boolean => {
  if (f.from && (f.from.kind === 'seq' ? c.seq < f.from.seq : Date.parse(c.at) < f.from.at)) return false;
  return !pastEnd(f, c);
};

/**
 * Learns which load balancer owns which child and which project owns which load balancer, as the replay goes,
 * so a filter by project or by a child id works on commits that carry only ids.
 */
export class HistoryIndex {
  readonly lbProject = new Map<string, string>();
  readonly owner = new Map<string, string>();
  learn(c: HistoryCommit): void {
    const target = parseEventSubject(c.subject);
    if (target?.aggregate !== 'lb') return;
    for (const e of c.events) {
      const d = (e.data ?? {}) as Record<string, unknown>;
      if (e.type === 'LoadBalancerCreated' && typeof d.projectId === 'string') this.lbProject.set(target.id, d.projectId);
      for (const k of ['listenerId', 'poolId', 'memberId', 'healthMonitorId']) {
        if (typeof d[k] === 'string' && e.type.endsWith('Created')) this.owner.set(d[k] as string, target.id);
      }
    }
  }
}

/** The load balancer a commit belongs to: its subject's, or the lbId its events name (VIP allocations on a subnet). */
export function lbOf(c: HistoryCommit): string | undefined {
  const t = parseEventSubject(c.subject);
  if (t?.aggregate === 'lb') return t.id;
  for (const e of c.events) {
    const id = (e.data as { lbId?: unknown } | null)?.lbId;
    if (typeof id === 'string') return id;
  }
  return undefined;
}

const CHILD_KEYS = ['listenerId', 'poolId', 'memberId', 'healthMonitorId', 'defaultPoolId'];

/** Does the commit pass the filter? (Call `index.learn(c)` first, for every commit in order.) */
export function matches(f: HistoryFilter, c: HistoryCommit, index: HistoryIndex): boolean {
  if (!inRange(f, c)) return false;
  if (f.types && f.types.length > 0 && !c.events.some((e) => f.types!.includes(e.type))) return false;
  const lb = lbOf(c);
  if (f.lbId) {
    // A child id (known once created) selects the commits that name it; a load-balancer id its whole tree.
    if (index.owner.has(f.lbId)) {
      if (!c.events.some((e) => CHILD_KEYS.some((k) => (e.data as Record<string, unknown> | null)?.[k] === f.lbId))) return false;
    } else if (lb !== f.lbId) return false;
  }
  if (f.projectId) {
    const project = (lb && index.lbProject.get(lb))
      ?? c.events.map((e) => (e.data as { projectId?: unknown } | null)?.projectId).find((p) => typeof p === 'string')
      ?? (c.actor.projectId as string | undefined);
    if (project !== f.projectId) return false;
  }
  return true;
}

/** Keeps only the events of the wanted types inside a matching commit (the rest of the commit is context). */
export function selectEvents(f: HistoryFilter, c: HistoryCommit): HistoryCommit {
  if (!f.types || f.types.length === 0) return c;
  return { ...c, events: c.events.filter((e) => f.types!.includes(e.type)) };
}

/** One human line per event: `#seq time aggregate/id Type vN  by who (request, address) operation`. */
export function formatCommit(c: HistoryCommit): string[] {
  const t = parseEventSubject(c.subject);
  const where = t ? `${t.aggregate}/${t.id}` : c.subject;
  const a = c.actor as { kind?: string; service?: string; projectId?: string; userId?: string; roles?: string[]; requestId?: string; clientAddress?: string; operation?: string };
  const who = a.kind === 'user'
    ? `${a.projectId ?? '-'}/${a.userId ?? '-'} [${(a.roles ?? []).join(',')}] ${a.requestId ?? ''} from ${a.clientAddress ?? '?'} ${a.operation ?? ''}`.replace(/\s+/g, ' ').trim()
    : `${a.service ?? 'service'}`;
  return c.events.map((e) => `#${c.seq}  ${c.at}  ${where}  ${e.type} v${e.v}  by ${who}`);
}

/** Why a range matched nothing: says what the stream holds. */
export function emptyRangeMessage(f: HistoryFilter, first: HistoryCommit | undefined, last: HistoryCommit | undefined): string {
  const show = (p?: Point) => (!p ? '…' : p.kind === 'seq' ? `seq ${p.seq}` : new Date(p.at).toISOString());
  const holds = first && last ? `the stream holds seq ${first.seq}..${last.seq} (${first.at} .. ${last.at})` : 'the stream is empty';
  return `no events in ${show(f.from)} .. ${show(f.to)}: ${holds}`;
}
