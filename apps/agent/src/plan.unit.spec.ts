import { renderHaproxy, type ServerSpec } from '@lbaas/haproxy-config';
import type { DesiredHandover, DesiredLb } from '@lbaas/projections';
import { desiredLb, LB_ID, listener, member, monitor, pool, WEB1, WEB2 } from '@lbaas/testing';
import { lbPaths } from './layout';
import { configDigest, DEFAULT_HANDOVER, plan, planLb, serverOps, type Action, type ObservedLb, type RunningHaproxy } from './plan';

const runDir = '/run/lbaas/a1';
const OTHER = '99999999-9999-4999-8999-999999999999';
const WEB3 = '33333333-3333-4333-8333-333333333333';
const render = (d: DesiredLb, withoutHealthChecks = false) => renderHaproxy(d, { statsSocket: lbPaths(runDir, d.lbId).statsSock, withoutHealthChecks });
const runningOf = (d: DesiredLb, withoutHealthChecks = false): RunningHaproxy => {
  const r = render(d, withoutHealthChecks);
  return { structure: configDigest(r.structure), config: configDigest(r.text), servers: r.servers };
};
const D = configDigest(render(desiredLb()).text);

/** The host exactly as `d` (default: the default desired LB) wants it; override to describe drift. */
const converged = (o: Partial<ObservedLb> = {}, p: Partial<NonNullable<ObservedLb['plumbing']>> = {}, d: DesiredLb = desiredLb()): ObservedLb => ({
  lbId: LB_ID, owned: true, netns: true, configDigest: configDigest(render(d).text), haproxy: { pid: 42, inNetns: true, running: runningOf(d) },
  plumbing: { hostIfMaster: 'br-lbaas', hostIfUp: true, vipIfUp: true, loUp: true, addresses: ['10.231.0.10/24'], defaultVia: '10.231.0.1', nonlocalBind: true, ...p },
  handover: { quiet: false, steering: false }, ...o,
});
const kinds = (lbs: DesiredLb[], observed: ObservedLb[], nowMs = 0) =>
  plan({ agentId: 'a1', loadBalancers: lbs }, new Map(observed.map((o) => [o.lbId, o])), { runDir, nowMs })
    .map((p) => (p.kind === 'apply' ? `${p.lbId === LB_ID ? '' : 'other:'}${p.actions.map(label).join(',')}` : `${p.kind}: ${p.reason}`));
/** An action's kind; a runtime change also lists its steps. */
const label = (a: Action) => (a.kind === 'SetServers' ? `SetServers[${a.ops.map((o) => `${o.op}${o.op === 'add' ? ` ${o.server.name.slice(0, 4)}` : 'name' in o ? ` ${o.name.slice(0, 4)}` : ''}`).join(' ')}]` : a.kind);

const three = desiredLb({ pools: [pool({ members: [member(), member({ memberId: WEB2, address: '10.231.1.12' }), member({ memberId: WEB3, address: '10.231.1.13' })] })] });
const withMember = (o: Partial<ReturnType<typeof member>>, p: Partial<ReturnType<typeof pool>> = {}) =>
  desiredLb({ pools: [pool({ ...p, members: [member(o), member({ memberId: WEB2, address: '10.231.1.12' })] })] });

describe('plan', () => {
  it.each<[string, DesiredLb[], ObservedLb[], string[]]>([
    ['a new LB is built from nothing', [desiredLb()], [], ['CreateNetns,PlugVip,WriteConfig,StartHaproxy']],
    ['a converged LB needs nothing', [desiredLb()], [converged()], ['']],
    ['a written but not yet loaded structure only reloads', [desiredLb()], [converged({ haproxy: { pid: 42, inNetns: true, running: { ...runningOf(desiredLb()), structure: 'old' } } })], ['Reload']],
    ['a haproxy whose running state is unknown (no record, no answer) is reloaded', [desiredLb()], [converged({ haproxy: { pid: 42, inNetns: true, running: null } })], ['Reload']],
    ['a dead haproxy is started again', [desiredLb()], [converged({ haproxy: null })], ['StartHaproxy']],
    ['a deleted netns is rebuilt, and the stray haproxy in the old one stopped', [desiredLb()],
      [converged({ netns: false, plumbing: null, haproxy: { pid: 42, inNetns: false, running: runningOf(desiredLb()) } })], ['CreateNetns,StopHaproxy,PlugVip,StartHaproxy']],
    ['a missing VIP address is plugged again', [desiredLb()], [converged({}, { addresses: [] })], ['PlugVip']],
    ['a host veth on the wrong bridge is plugged again', [desiredLb()], [converged({}, { hostIfMaster: 'br-other' })], ['PlugVip']],
    ['a missing default route is plugged again', [desiredLb()], [converged({}, { defaultVia: null })], ['PlugVip']],
    ['ip_nonlocal_bind=0 in the netns is plugged again', [desiredLb()], [converged({}, { nonlocalBind: false })], ['PlugVip']],
    ['no gateway means no route is required', [desiredLb({ vip: { ...desiredLb().vip, gatewayIp: null } })], [converged({}, { defaultVia: null })], ['']],
    ['a deleted LB is destroyed', [desiredLb({ deleted: true })], [converged()], ['Destroy']],
    ['a deleted LB with nothing left needs nothing (and is reported)', [desiredLb({ deleted: true })], [], ['']],
    ['an owned LB no longer placed here is destroyed', [], [converged()], ['Destroy']],
    ['another agent\'s namespace is never destroyed', [], [converged({ owned: false })], ['']],
    ['another agent\'s namespace blocks building the same LB', [desiredLb()], [converged({ owned: false })],
      [`blocked: netns qlbaas-${LB_ID} exists but this agent's state dir does not record it (another agent's?)`]],
    ['an unmapped physical network is rejected', [desiredLb({ vip: { ...desiredLb().vip, bridge: { kind: 'unmapped', physicalNetwork: 'physnet9' } } })], [],
      ['rejected: no bridge mapping on this agent for physical network physnet9']],
    ['an unrenderable tree is rejected', [desiredLb({ listeners: [{ ...desiredLb().listeners[0], protocol: 'SCTP' }] })], [],
      [expect.stringMatching(/^rejected: listener .* SCTP .*CONFIG_IP_SCTP is not set/) as unknown as string]],
  ])('%s', (_name, lbs, observed, expected) => expect(kinds(lbs, observed)).toEqual(expected));

  it('plans each LB on its own: one LB\'s rejection does not hide another\'s actions', () => {
    const bad = desiredLb({ lbId: OTHER, vip: { ...desiredLb().vip, bridge: { kind: 'unmapped', physicalNetwork: null } } });
    expect(kinds([bad, desiredLb()], [])).toEqual([expect.stringMatching(/^rejected/), 'CreateNetns,PlugVip,WriteConfig,StartHaproxy']);
  });

  it('names the host veth within 15 characters and plugs the VIP with its prefix and gateway', () => {
    const [p] = plan({ agentId: 'a1', loadBalancers: [desiredLb()] }, new Map(), { runDir });
    const plug = p.kind === 'apply' ? p.actions.find((a) => a.kind === 'PlugVip') : undefined;
    expect(plug).toEqual({ kind: 'PlugVip', lbId: LB_ID, netns: `qlbaas-${LB_ID}`, hostIf: 'vl3b7e4c1a5d2f', bridge: 'br-lbaas',
      address: '10.231.0.10', prefixLen: 24, gatewayIp: '10.231.0.1', quiet: false, fresh: true, ipv6: false });
    expect(plug && 'hostIf' in plug && plug.hostIf.length).toBeLessThanOrEqual(15);
    expect(D).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each<[string, Partial<DesiredLb>, boolean]>([
    ['an IPv4 VIP alone: IPv6 off on its interface', {}, false],
    ['an IPv6 VIP: IPv6 on', { vip: { ...desiredLb().vip, address: '2001:db8::10', prefixLen: 64, gatewayIp: null } }, true],
    ['an IPv4 VIP with an IPv6 additional VIP: IPv6 on', { additionalVips: [{ address: '2001:db8::11', subnetId: 's6', prefixLen: 64 }] }, true],
    ['an IPv4 VIP with an IPv4 additional VIP: IPv6 off', { additionalVips: [{ address: '10.231.0.11', subnetId: 's', prefixLen: 24 }] }, false],
  ])('%s', (_name, change, ipv6) => {
    const [p] = plan({ agentId: 'a1', loadBalancers: [desiredLb(change)] }, new Map(), { runDir });
    const plug = p.kind === 'apply' ? p.actions.find((a) => a.kind === 'PlugVip') : undefined;
    expect(plug && 'ipv6' in plug && plug.ipv6).toBe(ipv6);
  });
});

describe('plan: runtime API or reload (what runs vs what is desired)', () => {
  // The host runs the default LB (web1, web2, HTTP monitor, round robin); the desired LB differs as each row says.
  it.each<[string, DesiredLb, string]>([
    ['a member added: add server, then the file', three, `SetServers[add ${WEB3.slice(0, 4)}],WriteConfig`],
    ['a member removed: del server, then the file', desiredLb({ pools: [pool({ members: [member()] })] }), `SetServers[del ${WEB2.slice(0, 4)}],WriteConfig`],
    ['a weight', withMember({ weight: 7 }), `SetServers[weight ${WEB1.slice(0, 4)}],WriteConfig`],
    ['a drain (weight 0)', withMember({ weight: 0 }), `SetServers[weight ${WEB1.slice(0, 4)}],WriteConfig`],
    ['admin state down', withMember({ adminStateUp: false }), `SetServers[state ${WEB1.slice(0, 4)}],WriteConfig`],
    ['a monitor address and port', withMember({ monitorAddress: '10.231.1.99', monitorPort: 9000 }), `SetServers[check-addr ${WEB1.slice(0, 4)}],WriteConfig`],
    ['the backup flag (haproxy cannot change it): del + add', withMember({ backup: true }), `SetServers[del ${WEB1.slice(0, 4)} add ${WEB1.slice(0, 4)}],WriteConfig`],
    ['a monitor setting on every server (check inter): reload', desiredLb({ pools: [pool({ monitor: monitor({ delay: 9 }) })] }), 'WriteConfig,Reload'],
    ['the algorithm: reload', desiredLb({ pools: [pool({ lbAlgorithm: 'LEAST_CONNECTIONS' })] }), 'WriteConfig,Reload'],
    ['the persistence: reload', desiredLb({ pools: [pool({ sessionPersistence: { type: 'SOURCE_IP', cookieName: null, persistenceTimeout: null, persistenceGranularity: null } })] }), 'WriteConfig,Reload'],
    ['a listener: reload', desiredLb({ listeners: [listener(), listener({ listenerId: OTHER, protocolPort: 81 })] }), 'WriteConfig,Reload'],
    ['the monitor removed: reload', desiredLb({ pools: [pool({ monitor: null })] }), 'WriteConfig,Reload'],
    ['two members with one name (haproxy -c must say no before anything changes): reload', desiredLb({ pools: [pool({ members: [member(), member({ address: '10.231.1.12' })] })] }), 'WriteConfig,Reload'],
  ])('%s', (_name, d, expected) => expect(kinds([d], [converged()])).toEqual([expected]));

  it('adds a member with its own check settings and the file written after the runtime change', () => {
    const [p] = plan({ agentId: 'a1', loadBalancers: [three] }, new Map([[LB_ID, converged()]]), { runDir });
    expect(p.kind === 'apply' && p.actions.map((a) => a.kind)).toEqual(['SetServers', 'WriteConfig']);
    const set = p.kind === 'apply' ? p.actions[0] : undefined;
    expect(set?.kind === 'SetServers' && set.ops).toEqual([{ op: 'add', server: expect.objectContaining({ name: WEB3, address: '10.231.1.13', weight: 1, check: expect.objectContaining({ inter: 1 }) }) }]);
    expect(set?.kind === 'SetServers' && set.running).toEqual(runningOf(three));
  });

  it('reloads a cookie-persistent pool to add a member (haproxy 2.6 refuses cookie on add server), but changes its weights at runtime', () => {
    const cookie = { type: 'HTTP_COOKIE' as const, cookieName: null, persistenceTimeout: null, persistenceGranularity: null };
    const base = desiredLb({ pools: [pool({ sessionPersistence: cookie })] });
    const added = desiredLb({ pools: [pool({ sessionPersistence: cookie, members: three.pools[0].members })] });
    expect(kinds([added], [converged({}, {}, base)])).toEqual(['WriteConfig,Reload']);
    expect(kinds([desiredLb({ pools: [pool({ sessionPersistence: cookie, members: [member({ weight: 3 }), member({ memberId: WEB2, address: '10.231.1.12' })] })] })], [converged({}, {}, base)]))
      .toEqual([`SetServers[weight ${WEB1.slice(0, 4)}],WriteConfig`]);
  });

  it('repairs runtime drift (a weight changed by hand) at runtime, without touching the file', () => {
    const drifted = runningOf(desiredLb());
    const servers = drifted.servers.map((s, i) => (i === 0 ? { ...s, weight: 50 } : s));
    expect(kinds([desiredLb()], [converged({ haproxy: { pid: 42, inNetns: true, running: { ...drifted, servers } } })])).toEqual([`SetServers[weight ${WEB1.slice(0, 4)}]`]);
  });

  it('serverOps: deletions first, then additions, then changes in place; null when only a reload can', () => {
    const s = (name: string, o: Partial<ServerSpec> = {}): ServerSpec => ({ backend: 'b', name, address: '10.0.0.1', port: 80, weight: 1, backup: false, enabled: true, id: null, check: null, cookie: null, proxy: null, ...o });
    expect(serverOps([s('a'), s('b')], [s('b', { weight: 2 }), s('c')])).toEqual([
      { op: 'del', backend: 'b', name: 'a' }, { op: 'add', server: s('c') }, { op: 'weight', backend: 'b', name: 'b', weight: 2 },
    ]);
    expect(serverOps([s('a')], [s('a', { address: '10.0.0.2' })])).toEqual([{ op: 'del', backend: 'b', name: 'a' }, { op: 'add', server: s('a', { address: '10.0.0.2' }) }]);
    expect(serverOps([], [s('a', { cookie: 'a' })])).toBeNull();
    expect(serverOps([], [s('a'), s('a')])).toBeNull();
    expect(serverOps([s('a')], [s('a')])).toEqual([]);
  });
});

describe('plan: the hand-over of a planned move', () => {
  const t0 = Date.parse('2026-11-25T00:00:00.000Z');
  const at = (dt: number) => new Date(t0 + dt).toISOString();
  const incoming = (o: Partial<Extract<DesiredHandover, { role: 'incoming' }>> = {}): DesiredLb => desiredLb({
    epoch: 2, handover: { role: 'incoming', fromAgentId: 'a0', fromEpoch: 1, placedAt: at(0), preparedAt: null, releasedAt: null, fromAgentDown: false, ...o },
  });
  const outgoing = (o: Partial<Extract<DesiredHandover, { role: 'outgoing' }>> = {}): DesiredLb => desiredLb({
    handover: { role: 'outgoing', toAgentId: 'a2', toEpoch: 2, placedAt: at(0), preparedAt: null, releasedAt: null, ...o },
  });
  const one = (d: DesiredLb, o: ObservedLb | undefined, nowMs: number) => planLb(d, o, { runDir, nowMs, handover: DEFAULT_HANDOVER });
  const steps = (d: DesiredLb, o: ObservedLb | undefined, nowMs: number) => {
    const p = one(d, o, nowMs);
    return p.kind === 'apply' ? { actions: p.actions.map((a) => a.kind).join(','), reach: p.reach } : { actions: p.kind, reach: null };
  };
  /** The new copy, built and held back (no health checks yet), the old holder's MAC learnt and steered to. */
  const heldBack = (o: Partial<ObservedLb> = {}): ObservedLb => converged({
    configDigest: configDigest(render(incoming(), true).text), haproxy: { pid: 7, inNetns: true, running: runningOf(incoming(), true) },
    handover: { quiet: true, steering: true, holderMac: '02:00:00:00:00:01' }, ...o,
  });

  it('the new copy is built with the VIP held back, without health checks, learns who holds the VIP, steers there: prepared', () => {
    const p = one(incoming(), undefined, t0 + 100);
    expect(p.kind === 'apply' && p.actions.map((a) => a.kind)).toEqual(['CreateNetns', 'PlugVip', 'WriteConfig', 'StartHaproxy', 'ProbeHolder']);
    expect(p.kind === 'apply' && p.actions.find((a) => a.kind === 'PlugVip')).toMatchObject({ quiet: true });
    expect(p.kind === 'apply' && (p.actions.find((a) => a.kind === 'WriteConfig') as { config: string }).config).not.toContain('check inter');
    expect(p.kind === 'apply' && p.reach).toBe('prepared');
    expect(steps(incoming(), heldBack({ handover: { quiet: true, steering: false, holderMac: '02:00:00:00:00:01' } }), t0 + 200)).toEqual({ actions: 'Steer', reach: 'prepared' }); // a probe before a restart
    expect(steps(incoming(), heldBack(), t0 + 300)).toEqual({ actions: '', reach: 'prepared' });
  });

  it('announces once the old copy released the VIP, then reloads with health checks: serving', () =>
    expect(steps(incoming({ releasedAt: at(400) }), heldBack(), t0 + 500)).toEqual({ actions: 'Announce,WriteConfig,Reload', reach: 'serving' }));

  it('announces at once when the old agent is down (fenced by its lease: never waited for)', () => {
    expect(steps(incoming({ fromAgentDown: true }), heldBack(), t0 + 100).actions).toBe('Announce,WriteConfig,Reload');
    expect(steps(incoming({ fromAgentDown: true }), undefined, t0 + 100)).toEqual({ actions: 'CreateNetns,PlugVip,WriteConfig,StartHaproxy', reach: 'serving' });
  });

  it('announces after the hand-over timeout when the old agent never released the VIP', () => {
    expect(steps(incoming(), heldBack(), t0 + DEFAULT_HANDOVER.timeoutMs - 1).actions).toBe('');
    expect(steps(incoming(), heldBack(), t0 + DEFAULT_HANDOVER.timeoutMs).actions).toBe('Announce,WriteConfig,Reload');
  });

  it('stops steering once the old copy is surely drained', () => {
    const serving = converged({ handover: { quiet: false, steering: true, holderMac: '02:00:00:00:00:01' } });
    const d = incoming({ releasedAt: at(400) });
    expect(steps(d, serving, t0 + 30_000).actions).toBe('');
    expect(steps(d, serving, t0 + 400 + DEFAULT_HANDOVER.drainTimeoutMs + DEFAULT_HANDOVER.minDrainMs).actions).toBe('Unsteer');
  });

  it('the old copy keeps serving until the new one is prepared, however long that takes', () => {
    expect(steps(outgoing(), converged(), t0 + 5 * 60_000)).toEqual({ actions: '', reach: 'waiting' });
  });

  it('the old copy releases the VIP once the new one is prepared, and keeps its connections', () => {
    expect(steps(outgoing({ preparedAt: at(100) }), converged(), t0 + 150)).toEqual({ actions: 'Release', reach: 'released' });
    expect(steps(outgoing({ preparedAt: at(100), releasedAt: at(160) }), converged({ handover: { quiet: true, steering: false }, sessions: 3 }), t0 + 10_000))
      .toEqual({ actions: '', reach: 'released' });
  });

  it('the old copy goes when its connections end (not before the minimum drain), or at the drain timeout', () => {
    const released = outgoing({ preparedAt: at(100), releasedAt: at(160) });
    const quiet = (sessions: number) => converged({ handover: { quiet: true, steering: false }, sessions });
    expect(steps(released, quiet(0), t0 + 160 + DEFAULT_HANDOVER.minDrainMs - 1).actions).toBe('');
    expect(steps(released, quiet(0), t0 + 160 + DEFAULT_HANDOVER.minDrainMs).actions).toBe('Destroy');
    expect(steps(released, quiet(5), t0 + 160 + DEFAULT_HANDOVER.drainTimeoutMs - 1).actions).toBe('');
    expect(steps(released, quiet(5), t0 + 160 + DEFAULT_HANDOVER.drainTimeoutMs).actions).toBe('Destroy');
  });

  it('the old agent with no copy (never built, or gone) has released at once, and never builds one', () => {
    expect(steps(outgoing(), undefined, t0)).toEqual({ actions: '', reach: 'released' });
    expect(steps(outgoing(), converged({ haproxy: null }), t0)).toEqual({ actions: 'Destroy', reach: 'released' });
  });

  it('the old copy never changes its config while it drains', () => {
    const changed = outgoing({ preparedAt: at(100), releasedAt: at(160) });
    expect(steps({ ...changed, pools: [pool({ members: [member()] })] }, converged({ handover: { quiet: true, steering: false }, sessions: 1 }), t0 + 1000).actions).toBe('');
  });

  it('a deleted LB is torn down by both agents', () => {
    expect(steps({ ...outgoing(), deleted: true }, converged(), t0).actions).toBe('Destroy');
    expect(steps({ ...incoming(), deleted: true }, heldBack(), t0).actions).toBe('Destroy');
  });
});
