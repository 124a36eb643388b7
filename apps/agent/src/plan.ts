import { createHash } from 'node:crypto';
import { renderHaproxyConfig, RenderError } from '@lbaas/haproxy-config';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import { hostVethName, lbPaths, netnsName } from './layout';
import { refusedReason } from './parse';
import { certFilesFor, type CertFiles } from './tls-certs';

/** What the host looks like for one LB (observed, never remembered; `owned` comes from this agent's state dir). */
export type ObservedLb = {
  lbId: string;
  /** This agent's state dir records that it created this LB's namespace. */
  owned: boolean;
  netns: boolean;
  /** Plumbing facts; null when the namespace does not exist. */
  plumbing: {
    hostIfMaster: string | null; hostIfUp: boolean; vipIfUp: boolean; loUp: boolean;
    addresses: string[]; defaultVia: string | null; nonlocalBind: boolean;
  } | null;
  /** sha256 of haproxy.cfg on disk, null when absent. */
  configDigest: string | null;
  /** The master process from the pid file, if alive; `inNetns` false when it runs in a namespace that was deleted. */
  haproxy: { pid: number; inNetns: boolean; loadedDigest: string | null } | null;
};
export type Observed = ReadonlyMap<string, ObservedLb>;

/** One idempotent step on the host. Reports (applied / rejected) are outcomes, not actions. */
export type Action =
  | { kind: 'CreateNetns'; lbId: string; netns: string }
  | { kind: 'PlugVip'; lbId: string; netns: string; hostIf: string; bridge: string; address: string; prefixLen: number; gatewayIp: string | null }
  | { kind: 'WriteCerts'; lbId: string; certs: CertFiles }
  | { kind: 'WriteConfig'; lbId: string; config: string; digest: string }
  | { kind: 'StartHaproxy'; lbId: string; netns: string; digest: string }
  | { kind: 'Reload'; lbId: string; digest: string }
  | { kind: 'StopHaproxy'; lbId: string }
  | { kind: 'Destroy'; lbId: string; netns: string; hostIf: string };

/** Per LB: the steps to take, or why it cannot be built (rejected: wait for a new version; blocked: retry later). */
export type LbPlan =
  | { lbId: string; kind: 'apply'; actions: Action[]; desired: DesiredLb | null }
  | { lbId: string; kind: 'rejected'; reason: string; desired: DesiredLb }
  | { lbId: string; kind: 'blocked'; reason: string; desired: DesiredLb };

/** Where this agent's run dirs live and what the host allows haproxy (maxconn cap from the open-files limit). */
export type PlanContext = { runDir: string; maxconnCap?: number; /** TERMINATED_HTTPS certificate refs -> PEM. */ certs?: ReadonlyMap<string, string> };

export const configDigest = (config: string): string => createHash('sha256').update(config).digest('hex');

/** What must change so that the host matches the desired state? Pure: same inputs, same plan. */
export function plan(desired: DesiredState, observed: Observed, ctx: PlanContext): LbPlan[] {
  const plans: LbPlan[] = desired.loadBalancers.map((d) => planLb(d, observed.get(d.lbId), ctx));
  const wanted = new Set(desired.loadBalancers.map((d) => d.lbId));
  // Only what this agent's state dir records is ever destroyed: another agent's namespaces are not orphans.
  for (const o of observed.values()) {
    if (!wanted.has(o.lbId) && o.owned) plans.push({ lbId: o.lbId, kind: 'apply', actions: [destroy(o.lbId)], desired: null });
  }
  return plans;
}

const destroy = (lbId: string): Action => ({ kind: 'Destroy', lbId, netns: netnsName(lbId), hostIf: hostVethName(lbId) });

function planLb(d: DesiredLb, o: ObservedLb | undefined, ctx: PlanContext): LbPlan {
  const lbId = d.lbId;
  // A value from the bus that did not parse at the agent's entrance (parse.ts): nothing of this LB reaches the host.
  const refused = refusedReason(d);
  if (refused) return { lbId, kind: 'rejected', desired: d, reason: refused };
  if (d.deleted) return { lbId, kind: 'apply', actions: o?.owned ? [destroy(lbId)] : [], desired: d };
  if (d.vip.bridge.kind === 'unmapped') {
    return { lbId, kind: 'rejected', desired: d, reason: `no bridge mapping on this agent for physical network ${d.vip.bridge.physicalNetwork ?? '(unknown network)'}` };
  }
  if (d.vip.prefixLen === null) return { lbId, kind: 'rejected', desired: d, reason: `subnet ${d.vip.subnetId} of the VIP is unknown` };
  if (o?.netns && !o.owned) {
    return { lbId, kind: 'blocked', desired: d, reason: `netns ${netnsName(lbId)} exists but this agent's state dir does not record it (another agent's?)` };
  }
  let config: string;
  let certs: CertFiles | null;
  try {
    certs = certFilesFor(d, lbPaths(ctx.runDir, lbId).dir, ctx.certs ?? new Map());
  } catch (err) {
    return { lbId, kind: 'rejected', desired: d, reason: (err as Error).message };
  }
  try {
    config = renderHaproxyConfig(d, {
      statsSocket: lbPaths(ctx.runDir, lbId).statsSock, maxconnCap: ctx.maxconnCap,
      ...(certs ? { certDir: certs.dir, certDigest: certs.digest } : {}),
    });
  } catch (err) {
    if (err instanceof RenderError) return { lbId, kind: 'rejected', desired: d, reason: err.message };
    throw err;
  }
  const digest = configDigest(config);
  const netns = netnsName(lbId);
  const { address, prefixLen, gatewayIp, bridge } = d.vip;
  const p = o?.netns ? o.plumbing : null;
  const actions: Action[] = [];
  if (!o?.netns) actions.push({ kind: 'CreateNetns', lbId, netns });
  // A haproxy whose namespace was deleted under it serves nothing reachable: stop it before rebuilding.
  const stray = o?.haproxy && (!o.netns || !o.haproxy.inNetns);
  if (stray) actions.push({ kind: 'StopHaproxy', lbId });
  const plumbed = p !== null && p.hostIfMaster === bridge.name && p.hostIfUp && p.vipIfUp && p.loUp && p.nonlocalBind
    && p.addresses.includes(`${address}/${prefixLen}`) && (gatewayIp === null || p.defaultVia === gatewayIp);
  if (!plumbed) actions.push({ kind: 'PlugVip', lbId, netns, hostIf: hostVethName(lbId), bridge: bridge.name, address, prefixLen, gatewayIp });
  // The config names the certificates' digest, so new certificates change it: write them first, then the config.
  if (o?.configDigest !== digest && certs) actions.push({ kind: 'WriteCerts', lbId, certs });
  if (o?.configDigest !== digest) actions.push({ kind: 'WriteConfig', lbId, config, digest });
  if (!o?.haproxy || stray) actions.push({ kind: 'StartHaproxy', lbId, netns, digest });
  else if (o.haproxy.loadedDigest !== digest) actions.push({ kind: 'Reload', lbId, digest });
  return { lbId, kind: 'apply', actions, desired: d };
}
