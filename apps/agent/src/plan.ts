import { createHash } from 'node:crypto';
import { renderHaproxy, RenderError, type ServerSpec } from '@lbaas/haproxy-config';
import { splitByEngine, type EngineSplit } from '@lbaas/nft-config';
import type { DesiredLb, DesiredState } from '@lbaas/projections';
import { hostVethName, lbPaths, netnsName } from './layout';
import { refusedReason } from './parse';
import { certFilesFor, type CertFiles } from './tls-certs';
import { planUdp, type ObservedUdp, type UdpAction } from './udp-plan';
import { extraVipsProblem, planExtraVips, type ExtraVipAction } from './extra-vips';
import { pairHandover, pairRole, plumbedAddress, vrrpActions, type VrrpAction } from './keepalived/pair-side';
import type { VrrpRole } from './keepalived/keepalived-host';

/**
 * What the running haproxy was told: the structure it loaded (only a reload changes that), the digest of the whole
 * config it matches (the file the next reload reads), and its servers (changed through the admin socket).
 */
export type RunningHaproxy = Readonly<{ structure: string; config: string; servers: readonly ServerSpec[] }>;

/** The hand-over facts of one LB on this host (the run dir records them; the nftables tables are their effect). */
export type ObservedHandover = Readonly<{
  /** The VIP is held back: an nftables arp table drops ARP requests for it and ARP sent from it. */
  quiet: boolean;
  /** Mid-stream packets of connections this copy does not know are steered to the previous holder's MAC. */
  steering: boolean;
  /** Who answered ARP for the VIP before this copy took it (learnt by a DAD probe); null: nobody did. Absent: not probed. */
  holderMac?: string | null;
}>;

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
  /**
   * The master process from the pid file, if alive; `inNetns` false when it runs in a namespace that was deleted;
   * `running` what it runs (null when unknown: then only a reload can be sure).
   */
  haproxy: { pid: number; inNetns: boolean; running: RunningHaproxy | null } | null;
  handover?: ObservedHandover;
  /** Connections the copy still carries (observed only for a copy being drained after a hand-over). */
  sessions?: number | null;
  /** The UDP part (nftables table and health checker, udp-plan.ts); absent when there is none. */
  udp?: ObservedUdp;
  /** ACTIVE_STANDBY: the role this LB's keepalived last notified (null: none runs); absent for SINGLE. */
  vrrp?: VrrpRole | null;
  /** ... and when it notified that role (epoch ms; null: never). */
  vrrpSince?: number | null;
};
export type Observed = ReadonlyMap<string, ObservedLb>;

/**
 * One change to a running haproxy's servers over its admin socket. `add` starts the server in maintenance and then
 * enables it and its health check; `del` puts it in maintenance first (haproxy deletes only such servers).
 */
export type ServerOp =
  | { op: 'add'; server: ServerSpec }
  | { op: 'del'; backend: string; name: string }
  | { op: 'weight'; backend: string; name: string; weight: number }
  | { op: 'state'; backend: string; name: string; enabled: boolean }
  /** The health check's address and port (the member's monitor address and port, else the server's own). */
  | { op: 'check-addr'; backend: string; name: string; addr: string; port: number };

/** One idempotent step on the host. Reports (applied, rejected, prepared, released) are outcomes, not actions. */
export type Action =
  /** The namespace, with the VIP's veth pair already on the bridge (one `ip` for a new LB; PlugVip configures the rest). */
  | { kind: 'CreateNetns'; lbId: string; netns: string; hostIf: string; bridge: string }
  | {
    kind: 'PlugVip'; lbId: string; netns: string; hostIf: string; bridge: string; address: string; prefixLen: number; gatewayIp: string | null;
    /** Hold the VIP back (no ARP answered or sent for it) until Announce: the copy of a planned move before the old one lets go. */
    quiet: boolean;
    /** The namespace was just created: nothing inside to look at first. */
    fresh: boolean;
    /**
     * The LB has an IPv6 address (its VIP or an additional VIP, fixed at create). Without one, IPv6 is off on the VIP
     * interface: no link-local address, duplicate address detection, MLD report or router solicitation, each of which
     * the bridge floods to every LB namespace on it (a cost that grows with the square of the LBs on a host).
     */
    ipv6: boolean;
  }
  | { kind: 'WriteCerts'; lbId: string; certs: CertFiles }
  | { kind: 'WriteConfig'; lbId: string; config: string; digest: string }
  | { kind: 'StartHaproxy'; lbId: string; netns: string; running: RunningHaproxy }
  | { kind: 'Reload'; lbId: string; running: RunningHaproxy }
  /** Runtime API: the servers change without a reload; if haproxy refuses one step, the host writes the config and reloads. */
  | { kind: 'SetServers'; lbId: string; ops: ServerOp[]; config: string; running: RunningHaproxy }
  | { kind: 'StopHaproxy'; lbId: string }
  /**
   * Learn who answers ARP for the VIP now (the copy being moved away) and, if somebody does, steer there the mid-stream
   * packets of connections this copy does not know: ready before the old copy is told to let go.
   */
  | { kind: 'ProbeHolder'; lbId: string; netns: string; address: string; steer: boolean }
  | { kind: 'Steer'; lbId: string; netns: string; address: string; mac: string }
  | { kind: 'Unsteer'; lbId: string; netns: string }
  /** Stop holding the VIP back and tell the segment (gratuitous ARP): this copy takes the VIP. */
  | { kind: 'Announce'; lbId: string; netns: string; address: string }
  /** The old copy of a planned move: answer no ARP for the VIP any more (its neighbours pinned), keep serving its connections. */
  | { kind: 'Release'; lbId: string; netns: string; address: string }
  | { kind: 'Destroy'; lbId: string; netns: string; hostIf: string }
  /** UDP listeners: the kernel's table and its health checker (udp-plan.ts). */
  | UdpAction
  /** The additional VIPs on the VIP's interface (extra-vips.ts). */
  | ExtraVipAction
  /** keepalived of an ACTIVE_STANDBY side, after haproxy (keepalived/pair-side.ts). */
  | VrrpAction;

/**
 * What the host is in once the actions are done, which the reconciler turns into a report: `serving` (applied),
 * `prepared` (a planned move's new copy, VIP held back), `released` (the old copy let go of the VIP), `drained` (a
 * pair's old master ended its release: no connection left), `waiting` (nothing to report yet: the old copy waits for
 * the new one, or drains).
 */
export type Reach = 'serving' | 'prepared' | 'released' | 'drained' | 'waiting';

/** Per LB: the steps to take, or why it cannot be built (rejected: wait for a new version; blocked: retry later). */
export type LbPlan =
  | { lbId: string; kind: 'apply'; actions: Action[]; desired: DesiredLb | null; reach: Reach; recheckAtMs?: number }
  | { lbId: string; kind: 'rejected'; reason: string; desired: DesiredLb }
  | { lbId: string; kind: 'blocked'; reason: string; desired: DesiredLb };

/** The timing of a planned move's hand-over. */
export type HandoverTimings = Readonly<{
  /** The new copy announces the VIP this long after the placement even if the old copy never released it (its agent stuck). */
  timeoutMs: number;
  /** The old copy is destroyed this long after it released the VIP, whatever connections it still carries. */
  drainTimeoutMs: number;
  /** ... and not before this long, even when idle (neighbours that missed the gratuitous ARPs still send to it). */
  minDrainMs: number;
}>;
export const DEFAULT_HANDOVER: HandoverTimings = { timeoutMs: 10_000, drainTimeoutMs: 60_000, minDrainMs: 3_000 };

/** Where this agent's run dirs live, what the host allows haproxy (maxconn cap), the time, the hand-over timings. */
export type PlanContext = {
  runDir: string; maxconnCap?: number; /** TERMINATED_HTTPS certificate refs -> PEM. */ certs?: ReadonlyMap<string, string>;
  /** Now, in ms (the agent's clock; hand-over deadlines are measured from the events' times). */
  nowMs?: number;
  handover?: HandoverTimings;
};

export const configDigest = (config: string): string => createHash('sha256').update(config).digest('hex');

/** What must change so that the host matches the desired state? Pure: same inputs, same plan. */
export function plan(desired: DesiredState, observed: Observed, ctx: PlanContext): LbPlan[] {
  const plans: LbPlan[] = desired.loadBalancers.map((d) => planLb(d, observed.get(d.lbId), ctx));
  const wanted = new Set(desired.loadBalancers.map((d) => d.lbId));
  for (const o of observed.values()) if (!wanted.has(o.lbId)) plans.push(planLb(null, o, ctx));
  return plans;
}

/** An LB with an IPv6 VIP or additional VIP: its VIP interface keeps IPv6 (PlugVip `ipv6`). */
const hasIpv6 = (d: DesiredLb): boolean => [d.vip.address, ...(d.additionalVips ?? []).map((v) => v.address)].some((a) => a.includes(':'));
const destroy = (lbId: string): Action => ({ kind: 'Destroy', lbId, netns: netnsName(lbId), hostIf: hostVethName(lbId) });
const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/** One LB: `d` null means nothing of it is wanted here (an owned copy is destroyed; another agent's is never touched). */
export function planLb(d: DesiredLb | null, o: ObservedLb | undefined, ctx: PlanContext): LbPlan {
  const lbId = d?.lbId ?? o?.lbId ?? '';
  if (d === null) return { lbId, kind: 'apply', actions: o?.owned ? [destroy(lbId)] : [], desired: null, reach: 'waiting' };
  // A value from the bus that did not parse at the agent's entrance (parse.ts): nothing of this LB reaches the host.
  const refused = refusedReason(d);
  if (refused) return { lbId, kind: 'rejected', desired: d, reason: refused };
  if (d.deleted) return { lbId, kind: 'apply', actions: o?.owned ? [destroy(lbId)] : [], desired: d, reach: 'serving' };
  if (d.handover?.role === 'outgoing' && !d.pair) return planOutgoing(d, o, ctx); // a pair's old master: pairHandover
  return planBuild(d, o, ctx);
}

/**
 * The old copy of a planned move: never built or changed, only kept, released and destroyed. It keeps answering until
 * the new copy is prepared (or the hand-over timeout passed), then releases the VIP and drains: it goes once it carries
 * no connection (but not before the minimum drain), or when the drain timeout passed.
 */
function planOutgoing(d: DesiredLb, o: ObservedLb | undefined, ctx: PlanContext): LbPlan {
  const h = d.handover as Extract<NonNullable<DesiredLb['handover']>, { role: 'outgoing' }>;
  const t = ctx.handover ?? DEFAULT_HANDOVER;
  const now = ctx.nowMs ?? 0;
  const lbId = d.lbId;
  const base = { lbId, kind: 'apply' as const, desired: d };
  const present = !!o?.owned && o.netns && !!o.haproxy?.inNetns;
  if (!present) return { ...base, actions: o?.owned ? [destroy(lbId)] : [], reach: 'released' }; // nothing answers here: released
  const quiet = o.handover?.quiet === true;
  // Until the new copy is prepared this one serves as before, however long that takes (never break before make): the
  // prepared report wakes us. The new copy has its own timeout for an old agent that never answers.
  if (!quiet && h.releasedAt === null && h.preparedAt === null) return { ...base, actions: [], reach: 'waiting' };
  const release: Action[] = quiet ? [] : [{ kind: 'Release', lbId, netns: netnsName(lbId), address: d.vip.address }];
  const releasedAt = ms(h.releasedAt) ?? now;
  const drained = now >= releasedAt + t.drainTimeoutMs || (o.sessions === 0 && now >= releasedAt + t.minDrainMs);
  if (quiet && drained) return { ...base, actions: [destroy(lbId)], reach: 'released' };
  return { ...base, actions: release, reach: 'released', recheckAtMs: now + Math.min(1000, t.minDrainMs) };
}

/** Build (or keep) a copy that serves, or, for a planned move's new copy, one that holds the VIP back until released. */
function planBuild(d: DesiredLb, o: ObservedLb | undefined, ctx: PlanContext): LbPlan {
  const lbId = d.lbId;
  if (d.vip.bridge.kind === 'unmapped') {
    return { lbId, kind: 'rejected', desired: d, reason: `no bridge mapping on this agent for physical network ${d.vip.bridge.physicalNetwork ?? '(unknown network)'}` };
  }
  if (d.vip.prefixLen === null) return { lbId, kind: 'rejected', desired: d, reason: `subnet ${d.vip.subnetId} of the VIP is unknown` };
  const extraProblem = extraVipsProblem(d);
  if (extraProblem !== null) return { lbId, kind: 'rejected', desired: d, reason: extraProblem };
  if (o?.netns && !o.owned) {
    return { lbId, kind: 'blocked', desired: d, reason: `netns ${netnsName(lbId)} exists but this agent's state dir does not record it (another agent's?)` };
  }
  const t = ctx.handover ?? DEFAULT_HANDOVER;
  const now = ctx.nowMs ?? 0;
  // A pair side's hand-over (a planned promotion) is keepalived/pair-side.ts pairHandover's, not the steps below.
  const single = !d.pair;
  const h = d.handover?.role === 'incoming' && single ? d.handover : null;
  const observedQuiet = single && !!o?.netns && o.handover?.quiet === true;
  // Once announced, a copy never goes back to holding the VIP back. A new copy may announce once the old one released
  // the VIP, once its agent is known to be down (its lease ran out: fenced), or after the hand-over timeout.
  const announced = !!o?.netns && !observedQuiet && o.plumbing !== null && o.plumbing.addresses.length > 0;
  const announceAt = h ? (ms(h.placedAt) ?? now) + t.timeoutMs : now;
  const mayAnnounce = h === null || h.releasedAt !== null || h.fromAgentDown || now >= announceAt;
  const heldBack = h !== null && !mayAnnounce && !announced;

  let certs: CertFiles | null;
  try {
    certs = certFilesFor(d, lbPaths(ctx.runDir, lbId).dir, ctx.certs ?? new Map());
  } catch (err) {
    return { lbId, kind: 'rejected', desired: d, reason: (err as Error).message };
  }
  // UDP listeners and pools go to the kernel's NAT (libs/nft-config), the rest to haproxy.
  let split: EngineSplit;
  try {
    split = splitByEngine(d, { withoutHealthChecks: heldBack });
  } catch (err) {
    if (err instanceof RenderError) return { lbId, kind: 'rejected', desired: d, reason: err.message };
    throw err;
  }
  const render = (withoutHealthChecks: boolean) => renderHaproxy(split.haproxy, {
    statsSocket: lbPaths(ctx.runDir, lbId).statsSock, maxconnCap: ctx.maxconnCap, withoutHealthChecks,
    ...(certs ? { certDir: certs.dir, certDigest: certs.digest } : {}),
  });
  let rendered: ReturnType<typeof render>;
  try {
    rendered = render(heldBack);
  } catch (err) {
    if (err instanceof RenderError) return { lbId, kind: 'rejected', desired: d, reason: err.message };
    throw err;
  }
  const digest = configDigest(rendered.text);
  const want: RunningHaproxy = { structure: configDigest(rendered.structure), config: digest, servers: rendered.servers };
  const netns = netnsName(lbId);
  const { prefixLen, gatewayIp, bridge } = d.vip;
  // A pair side's interface carries its VRRP address; keepalived adds the VIP on the VRRP master (pair-side.ts).
  const address = plumbedAddress(d);
  const p = o?.netns ? o.plumbing : null;
  const actions: Action[] = [];
  if (!o?.netns) actions.push({ kind: 'CreateNetns', lbId, netns, hostIf: hostVethName(lbId), bridge: bridge.name });
  // A haproxy whose namespace was deleted under it serves nothing reachable: stop it before rebuilding.
  const stray = !!o?.haproxy && (!o.netns || !o.haproxy.inNetns);
  if (stray) actions.push({ kind: 'StopHaproxy', lbId });
  const plumbed = p !== null && p.hostIfMaster === bridge.name && p.hostIfUp && p.vipIfUp && p.loUp && p.nonlocalBind
    && p.addresses.includes(`${address}/${prefixLen}`) && (gatewayIp === null || p.defaultVia === gatewayIp);
  if (!plumbed) {
    actions.push({ kind: 'PlugVip', lbId, netns, hostIf: hostVethName(lbId), bridge: bridge.name, address, prefixLen, gatewayIp, quiet: heldBack || observedQuiet, fresh: !o?.netns, ipv6: hasIpv6(d) });
  }
  actions.push(...planExtraVips(d, netns, p?.addresses ?? null, heldBack));
  // The new copy of a planned move learns the old holder's MAC before it says it is prepared (the old copy stops
  // answering ARP right after), and steers there what it does not know until the old copy is drained.
  const steerUntil = h ? (ms(h.releasedAt) ?? ms(h.placedAt) ?? now) + t.drainTimeoutMs + t.minDrainMs : 0;
  const holder = o?.netns ? o.handover?.holderMac : undefined;
  const post: Action[] = [];
  if (h && heldBack && holder === undefined) post.push({ kind: 'ProbeHolder', lbId, netns, address, steer: now < steerUntil });
  const steering = single && !!o?.netns && o.handover?.steering === true;
  if (h && holder && !steering && now < steerUntil && !announced) post.push({ kind: 'Steer', lbId, netns, address, mac: holder });
  if (steering && (!h || now >= steerUntil)) post.push({ kind: 'Unsteer', lbId, netns });
  const announce: Action[] = !heldBack && observedQuiet ? [{ kind: 'Announce', lbId, netns, address }] : [];

  // The config names the certificates' digest, so new certificates change it: write them first, then the config.
  const fileStale = o?.configDigest !== digest;
  const certActions: Action[] = fileStale && certs ? [{ kind: 'WriteCerts', lbId, certs }] : [];
  const hp = o?.haproxy && !stray ? o.haproxy : null;
  const config: Action[] = [];
  if (!hp) {
    config.push(...certActions);
    if (fileStale) config.push({ kind: 'WriteConfig', lbId, config: rendered.text, digest });
    config.push({ kind: 'StartHaproxy', lbId, netns, running: want });
  } else if (hp.running === null || hp.running.structure !== want.structure) {
    config.push(...certActions);
    if (fileStale) config.push({ kind: 'WriteConfig', lbId, config: rendered.text, digest });
    config.push({ kind: 'Reload', lbId, running: want });
  } else {
    const ops = serverOps(hp.running.servers, want.servers);
    if (ops === null || ops.length > RUNTIME_OPS_MAX) {
      config.push(...certActions);
      if (fileStale) config.push({ kind: 'WriteConfig', lbId, config: rendered.text, digest });
      config.push({ kind: 'Reload', lbId, running: want });
    } else {
      // The runtime API first (traffic follows in a few ms), then the file, so that the next reload keeps it.
      if (ops.length > 0 || hp.running.config !== digest) actions.push({ kind: 'SetServers', lbId, ops, config: rendered.text, running: want });
      if (fileStale) config.push(...certActions, { kind: 'WriteConfig', lbId, config: rendered.text, digest });
    }
  }
  // A copy taking over a VIP announces as soon as haproxy runs: a structural reload (its health checks) comes after.
  const hpReady = hp !== null;
  // The UDP table once the namespace is plumbed (its sysctls name the VIP interface).
  actions.push(...planUdp(lbId, netns, split.nft, o?.netns ? o.udp : undefined));
  const paired = pairHandover(d, o, now, t);
  const ordered: Action[] = [
    ...(hpReady ? [...actions, ...post, ...announce, ...config] : [...actions, ...config, ...post, ...announce]),
    ...vrrpActions(d, pairRole(d, o, now, t)), ...paired.actions,
    ...(paired.probe ? [{ kind: 'ProbeHolder' as const, lbId, netns, address: d.vip.address, steer: paired.probe.steer }] : []),
    ...(paired.announce ? [{ kind: 'Announce' as const, lbId, netns, address: d.vip.address }] : []),
    ...(paired.unsteer ? [{ kind: 'Unsteer' as const, lbId, netns }] : []),
  ];
  const reach: Reach = paired.reach ?? (heldBack ? 'prepared' : 'serving');
  const recheckAtMs = paired.recheckAtMs ?? (heldBack ? announceAt : steering || (h && now < steerUntil) ? Math.min(steerUntil, now + 60_000) : undefined);
  return { lbId, kind: 'apply', actions: ordered, desired: d, reach, ...(recheckAtMs !== undefined ? { recheckAtMs } : {}) };
}

const key = (backend: string, name: string) => `${backend}/${name}`;
/**
 * Above this many server steps a reload is faster than the admin socket (measured, issue 11: haproxy takes ~0.25 ms
 * per runtime command, so 5,000 added members took 4.3 s at runtime; a reload with 5,000 servers takes well under
 * that, and the server state file keeps every known server's state across it).
 */
export const RUNTIME_OPS_MAX = 500;

/** What only a re-add changes (haproxy cannot change it on a running server). */
const sameCreation = (a: ServerSpec, b: ServerSpec): boolean =>
  a.address === b.address && a.port === b.port && a.backup === b.backup && a.id === b.id && a.proxy === b.proxy && a.cookie === b.cookie
  && (a.check === null) === (b.check === null)
  && (a.check === null || (b.check !== null && a.check.inter === b.check.inter && a.check.fall === b.check.fall && a.check.rise === b.check.rise && a.check.ssl === b.check.ssl));

/**
 * The admin-socket steps that turn the running servers into the desired ones, or null when only a reload can: a
 * server to (re-)add with a cookie (haproxy 2.6 refuses `cookie` at runtime), or two servers with one name (the file
 * would be refused: the reload path lets `haproxy -c` say so before anything changes). Deletions first (a re-add reuses
 * the name), then additions, then changes in place. Pure.
 */
export function serverOps(running: readonly ServerSpec[], desired: readonly ServerSpec[]): ServerOp[] | null {
  const have = new Map(running.map((s) => [key(s.backend, s.name), s]));
  const want = new Map<string, ServerSpec>();
  for (const s of desired) {
    if (want.has(key(s.backend, s.name))) return null;
    want.set(key(s.backend, s.name), s);
  }
  const dels: ServerOp[] = [];
  const adds: ServerOp[] = [];
  const changes: ServerOp[] = [];
  for (const [k, r] of have) if (!want.has(k)) dels.push({ op: 'del', backend: r.backend, name: r.name });
  for (const [k, s] of want) {
    const r = have.get(k);
    if (!r || !sameCreation(r, s)) {
      if (s.cookie !== null) return null;
      if (r) dels.push({ op: 'del', backend: r.backend, name: r.name });
      adds.push({ op: 'add', server: s });
      continue;
    }
    if (r.weight !== s.weight) changes.push({ op: 'weight', backend: s.backend, name: s.name, weight: s.weight });
    if (r.enabled !== s.enabled) changes.push({ op: 'state', backend: s.backend, name: s.name, enabled: s.enabled });
    if (s.check && r.check && (r.check.addr !== s.check.addr || r.check.port !== s.check.port)) {
      changes.push({ op: 'check-addr', backend: s.backend, name: s.name, addr: s.check.addr ?? s.address, port: s.check.port ?? s.port });
    }
  }
  return [...dels, ...adds, ...changes];
}
