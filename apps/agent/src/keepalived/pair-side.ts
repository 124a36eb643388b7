import type { DesiredLb } from '@lbaas/projections';
import { lbPaths, netnsName } from '../layout';
import { rmSync } from 'node:fs';
import { hold } from '../host/handover';
import type { IPv4Address, NetnsName } from '../parse';
import {
  endReleaseForPromotion, ensureKeepalived, keepalivedPaths, pairSideConfig, releaseForPromotion, vrrpRole, vrrpTransitions, type PairSide, type VrrpRole,
} from './keepalived-host';

/**
 * The agent's side of an ACTIVE_STANDBY pair (issue 14), as the reconciler's plan and host see it. The plan keeps two
 * hooks only: the VIP interface carries this side's VRRP address instead of the VIP (`plumbedAddress`), and once haproxy
 * runs, one `EnsureVrrp` action brings keepalived to the desired config (`vrrpActions`). keepalived then owns the VIP:
 * only the VRRP master has it (and answers ARP for it). Teardown needs nothing of its own: Destroy stops every process of
 * the namespace, keepalived with them (SIGTERM: a master drops the VIP and sends a priority-0 advert first).
 */

/**
 * keepalived for one pair side, brought to `side`'s config (started, reloaded or left as it is); and the pair's own
 * steps of a planned promotion's hand-over (pairHandover): hold ARP for the VIP back on a side that runs already, the
 * old master's release (ARP held back, the VIP kept as a /32 so it serves what still reaches it after VRRP moved the
 * VIP), and the end of that release.
 */
export type VrrpAction =
  | { kind: 'EnsureVrrp'; lbId: string; netns: string; side: PairSide }
  | { kind: 'HoldPairVip'; lbId: string; netns: string; address: string }
  | { kind: 'ReleasePairVip'; lbId: string; netns: string; address: string }
  | { kind: 'EndPairRelease'; lbId: string; netns: string; address: string };

/** The address the VIP interface carries: the VRRP address of a pair side, else the VIP itself. */
export const plumbedAddress = (d: DesiredLb): string => d.pair?.vrrpAddress ?? d.vip.address;

/**
 * After haproxy is up: keepalived of a pair side (nothing for SINGLE; the VIP's prefix is known once the plan got here),
 * with `role` (default: the desired one; pairHandover keeps a promoted side BACKUP until the old master released).
 */
export function vrrpActions(d: DesiredLb, role: PairSide['role'] | null = d.pair?.role ?? null): VrrpAction[] {
  const pair = d.pair;
  if (!pair || role === null || d.vip.prefixLen === null) return [];
  return [{
    kind: 'EnsureVrrp', lbId: d.lbId, netns: netnsName(d.lbId),
    side: {
      lbId: d.lbId, role, vip: { address: d.vip.address, prefixLength: d.vip.prefixLen }, additionalVips: [],
      vrrpAddress: pair.vrrpAddress, peerAddress: pair.peerAddress,
    },
  }];
}

/**
 * What pairHandover adds to a pair side's build: its own steps, then the SINGLE hand-over's (plan.ts makes them
 * actions: learn the holder's MAC and steer there, announce, end the steering), the reach and recheck it implies.
 */
export type PairStep = {
  actions: VrrpAction[]; probe: { steer: boolean } | null; announce: boolean; unsteer: boolean;
  reach: 'prepared' | 'released' | 'drained' | 'waiting' | null; recheckAtMs: number | null;
};

/** The facts pairHandover reads of the host (plan.ts ObservedLb has them). */
export type PairObserved = Readonly<{
  netns: boolean; vrrp?: VrrpRole | null; vrrpSince?: number | null;
  handover?: Readonly<{ quiet: boolean; steering: boolean; holderMac?: string | null }>;
  /** Connections its haproxy carries (observed for an outgoing side; null or absent: unknown, not idle). */
  sessions?: number | null;
}>;
/** The hand-over's timings (plan.ts HandoverTimings). */
export type PairTimings = Readonly<{ timeoutMs: number; drainTimeoutMs: number; minDrainMs: number }>;

/** While a promoted side waits for its keepalived to preempt, the agent looks again this often (VRRP needs ~0.3 s). */
export const PROMOTION_POLL_MS = 20;

/** While the old master drains after its minimum drain, the agent looks at its connections this often. */
export const DRAIN_POLL_MS = 500;

/**
 * A hold left without a hand-over goes once keepalived has held one role this long: MASTER that long announces (it
 * really is the master), BACKUP that long lets go (three adverts and the skew are 0.35 s).
 */
export const JOIN_HOLD_MS = 1000;

const ms = (iso: string | null): number | null => (iso === null ? null : Date.parse(iso));

/**
 * An ACTIVE_STANDBY side's part in a planned promotion (operator failover, drain; issue 14, make before break), as the
 * SINGLE hand-over sequences it (prepared → released → announced, the same events), with VRRP moving the VIP:
 *  1. the promoted side (desired PROMOTED, `incoming`) holds ARP for the VIP back, learns the old master's MAC (and
 *     steers there mid-stream packets of connections it does not know), keeps keepalived BACKUP, reports prepared;
 *  2. the old master (desired BACKUP, `outgoing`) pins its neighbours, holds ARP back and keeps the VIP as a /32 beside
 *     keepalived's (it keeps serving whatever reaches it once VRRP took the VIP away), reports released;
 *  3. the promoted side's keepalived is made PROMOTED (priority 200, preempt) and takes the VIP; once it is VRRP MASTER
 *     the agent lets ARP flow and announces (gratuitous ARP): the hold dropped keepalived's own.
 * The old master drains as the SINGLE old copy does (plan.ts planOutgoing): it ends its release once its haproxy carries
 * no connection and the minimum drain after the promoted side served passed, or the drain timeout after its release
 * passed (whatever it still carries), or at once when it is VRRP master again; a promoted side that never served ends it
 * after the hand-over timeout and the minimum drain. Its keepalived keeps the MASTER config until then; one that is not
 * the VRRP master reports released at once. Once its release ended it reports drained, and the scheduler replaces it by
 * a new standby (placement.ts mayRetire).
 * A promoted side that is VRRP MASTER already (nothing to hand over) just serves. Pure.
 */
export function pairHandover(d: DesiredLb, o: PairObserved | undefined, nowMs: number, t: PairTimings): PairStep {
  const none: PairStep = { actions: [], probe: null, announce: false, unsteer: false, reach: null, recheckAtMs: null };
  const pair = d.pair;
  if (!pair) return none;
  const base = { lbId: d.lbId, netns: netnsName(d.lbId), address: d.vip.address };
  const h = d.handover;
  if (!o?.netns) return none;
  const quiet = o.handover?.quiet === true;
  const steering = o.handover?.steering === true;
  const master = o.vrrp === 'MASTER';
  if (h?.role === 'outgoing') {
    const releasedAt = ms(h.releasedAt);
    if (quiet && releasedAt !== null) {
      // The minimum drain counts from the promoted side serving (never before it announced, however slow the host).
      const servedAt = ms(h.servedAt ?? null);
      const minDrainAt = servedAt === null ? null : Math.max(servedAt, releasedAt) + t.minDrainMs;
      const remastered = master && (o.vrrpSince ?? 0) > releasedAt;
      const timedOutAt = releasedAt + t.drainTimeoutMs;
      const givenUpAt = releasedAt + t.timeoutMs + t.minDrainMs;
      const idle = o.sessions === 0 && minDrainAt !== null && nowMs >= minDrainAt;
      if (remastered || idle || nowMs >= timedOutAt || (servedAt === null && nowMs >= givenUpAt)) {
        return { ...none, actions: [{ kind: 'EndPairRelease', ...base }], reach: 'drained' };
      }
      const next = minDrainAt === null ? Math.min(givenUpAt, nowMs + 250) : nowMs < minDrainAt ? Math.min(minDrainAt, nowMs + 250) : nowMs + DRAIN_POLL_MS;
      return { ...none, reach: 'released', recheckAtMs: Math.min(next, timedOutAt) };
    }
    // Released and the release ended (or nothing was held: not the VRRP master when it released): drained.
    if (!quiet && releasedAt !== null) return { ...none, reach: 'drained' };
    if (quiet) return { ...none, reach: 'released' }; // released here, the report not back yet
    // Not the VRRP master (the promoted side already is, or this keepalived is FAULT): nothing to hold, released.
    if (o.vrrp !== 'MASTER') return { ...none, reach: 'released' };
    if (h.preparedAt === null) return { ...none, reach: 'waiting' }; // serve as before until the promoted side is prepared
    return { ...none, actions: [{ kind: 'ReleasePairVip', ...base }], reach: 'released', recheckAtMs: nowMs + t.minDrainMs };
  }
  if (h?.role !== 'incoming' || pair.role !== 'PROMOTED') {
    // Held without a hand-over (a hold the next placement left): once keepalived has held one role for JOIN_HOLD_MS,
    // MASTER announces, anything else just lets go.
    if (!quiet) return { ...none, unsteer: steering };
    const settled = nowMs >= (o.vrrpSince ?? nowMs) + JOIN_HOLD_MS;
    if (master && settled) return { ...none, announce: true, unsteer: steering };
    if (o.vrrp === 'BACKUP' && settled) return { ...none, actions: [{ kind: 'EndPairRelease', ...base }], unsteer: steering };
    // Not settled yet, or FAULT / not running: held, looked at again.
    return { ...none, unsteer: steering, recheckAtMs: settled ? nowMs + JOIN_HOLD_MS : (o.vrrpSince ?? nowMs) + JOIN_HOLD_MS };
  }
  const placedAt = ms(h.placedAt) ?? nowMs;
  const releasedAt = ms(h.releasedAt);
  const steerUntil = (releasedAt ?? placedAt) + t.drainTimeoutMs + t.minDrainMs;
  const steer = nowMs < steerUntil;
  const keepSteering = steering && steer ? steerUntil : null;
  const released = releasedAt !== null || h.fromAgentDown || nowMs >= placedAt + t.timeoutMs;
  // VRRP MASTER: serving already (not held), or announce now, once the old master released. A held side that is
  // MASTER before that missed the old master's adverts (a busy host) while the old master still answers: it stays held
  // (it yields again at the next advert); were the old master really gone, its agent reports released or is down.
  if (master && (!quiet || released)) return { ...none, announce: quiet, unsteer: steering && !steer, recheckAtMs: keepSteering };
  return {
    ...none,
    actions: quiet ? [] : [{ kind: 'HoldPairVip', ...base }],
    probe: o.handover?.holderMac === undefined || !quiet ? { steer } : null,
    reach: 'prepared',
    // Released: poll for keepalived's MASTER (a keepalived that does not preempt within the hand-over timeout is looked
    // at once a second: the old master ends its release after the drain and answers again meanwhile).
    recheckAtMs: !released ? placedAt + t.timeoutMs : nowMs + (nowMs < (releasedAt ?? placedAt + t.timeoutMs) + t.timeoutMs ? PROMOTION_POLL_MS : 1000),
  };
}

/** The keepalived role a pair side runs now: a promoted side stays BACKUP until the old master released the VIP. */
export function pairRole(d: DesiredLb, o: PairObserved | undefined, nowMs: number, t: PairTimings): PairSide['role'] | null {
  const pair = d.pair;
  if (!pair) return null;
  const h = d.handover;
  // The old master keeps its keepalived as it was (MASTER, no reload) until its release ended: a reload of the side
  // holding the VIP while the other is about to preempt only adds a moment without adverts.
  if (h?.role === 'outgoing') return h.releasedAt === null || o?.handover?.quiet === true ? 'MASTER' : pair.role;
  if (pair.role !== 'PROMOTED' || h?.role !== 'incoming') return pair.role;
  if (o?.vrrp === 'MASTER' && o.handover?.quiet !== true) return 'PROMOTED'; // VRRP master already: nothing held
  const released = h.releasedAt !== null || h.fromAgentDown || nowMs >= (ms(h.placedAt) ?? nowMs) + t.timeoutMs;
  return released ? 'PROMOTED' : 'BACKUP';
}

/** Where and how keepalived runs on this agent. */
export type VrrpHostOptions = Readonly<{ runDir: string; stateDir: string; bin: string; advertIntMs: number }>;

/** keepalived from PATH, adverts every 100 ms (VRRPv3 centiseconds: takeover ≈ 3 adverts + skew ≈ 0.35 s). */
export const DEFAULT_VRRP: Omit<VrrpHostOptions, 'runDir' | 'stateDir'> = { bin: 'keepalived', advertIntMs: 100 };

/** Applies an EnsureVrrp action (level-based and idempotent: nothing happens when keepalived runs the wanted config). */
export async function applyVrrp(a: Extract<VrrpAction, { kind: 'EnsureVrrp' }>, o: VrrpHostOptions): Promise<'started' | 'reloaded' | 'unchanged'> {
  const config = pairSideConfig(a.side, o.runDir, o.stateDir, o.advertIntMs);
  return ensureKeepalived(o.bin, a.netns, keepalivedPaths(o.runDir, a.lbId), config);
}

/** The VRRP role this host's keepalived of `lbId` last notified (null: none runs). */
export const observedVrrpRole = (runDir: string, lbId: string): VrrpRole | null => vrrpRole(keepalivedPaths(runDir, lbId));

/** observedVrrpRole, and when keepalived notified it (its last transition's time; null: none). */
export function observedVrrp(runDir: string, lbId: string): { vrrp: VrrpRole | null; vrrpSince: number | null } {
  const vrrp = observedVrrpRole(runDir, lbId);
  return { vrrp, vrrpSince: vrrp === null ? null : vrrpTransitions(keepalivedPaths(runDir, lbId)).at(-1)?.at ?? null };
}

/**
 * The host side of pairHandover's steps. HoldPairVip: the previous holder's MAC is forgotten (a new probe follows), then
 * ARP for the VIP is held back (handover.ts hold); the other two are keepalived-host.ts releaseForPromotion and its end.
 */
export async function applyPairStep(
  kind: 'HoldPairVip' | 'ReleasePairVip' | 'EndPairRelease', netns: NetnsName, runDir: string, lbId: string, vip: IPv4Address,
): Promise<void> {
  switch (kind) {
    case 'HoldPairVip': {
      const p = lbPaths(runDir, lbId);
      rmSync(p.holder, { force: true });
      await hold(netns, p, vip);
      return;
    }
    case 'ReleasePairVip': return releaseForPromotion(netns, runDir, lbId, vip);
    case 'EndPairRelease': return endReleaseForPromotion(netns, runDir, lbId, vip);
  }
}
