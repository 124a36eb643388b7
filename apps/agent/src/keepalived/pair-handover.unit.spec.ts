import { renderHaproxy } from '@lbaas/haproxy-config';
import type { DesiredHandover, DesiredLb } from '@lbaas/projections';
import { desiredLb, LB_ID } from '@lbaas/testing';
import { lbPaths } from '../layout';
import { configDigest, DEFAULT_HANDOVER, planLb, type Action, type LbPlan, type ObservedLb } from '../plan';
import type { VrrpRole } from './keepalived-host';
import { DRAIN_POLL_MS, JOIN_HOLD_MS, PROMOTION_POLL_MS } from './pair-side';

/**
 * A planned promotion of an ACTIVE_STANDBY pair through the agent's plan (issue 14, make before break): the SINGLE
 * hand-over's prepared → released → announced, with VRRP moving the VIP in between. Both sides run already.
 */

const runDir = '/run/lbaas/a1';
const T0 = Date.parse('2026-12-01T20:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const { timeoutMs, minDrainMs, drainTimeoutMs } = DEFAULT_HANDOVER;

const incoming = (o: Partial<Extract<DesiredHandover, { role: 'incoming' }>> = {}): DesiredHandover => ({
  role: 'incoming', fromAgentId: 'a1', fromEpoch: 1, placedAt: iso(T0), preparedAt: null, releasedAt: null, fromAgentDown: false, ...o,
});
const outgoing = (o: Partial<Extract<DesiredHandover, { role: 'outgoing' }>> = {}): DesiredHandover => ({
  role: 'outgoing', toAgentId: 'a2', toEpoch: 2, placedAt: iso(T0), preparedAt: null, releasedAt: null, ...o,
});
/** The promoted side (the old standby, now master) and the old master (now the standby), epoch 2. */
const promoted = (h: DesiredHandover | null): DesiredLb =>
  desiredLb({ epoch: 2, handover: h, pair: { role: 'PROMOTED', amphora: 1, vrrpAddress: '10.231.0.22', peerAddress: '10.231.0.21' } });
const oldMaster = (h: DesiredHandover | null): DesiredLb =>
  desiredLb({ epoch: 2, handover: h, pair: { role: 'BACKUP', amphora: 0, vrrpAddress: '10.231.0.21', peerAddress: '10.231.0.22' } });

const running = (d: DesiredLb, o: { vrrp: VrrpRole | null; vrrpSince?: number; quiet?: boolean; steering?: boolean; holderMac?: string | null; sessions?: number | null }): ObservedLb => {
  const r = renderHaproxy(d, { statsSocket: lbPaths(runDir, d.lbId).statsSock });
  return {
    lbId: LB_ID, owned: true, netns: true, configDigest: configDigest(r.text),
    haproxy: { pid: 42, inNetns: true, running: { structure: configDigest(r.structure), config: configDigest(r.text), servers: r.servers } },
    plumbing: { hostIfMaster: 'br-lbaas', hostIfUp: true, vipIfUp: true, loUp: true, addresses: [`${d.pair?.vrrpAddress}/24`], defaultVia: '10.231.0.1', nonlocalBind: true },
    handover: { quiet: o.quiet ?? false, steering: o.steering ?? false, ...(o.holderMac !== undefined ? { holderMac: o.holderMac } : {}) },
    vrrp: o.vrrp, vrrpSince: o.vrrpSince ?? (o.vrrp === null ? null : T0 - 60_000),
    ...(o.sessions !== undefined ? { sessions: o.sessions } : {}),
  };
};
const planned = (d: DesiredLb, o: ObservedLb, now: number): Extract<LbPlan, { kind: 'apply' }> => {
  const p = planLb(d, o, { runDir, nowMs: now });
  if (p.kind !== 'apply') throw new Error(`${p.kind}: ${p.reason}`);
  return p;
};
const kinds = (p: { actions: Action[] }) => p.actions.map((a) => a.kind);
const vrrpRoleOf = (p: { actions: Action[] }) => (p.actions.find((a) => a.kind === 'EnsureVrrp') as Extract<Action, { kind: 'EnsureVrrp' }> | undefined)?.side.role;

describe('a planned promotion, the promoted side (incoming)', () => {
  it('1. holds ARP for the VIP back and learns the old master\'s MAC (steering there), keepalived still BACKUP: prepared', () => {
    const p = planned(promoted(incoming()), running(promoted(incoming()), { vrrp: 'BACKUP' }), T0 + 10);
    expect(kinds(p)).toEqual(['EnsureVrrp', 'HoldPairVip', 'ProbeHolder']);
    expect(p.actions.find((a) => a.kind === 'ProbeHolder')).toMatchObject({ address: '10.231.0.10', steer: true });
    expect(vrrpRoleOf(p)).toBe('BACKUP');
    expect(p.reach).toBe('prepared');
    expect(p.recheckAtMs).toBe(T0 + timeoutMs); // the old master's agent may never answer
  });
  it('waits, held, until the old master released (no preempt before: the old master still answers ARP)', () => {
    const h = incoming({ preparedAt: iso(T0 + 50) });
    const p = planned(promoted(h), running(promoted(h), { vrrp: 'BACKUP', quiet: true, steering: true, holderMac: '02:00:00:00:00:01' }), T0 + 60);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(p)).toBe('BACKUP');
    expect(p.reach).toBe('prepared');
  });
  it('3. released: keepalived made PROMOTED (preempt), still held, looked at again soon for its MASTER', () => {
    const h = incoming({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80) });
    const p = planned(promoted(h), running(promoted(h), { vrrp: 'BACKUP', quiet: true, steering: true, holderMac: '02:00:00:00:00:01' }), T0 + 90);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(p)).toBe('PROMOTED');
    expect(p.reach).toBe('prepared');
    expect(p.recheckAtMs).toBe(T0 + 90 + PROMOTION_POLL_MS);
  });
  it('VRRP MASTER while held: announces (lets ARP flow, gratuitous ARP), keeps steering, serving', () => {
    const h = incoming({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80) });
    const p = planned(promoted(h), running(promoted(h), { vrrp: 'MASTER', quiet: true, steering: true, holderMac: '02:00:00:00:00:01' }), T0 + 400);
    expect(kinds(p)).toEqual(['EnsureVrrp', 'Announce']);
    expect(p.reach).toBe('serving');
  });
  it('VRRP MASTER while held before any release (adverts missed on a busy host): stays held, keepalived BACKUP', () => {
    const h = incoming({ preparedAt: iso(T0 + 50) });
    const p = planned(promoted(h), running(promoted(h), { vrrp: 'MASTER', quiet: true, holderMac: '02:00:00:00:00:01' }), T0 + 400);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(p)).toBe('BACKUP');
    expect(p.reach).toBe('prepared');
  });
  it('VRRP MASTER already when promoted (nothing to hand over): serves, PROMOTED, no hold', () => {
    const p = planned(promoted(incoming()), running(promoted(incoming()), { vrrp: 'MASTER' }), T0 + 10);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(p)).toBe('PROMOTED');
    expect(p.reach).toBe('serving');
  });
  it('a hold left when the next placement ended the hand-over: the master announces, a standby lets go', () => {
    const next = desiredLb({ epoch: 3, pair: { role: 'MASTER', amphora: 1, vrrpAddress: '10.231.0.22', peerAddress: '10.231.0.23' } });
    expect(kinds(planned(next, running(next, { vrrp: 'MASTER', quiet: true }), T0))).toEqual(['EnsureVrrp', 'Announce']);
    const sb = desiredLb({ epoch: 3, pair: { role: 'BACKUP', amphora: 0, vrrpAddress: '10.231.0.21', peerAddress: '10.231.0.22' } });
    expect(kinds(planned(sb, running(sb, { vrrp: 'BACKUP', quiet: true }), T0))).toEqual(['EnsureVrrp', 'EndPairRelease']);
  });
  it('the old master\'s agent down, or the hand-over timeout passed: preempts without a release', () => {
    const h = incoming({ preparedAt: iso(T0 + 50), fromAgentDown: true });
    expect(vrrpRoleOf(planned(promoted(h), running(promoted(h), { vrrp: 'BACKUP', quiet: true, holderMac: null }), T0 + 100))).toBe('PROMOTED');
    const late = incoming({ preparedAt: iso(T0 + 50) });
    expect(vrrpRoleOf(planned(promoted(late), running(promoted(late), { vrrp: 'BACKUP', quiet: true, holderMac: null }), T0 + timeoutMs))).toBe('PROMOTED');
  });
  it('announced (MASTER, not held): nothing more; steering ends with the hand-over (the next placement)', () => {
    const h = incoming({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80) });
    expect(kinds(planned(promoted(h), running(promoted(h), { vrrp: 'MASTER', steering: true }), T0 + 500))).toEqual(['EnsureVrrp']);
    const next = desiredLb({ epoch: 3, pair: { role: 'MASTER', amphora: 1, vrrpAddress: '10.231.0.22', peerAddress: '10.231.0.23' } });
    expect(kinds(planned(next, running(next, { vrrp: 'MASTER', steering: true }), T0 + 4000))).toEqual(['EnsureVrrp', 'Unsteer']);
  });
});

describe('a planned promotion, the old master (outgoing, now the standby)', () => {
  it('serves as before (its keepalived still MASTER, not reloaded) until the promoted side is prepared', () => {
    const p = planned(oldMaster(outgoing()), running(oldMaster(outgoing()), { vrrp: 'MASTER' }), T0 + 10);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(p)).toBe('MASTER');
    expect(p.reach).toBe('waiting');
  });
  it('not the VRRP master (the promoted side is, or FAULT): nothing to hold, released at once', () => {
    const p = planned(oldMaster(outgoing()), running(oldMaster(outgoing()), { vrrp: 'BACKUP' }), T0 + 10);
    expect(kinds(p)).toEqual(['EnsureVrrp']);
    expect(p.reach).toBe('released');
  });
  it('2. prepared: releases (ARP held back, the VIP kept as a /32 so it serves what still reaches it): released', () => {
    const h = outgoing({ preparedAt: iso(T0 + 50) });
    const p = planned(oldMaster(h), running(oldMaster(h), { vrrp: 'MASTER' }), T0 + 60);
    expect(kinds(p)).toEqual(['EnsureVrrp', 'ReleasePairVip']);
    expect(p.reach).toBe('released');
  });
  const h = outgoing({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80) });
  const served = outgoing({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80), servedAt: iso(T0 + 500) });
  const held = (sessions: number | null | undefined, o: { vrrp?: VrrpRole; vrrpSince?: number } = {}) =>
    running(oldMaster(h), { vrrp: o.vrrp ?? 'BACKUP', vrrpSince: o.vrrpSince ?? T0 + 400, quiet: true, sessions });
  it('released and held, idle: nothing more until the minimum drain after the promoted side served, then the release ends: drained', () => {
    expect(kinds(planned(oldMaster(h), held(0), T0 + 100))).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(planned(oldMaster(h), held(0), T0 + 100))).toBe('MASTER');
    // Not served yet (a slow promoted side): still held after the minimum drain.
    expect(kinds(planned(oldMaster(h), held(0), T0 + 80 + minDrainMs))).toEqual(['EnsureVrrp']);
    expect(planned(oldMaster(served), held(0), T0 + 600)).toMatchObject({ reach: 'released', recheckAtMs: T0 + 850 });
    expect(kinds(planned(oldMaster(served), held(0), T0 + 500 + minDrainMs - 1))).toEqual(['EnsureVrrp']);
    const ended = planned(oldMaster(served), held(0), T0 + 500 + minDrainMs);
    expect(kinds(ended)).toEqual(['EnsureVrrp', 'EndPairRelease']);
    expect(ended.reach).toBe('drained');
  });
  it('released and held, carrying connections: held while they last (looked at every DRAIN_POLL_MS), ends the moment the last one closed', () => {
    for (const busy of [1, 40, null, undefined]) {
      const p = planned(oldMaster(served), held(busy), T0 + 500 + minDrainMs + 20_000);
      expect(kinds(p)).toEqual(['EnsureVrrp']);
      expect(p).toMatchObject({ reach: 'released', recheckAtMs: T0 + 500 + minDrainMs + 20_000 + DRAIN_POLL_MS });
    }
    const ended = planned(oldMaster(served), held(0), T0 + 500 + minDrainMs + 20_000);
    expect(kinds(ended)).toEqual(['EnsureVrrp', 'EndPairRelease']);
    expect(ended.reach).toBe('drained');
  });
  it('released and held, still carrying connections at the drain timeout after its release: the release ends anyway', () => {
    expect(kinds(planned(oldMaster(served), held(3), T0 + 80 + drainTimeoutMs - 1))).toEqual(['EnsureVrrp']);
    expect(planned(oldMaster(served), held(3), T0 + 80 + drainTimeoutMs - 300).recheckAtMs).toBe(T0 + 80 + drainTimeoutMs);
    const ended = planned(oldMaster(served), held(3), T0 + 80 + drainTimeoutMs);
    expect(kinds(ended)).toEqual(['EnsureVrrp', 'EndPairRelease']);
    expect(ended.reach).toBe('drained');
  });
  it('released and held, VRRP master again (the promoted side went away): the release ends at once, connections or not', () => {
    expect(kinds(planned(oldMaster(h), held(5, { vrrp: 'MASTER', vrrpSince: T0 + 2000 }), T0 + 2100))).toEqual(['EnsureVrrp', 'EndPairRelease']);
    // still the master it was when it released: the promoted side has not preempted yet
    expect(kinds(planned(oldMaster(h), held(0, { vrrp: 'MASTER', vrrpSince: T0 - 5000 }), T0 + 200))).toEqual(['EnsureVrrp']);
  });
  it('released, the promoted side never served: the release ends after the hand-over timeout and the drain (as before)', () => {
    expect(kinds(planned(oldMaster(h), held(2), T0 + 80 + timeoutMs + minDrainMs - 1))).toEqual(['EnsureVrrp']);
    expect(kinds(planned(oldMaster(h), held(2), T0 + 80 + timeoutMs + minDrainMs))).toEqual(['EnsureVrrp', 'EndPairRelease']);
  });
  it('the release ended: a plain standby (BACKUP) that reports drained', () => {
    const ended = planned(oldMaster(h), running(oldMaster(h), { vrrp: 'BACKUP' }), T0 + 80 + minDrainMs + 1);
    expect(kinds(ended)).toEqual(['EnsureVrrp']);
    expect(vrrpRoleOf(ended)).toBe('BACKUP');
    expect(ended.reach).toBe('drained');
  });
  it('released on the host, its report not back yet: released (not drained)', () =>
    expect(planned(oldMaster(outgoing({ preparedAt: iso(T0 + 50) })), running(oldMaster(h), { vrrp: 'BACKUP', quiet: true }), T0 + 100).reach).toBe('released'));
  it('never builds an outgoing side anew nor destroys it (it is still the placement\'s standby)', () => {
    const h = outgoing({ preparedAt: iso(T0 + 50), releasedAt: iso(T0 + 80) });
    expect(kinds(planned(oldMaster(h), running(oldMaster(h), { vrrp: 'BACKUP' }), T0 + 120_000))).not.toContain('Destroy');
  });
});

describe('a hold left without a hand-over (the next placement ended it)', () => {
  const standby = desiredLb({ epoch: 3, pair: { role: 'BACKUP', amphora: 2, vrrpAddress: '10.231.0.23', peerAddress: '10.231.0.22' } });
  it('a new standby does not hold: keepalived alone decides', () => {
    const p = planLb(standby, undefined, { runDir, nowMs: T0 });
    if (p.kind !== 'apply') throw new Error(p.kind);
    expect(kinds(p)).not.toContain('HoldPairVip');
  });
  it('BACKUP for JOIN_HOLD_MS: lets go, without a gratuitous ARP', () => {
    const held = (since: number) => running(standby, { vrrp: 'BACKUP', vrrpSince: since, quiet: true });
    expect(kinds(planned(standby, held(T0), T0 + 500))).toEqual(['EnsureVrrp']);
    expect(planned(standby, held(T0), T0 + 500).recheckAtMs).toBe(T0 + JOIN_HOLD_MS);
    expect(kinds(planned(standby, held(T0), T0 + JOIN_HOLD_MS))).toEqual(['EnsureVrrp', 'EndPairRelease']);
  });
  it('MASTER for a moment: stays held; MASTER for JOIN_HOLD_MS: announces', () => {
    const held = (since: number) => running(standby, { vrrp: 'MASTER', vrrpSince: since, quiet: true });
    expect(kinds(planned(standby, held(T0), T0 + 300))).toEqual(['EnsureVrrp']);
    expect(kinds(planned(standby, held(T0), T0 + JOIN_HOLD_MS))).toEqual(['EnsureVrrp', 'Announce']);
  });
  it('FAULT: stays held, looked at again', () =>
    expect(kinds(planned(standby, running(standby, { vrrp: 'FAULT', quiet: true }), T0))).toEqual(['EnsureVrrp']));
});
