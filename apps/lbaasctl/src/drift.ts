/** What an agent says it runs for one load balancer (the `digest` query's answer, per LB). */
export type ObservedDigest = Readonly<{
  version?: number; epoch?: number; config: string | null; loaded: string | null; running: boolean;
  addresses?: readonly string[]; pid?: number | null;
}>;

/** What the replayed history says must run for one load balancer. */
export type ExpectedLb = Readonly<{
  lbId: string; agentId: string | null; epoch: number; version: number; vip: string; digest: string | null;
  /** Why nothing can be rendered (rejected tree, unknown subnet): then only placement is checked. */
  renderProblem: string | null;
  deleted: boolean;
}>;

/** One line of the drill's report. */
export type DriftResult = Readonly<{ lbId: string; agentId: string | null; ok: boolean; problems: string[] }>;

/**
 * Compares the expected state of one load balancer with what its agent reported (undefined: the agent did not
 * answer, or does not know the LB). Pure; the drill's verdict is the conjunction of every result.
 */
export function compareLb(e: ExpectedLb, agentAnswered: boolean, o: ObservedDigest | undefined): DriftResult {
  const problems: string[] = [];
  const result = () => ({ lbId: e.lbId, agentId: e.agentId, ok: problems.length === 0, problems });
  if (e.deleted) return result();
  if (!e.agentId) { problems.push('not placed on any agent'); return result(); }
  if (!agentAnswered) { problems.push(`agent ${e.agentId} did not answer`); return result(); }
  if (!o) { problems.push(`agent ${e.agentId} does not run it`); return result(); }
  if (o.epoch !== undefined && o.epoch !== e.epoch) problems.push(`agent holds epoch ${o.epoch}, history says ${e.epoch}`);
  if (o.version !== undefined && o.version !== e.version) problems.push(`agent's desired version ${o.version}, history says ${e.version}`);
  if (e.renderProblem) { problems.push(`cannot be rendered: ${e.renderProblem}`); return result(); }
  if (o.config !== e.digest) problems.push(`config on disk ${short(o.config)} ≠ rendered ${short(e.digest)}`);
  if (o.loaded !== e.digest) problems.push(`haproxy loaded ${short(o.loaded)} ≠ rendered ${short(e.digest)}`);
  if (!o.running) problems.push('haproxy is not running');
  if (o.addresses && !o.addresses.some((a) => a.split('/')[0] === e.vip)) problems.push(`VIP ${e.vip} is not plugged (has ${o.addresses.join(', ') || 'none'})`);
  return result();
}

const short = (d: string | null) => (d ? d.slice(0, 12) : 'none');

/** The drill's summary line and exit status: 0 clean, 3 drift. */
export function verdict(results: readonly DriftResult[]): { clean: boolean; summary: string; exitCode: number } {
  const bad = results.filter((r) => !r.ok).length;
  return bad === 0
    ? { clean: true, summary: `clean: ${results.length} load balancers match their history`, exitCode: 0 }
    : { clean: false, summary: `drift: ${bad} of ${results.length} load balancers differ from their history`, exitCode: 3 };
}
