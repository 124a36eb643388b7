import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AppMetrics } from '@lbaas/app-shell';
import { parse as parseYaml } from 'yaml';
import { agentMetrics } from '../apps/agent/src/metrics';
import { apiMetrics } from '../apps/api/src/metrics';
import { watcherMetrics } from '../apps/failover-watcher/src/metrics';
import { schedulerObserver } from '../apps/scheduler/src/metrics';

/**
 * deploy/monitoring: the alert rules pass `promtool check rules` and their unit tests (`promtool test rules`: alerts
 * fire on the series that mean them); every expression of the rules and of the Grafana dashboard parses with
 * Prometheus' own parser (promtool, as recording rules) and names only metrics the apps really register (each app's
 * metric definitions, built here as main.ts builds them) or Prometheus' `up`.
 */
const DIR = resolve(__dirname, '..', 'deploy', 'monitoring');
const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool) console.warn('SKIPPED LOUDLY: promtool missing (apt-get install prometheus; install.sh --tests does): rules not checked by Prometheus');

const FUNCTIONS_AND_KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool',
  'sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile', 'stddev', 'stdvar', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'abs', 'histogram_quantile', 'max_over_time', 'min_over_time',
  'avg_over_time', 'sum_over_time', 'count_over_time', 'changes', 'resets', 'absent', 'absent_over_time', 'clamp_min', 'clamp_max',
  'label_replace', 'label_join', 'time', 'vector', 'scalar', 'round', 'ceil', 'floor', 'humanizePercentage',
]);

/** The metric names an expression uses: identifiers outside label matchers, ranges, strings and grouping lists. */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...stripped.matchAll(/(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)/g)].map((m) => m[1]);
  return [...new Set(names.filter((n) => !FUNCTIONS_AND_KEYWORDS.has(n) && !/^\d/.test(n)))];
}

/** Every series name the four apps register (histograms as _bucket, _sum, _count), as their main.ts build them. */
async function exported(): Promise<Set<string>> {
  const state = mkdtempSync(join(tmpdir(), 'lbaas-metrics-inventory-'));
  const registries: AppMetrics[] = [];
  const api = new AppMetrics('api');
  apiMetrics(api);
  const scheduler = new AppMetrics('scheduler');
  schedulerObserver(scheduler);
  const watcher = new AppMetrics('failover-watcher');
  watcherMetrics(watcher, () => null);
  const agent = new AppMetrics('agent', { agent_id: 'inventory' });
  const agentSide = agentMetrics(agent, { stateDir: state, desired: () => ({ agentId: 'inventory', loadBalancers: [] }) });
  registries.push(api, scheduler, watcher, agent);
  const names = new Set<string>(['up']);
  for (const m of registries) {
    for (const f of await m.registry.getMetricsAsJSON()) {
      if (f.type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${f.name}${s}`);
      else if (f.type === 'summary') for (const s of ['', '_sum', '_count']) names.add(`${f.name}${s}`);
      else names.add(f.name);
    }
  }
  agentSide.stop();
  rmSync(state, { recursive: true, force: true });
  return names;
}

type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string> };
const rules = (): Rule[] => (parseYaml(readFileSync(join(DIR, 'lbaas-alerts.yml'), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
type Panel = { type: string; title: string; id: number; targets?: { expr: string }[]; panels?: Panel[] };
const dashboard = () => JSON.parse(readFileSync(join(DIR, 'lbaas-dashboard.json'), 'utf8')) as {
  uid: string; panels: Panel[]; templating: { list: { name: string; query?: string | { query: string } }[] };
};
const dashboardExprs = () => {
  const d = dashboard();
  const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  return [
    ...panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
    ...d.templating.list.flatMap((v) => {
      const q = typeof v.query === 'string' ? v.query : v.query?.query;
      const m = q && /^label_values\((\w+),/.exec(q);
      return m ? [{ where: `variable $${v.name}`, expr: m[1] }] : [];
    }),
  ];
};

describe('deploy/monitoring', () => {
  let names: Set<string>;
  beforeAll(async () => { names = await exported(); });

  it('the metric-name extraction finds what an expression names, and nothing else', () => {
    expect(metricNames('sum by (le, instance) (rate(lbaas_http_request_duration_seconds_bucket{status=~"5..",route="/x"}[5m])) / on(instance) up > 0.5'))
      .toEqual(['lbaas_http_request_duration_seconds_bucket', 'up']);
    expect(metricNames('max_over_time(lbaas_wall_clock_offset_seconds[10m]) - min_over_time(lbaas_wall_clock_offset_seconds[10m]) > 5'))
      .toEqual(['lbaas_wall_clock_offset_seconds']);
    expect(names.has('lbaas_agent_lease_held') && names.has('lbaas_http_request_duration_seconds_bucket') && !names.has('lbaas_no_such_metric')).toBe(true);
  });

  it('every alert rule and dashboard expression names only metrics the apps export (and names one)', () => {
    const exprs = [...rules().map((r) => ({ where: `alert ${r.alert ?? r.record}`, expr: r.expr })), ...dashboardExprs()];
    expect(exprs.length).toBeGreaterThan(30);
    const unknown = exprs.flatMap((e) => metricNames(e.expr).filter((n) => !names.has(n)).map((n) => `${e.where}: ${n}`));
    expect(unknown).toEqual([]);
    expect(exprs.filter((e) => metricNames(e.expr).length === 0).map((e) => e.where)).toEqual([]);
    // the dashboard shows the figures: HTTP by route/status, appends, lag, reconcile, haproxy, lease, placements, agents
    const used = new Set(exprs.flatMap((e) => metricNames(e.expr)));
    for (const must of [
      'lbaas_http_request_duration_seconds_bucket', 'lbaas_event_store_appends_total', 'lbaas_event_store_append_seconds_bucket', 'lbaas_projection_lag',
      'lbaas_agent_reconcile_seconds_bucket', 'lbaas_agent_reconcile_outcomes_total', 'lbaas_agent_haproxy_reloads_total',
      'lbaas_agent_haproxy_runtime_changes_total', 'lbaas_agent_lease_held', 'lbaas_agent_lease_lapses_total', 'lbaas_scheduler_placements_total',
      'lbaas_scheduler_failovers_total', 'lbaas_watcher_agents', 'lbaas_nats_connected', 'lbaas_ready', 'lbaas_wall_clock_offset_seconds',
      // the faults of issue 12: a refused node, a full disk, no leader
      'lbaas_stream_replicas', 'lbaas_stream_leader_known', 'lbaas_event_store_append_errors_total',
    ]) expect([must, used.has(must)]).toEqual([must, true]);
  });

  it('the dashboard is a Grafana dashboard: unique panel ids, a Prometheus datasource variable, targets on every graph', () => {
    const d = dashboard();
    const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    expect(d.uid).toBe('lbaas-overview');
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    expect(d.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    expect(panels.filter((p) => p.type !== 'row' && !(p.targets ?? []).length).map((p) => p.title)).toEqual([]);
  });

  (promtool ? it : it.skip)('promtool: the rules check, their unit tests pass, and every dashboard expression parses', () => {
    const check = spawnSync('promtool', ['check', 'rules', join(DIR, 'lbaas-alerts.yml')], { encoding: 'utf8' });
    expect([check.status, `${check.stdout}${check.stderr}`]).toEqual([0, expect.stringMatching(/SUCCESS: \d+ rules found/)]);
    const test = spawnSync('promtool', ['test', 'rules', 'lbaas-alerts.test.yml'], { cwd: DIR, encoding: 'utf8' });
    expect([test.status, `${test.stdout}${test.stderr}`]).toEqual([0, expect.stringContaining('SUCCESS')]);
    // Prometheus' parser over the dashboard: each expression as a recording rule
    const dir = mkdtempSync(join(tmpdir(), 'lbaas-dash-rules-'));
    try {
      const file = join(dir, 'dashboard-exprs.yml');
      const recs = dashboardExprs().map((e, i) => `      - record: lbaas_dashboard_expr_${i}\n        expr: ${JSON.stringify(e.expr)}`);
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${recs.join('\n')}\n`);
      const dash = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
      expect([dash.status, `${dash.stdout}${dash.stderr}`]).toEqual([0, expect.stringContaining(`SUCCESS: ${recs.length} rules found`)]);
      // and a broken expression fails the same check (the check can fail)
      writeFileSync(file, 'groups:\n  - name: broken\n    rules:\n      - record: x\n        expr: "sum(rate(lbaas_ready[5m])"\n');
      expect(spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' }).status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
