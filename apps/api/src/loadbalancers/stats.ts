import type { LoadBalancerView } from '@lbaas/projections';
import type { AgentQueries } from '../http/agent-queries';

/** Octavia's statistics object. */
export type Stats = { bytes_in: number; bytes_out: number; active_connections: number; total_connections: number; request_errors: number };

const zero = (): Stats => ({ bytes_in: 0, bytes_out: 0, active_connections: 0, total_connections: 0, request_errors: 0 });
const num = (s: unknown): number => (typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : typeof s === 'number' ? s : 0);

/**
 * The counters of each listener of `lb` from haproxy's `show stat` rows, as the hosting agent answers the `stats` query
 * (`{ loadBalancers: { <lbId>: [ {pxname, svname, bin, bout, scur, stot, ereq, ...} ] } }`): one FRONTEND row per listener.
 */
export function listenerStats(lb: LoadBalancerView, answer: unknown): Map<string, Stats> {
  const out = new Map<string, Stats>([...lb.listeners.keys()].map((id) => [id, zero()]));
  const rows = (answer as { loadBalancers?: Record<string, unknown> } | null)?.loadBalancers?.[lb.lbId];
  if (!Array.isArray(rows)) return out;
  for (const r of rows as Record<string, unknown>[]) {
    const s = typeof r.pxname === 'string' && r.svname === 'FRONTEND' ? out.get(r.pxname) : undefined;
    if (!s) continue;
    s.bytes_in = num(r.bin); s.bytes_out = num(r.bout); s.active_connections = num(r.scur); s.total_connections = num(r.stot); s.request_errors = num(r.ereq);
  }
  return out;
}

/** The sum over listeners (the load balancer's statistics). */
export const sumStats = (all: Iterable<Stats>): Stats => {
  const t = zero();
  for (const s of all) for (const k of Object.keys(t) as (keyof Stats)[]) t[k] += s[k];
  return t;
};

/** How long the api waits for the hosting agent; without an answer the counters read as zero (like a fresh Octavia LB). */
const STATS_TIMEOUT_MS = 2_000;

/** Live counters of `lb`, asked from its hosting agent over NATS request/reply; zeros when it is not placed or silent. */
export async function fetchStats(lb: LoadBalancerView, ask: AgentQueries): Promise<Map<string, Stats>> {
  if (!lb.placement) return listenerStats(lb, null);
  const answer = await ask(lb.placement.agentId, 'stats', { lbId: lb.lbId }, STATS_TIMEOUT_MS).catch(() => null);
  return listenerStats(lb, answer);
}
