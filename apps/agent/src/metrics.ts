import type { AppMetrics } from '@lbaas/app-shell';
import type { DesiredState } from '@lbaas/projections';
import { leaseHeld, monotonicMs, readLease } from './fencing';
import type { ReconcilerOptions } from './reconciler';

/** Action kinds that change a running haproxy over its runtime API (issue 14's member changes), not by a reload. */
const RUNTIME = /^(Runtime|SetServer|AddServer|DelServer|DeleteServer|DrainServer)/;

/** What the agent's metrics read. */
export type AgentMetricsSources = Readonly<{
  stateDir: string;
  desired: () => DesiredState;
}>;

/**
 * The agent's metrics: reconcile runs (duration, reason) and per-LB outcomes (converged, retry, rejected), host
 * actions by kind with haproxy reloads and runtime changes on their own, the lease (held, time left, lapses: polled
 * from the lease file the host watchdog reads too, so they agree), and the load balancers it hosts.
 */
export function agentMetrics(m: AppMetrics, src: AgentMetricsSources) {
  const runs = m.histogram('lbaas_agent_reconcile_seconds', 'Reconcile runs of one load balancer (observe, plan, apply), by what woke it (start, commit, resync, retry, resume, agent down, ...)', ['reason']);
  const outcomes = m.counter('lbaas_agent_reconcile_outcomes_total', 'Per load balancer and run: converged, retry (transient, again soon) or rejected (haproxy -c said no)', ['outcome']);
  const actions = m.counter('lbaas_agent_host_actions_total', 'Host actions applied, by kind (CreateNetns, PlugVip, WriteConfig, StartHaproxy, Reload, ...) and result', ['kind', 'result']);
  const reloads = m.counter('lbaas_agent_haproxy_reloads_total', 'haproxy reloads through the master process, by result', ['result']);
  const runtime = m.counter('lbaas_agent_haproxy_runtime_changes_total', 'Changes applied to a running haproxy over its runtime API (no reload), by result', ['result']);
  const lapses = m.counter('lbaas_agent_lease_lapses_total', 'Times the lease lapsed (no NATS round trip for LEASE_MS): the VIPs were withdrawn');
  for (const outcome of ['converged', 'retry', 'rejected']) outcomes.inc({ outcome }, 0);
  for (const result of ['ok', 'error']) { reloads.inc({ result }, 0); runtime.inc({ result }, 0); }
  lapses.inc(0);
  let held: boolean | null = null;
  const lease = () => {
    const l = readLease(src.stateDir);
    const now = leaseHeld(l, Date.now(), monotonicMs());
    if (held === true && !now) lapses.inc();
    held = now;
    return l;
  };
  const poll = setInterval(lease, 200);
  poll.unref();
  m.gauge('lbaas_agent_lease_held', '1 while the agent holds its lease (may answer on its VIPs), else 0', [], (g) => { lease(); g.set(held ? 1 : 0); });
  m.gauge('lbaas_agent_lease_remaining_seconds', 'Seconds until the lease runs out unless renewed (negative: lapsed that long ago)', [], (g) => {
    const l = lease();
    if (l) g.set(((l.untilMono ?? monotonicMs() + (l.until - Date.now())) - monotonicMs()) / 1000);
  });
  m.gauge('lbaas_agent_load_balancers', 'Load balancers placed on this agent, by state (active: to serve, deleting: to tear down)', ['state'], (g) => {
    const lbs = src.desired().loadBalancers;
    g.set({ state: 'active' }, lbs.filter((d) => !d.deleted).length);
    g.set({ state: 'deleting' }, lbs.filter((d) => d.deleted).length);
  });

  return {
    /** For AgentRuntime.observeReconcile. */
    observeReconcile: ((run) => {
      runs.observe({ reason: run.reason }, run.seconds);
      for (const o of run.outcomes) outcomes.inc({ outcome: o.kind });
    }) satisfies NonNullable<ReconcilerOptions['observe']>,
    /** Wraps the host so every apply is counted by kind (reloads and runtime changes also on their own). */
    instrument<H extends { apply(a: { kind: string }): Promise<void> }>(host: H): H {
      const apply = host.apply.bind(host);
      return new Proxy(host, {
        get(target, prop, receiver) {
          if (prop !== 'apply') return Reflect.get(target, prop, receiver);
          return async (a: { kind: string }) => {
            const count = (result: 'ok' | 'error') => {
              actions.inc({ kind: a.kind, result });
              if (a.kind === 'Reload') reloads.inc({ result });
              if (RUNTIME.test(a.kind)) runtime.inc({ result });
            };
            try {
              await apply(a);
              count('ok');
            } catch (err) {
              count('error');
              throw err;
            }
          };
        },
      });
    },
    stop: () => clearInterval(poll),
  };
}
