// parse-prometheus-text-format ships no types: a real parser of the exposition format (prom2json-compatible output).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parse = require('parse-prometheus-text-format') as (text: string) => PromFamily[];

/** One metric family as the parser returns it. */
export type PromFamily = {
  name: string;
  help: string;
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
  metrics: { labels?: Record<string, string>; value?: string; buckets?: Record<string, string>; count?: string; sum?: string }[];
};

/** Parses exposition text into families by name (throws on text the parser rejects). */
export function parseExposition(text: string): Map<string, PromFamily> {
  return new Map(parse(text).map((f) => [f.name, f]));
}

/** GET http://127.0.0.1:<port>/metrics, parsed. */
export async function scrape(port: number, host = '127.0.0.1'): Promise<Map<string, PromFamily>> {
  const res = await fetch(`http://${host}:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`/metrics on ${port}: HTTP ${res.status}`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** The value of one series (labels matched exactly on the given keys), or undefined. */
export function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const m = families.get(name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  if (!m) return undefined;
  return Number(m.value ?? m.count);
}

/** The sum over every series of a family (e.g. a counter across its labels). */
export const total = (families: Map<string, PromFamily>, name: string): number =>
  (families.get(name)?.metrics ?? []).reduce((s, m) => s + Number(m.value ?? m.count ?? 0), 0);

/**
 * Checks exposition text with Prometheus' own parser and linter (`promtool check metrics`, Debian's prometheus
 * package): a parse error fails; lint findings fail unless they are about prom-client's default process metrics
 * (`lbaas_nodejs_active_*_total` gauges, which prom-client names so). Skipped, loudly, without promtool.
 */
export async function promtoolCheck(text: string): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) { console.warn(`promtool not found (apt-get install prometheus): exposition not checked by Prometheus' parser`); return; }
  const findings = `${r.stdout}${r.stderr}`.split('\n').map((l) => l.trim()).filter(Boolean);
  const ours = findings.filter((l) => !/^lbaas_nodejs_active_\w+_total non-counter metrics should not have "_total" suffix$/.test(l));
  expect({ status: r.status === 0 || ours.length === 0 ? 'ok' : r.status, findings: ours }).toEqual({ status: 'ok', findings: [] });
}

/**
 * The samples of `name` (a histogram's `_count`, `_bucket`, ...) whose labels include `labels`, read from the text
 * line by line: parse-prometheus-text-format 1.1.1 merges the series of a labelled histogram into one.
 */
export function seriesValues(text: string, name: string, labels: Record<string, string>): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2].matchAll(/([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out.push(Number(m[3]));
  }
  return out;
}
