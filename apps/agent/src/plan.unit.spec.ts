import { renderHaproxyConfig } from '@lbaas/haproxy-config';
import type { DesiredLb } from '@lbaas/projections';
import { desiredLb, LB_ID } from '@lbaas/testing';
import { lbPaths } from './layout';
import { configDigest, plan, type ObservedLb } from './plan';

const runDir = '/run/lbaas/a1';
const OTHER = '99999999-9999-4999-8999-999999999999';
const digestOf = (d: DesiredLb) => configDigest(renderHaproxyConfig(d, { statsSocket: lbPaths(runDir, d.lbId).statsSock }));
const D = digestOf(desiredLb());

/** The host exactly as the default desired LB wants it; override to describe drift. */
const converged = (o: Partial<ObservedLb> = {}, p: Partial<NonNullable<ObservedLb['plumbing']>> = {}): ObservedLb => ({
  lbId: LB_ID, owned: true, netns: true, configDigest: D, haproxy: { pid: 42, inNetns: true, loadedDigest: D },
  plumbing: { hostIfMaster: 'br-lbaas', hostIfUp: true, vipIfUp: true, loUp: true, addresses: ['10.231.0.10/24'], defaultVia: '10.231.0.1', nonlocalBind: true, ...p },
  ...o,
});
const kinds = (lbs: DesiredLb[], observed: ObservedLb[]) =>
  plan({ agentId: 'a1', loadBalancers: lbs }, new Map(observed.map((o) => [o.lbId, o])), { runDir })
    .map((p) => (p.kind === 'apply' ? `${p.lbId === LB_ID ? '' : 'other:'}${p.actions.map((a) => a.kind).join(',')}` : `${p.kind}: ${p.reason}`));

describe('plan', () => {
  it.each<[string, DesiredLb[], ObservedLb[], string[]]>([
    ['a new LB is built from nothing', [desiredLb()], [], ['CreateNetns,PlugVip,WriteConfig,StartHaproxy']],
    ['a converged LB needs nothing', [desiredLb()], [converged()], ['']],
    ['a changed tree writes the config and reloads (never restarts)', [desiredLb({ pools: [] })], [converged()], ['WriteConfig,Reload']],
    ['a written but not yet loaded config only reloads', [desiredLb()], [converged({ haproxy: { pid: 42, inNetns: true, loadedDigest: 'old' } })], ['Reload']],
    ['a dead haproxy is started again', [desiredLb()], [converged({ haproxy: null })], ['StartHaproxy']],
    ['a deleted netns is rebuilt, and the stray haproxy in the old one stopped', [desiredLb()],
      [converged({ netns: false, plumbing: null, haproxy: { pid: 42, inNetns: false, loadedDigest: D } })], ['CreateNetns,StopHaproxy,PlugVip,StartHaproxy']],
    ['a missing VIP address is plugged again', [desiredLb()], [converged({}, { addresses: [] })], ['PlugVip']],
    ['a host veth on the wrong bridge is plugged again', [desiredLb()], [converged({}, { hostIfMaster: 'br-other' })], ['PlugVip']],
    ['a missing default route is plugged again', [desiredLb()], [converged({}, { defaultVia: null })], ['PlugVip']],
    ['ip_nonlocal_bind=0 in the netns is plugged again', [desiredLb()], [converged({}, { nonlocalBind: false })], ['PlugVip']],
    ['no gateway means no route is required', [desiredLb({ vip: { ...desiredLb().vip, gatewayIp: null } })], [converged({}, { defaultVia: null })], ['']],
    ['a deleted LB is destroyed', [desiredLb({ deleted: true })], [converged()], ['Destroy']],
    ['a deleted LB with nothing left needs nothing (and is reported)', [desiredLb({ deleted: true })], [], ['']],
    ['an owned LB no longer placed here is destroyed', [], [converged()], ['Destroy']],
    ['another agent\'s namespace is never destroyed', [], [converged({ owned: false })], []],
    ['another agent\'s namespace blocks building the same LB', [desiredLb()], [converged({ owned: false })],
      [`blocked: netns qlbaas-${LB_ID} exists but this agent's state dir does not record it (another agent's?)`]],
    ['an unmapped physical network is rejected', [desiredLb({ vip: { ...desiredLb().vip, bridge: { kind: 'unmapped', physicalNetwork: 'physnet9' } } })], [],
      ['rejected: no bridge mapping on this agent for physical network physnet9']],
    ['an unrenderable tree is rejected', [desiredLb({ listeners: [{ ...desiredLb().listeners[0], protocol: 'UDP' }] })], [],
      [expect.stringMatching(/^rejected: listener .* protocol UDP/) as unknown as string]],
  ])('%s', (_name, lbs, observed, expected) => expect(kinds(lbs, observed)).toEqual(expected));

  it('plans each LB on its own: one LB\'s rejection does not hide another\'s actions', () => {
    const bad = desiredLb({ lbId: OTHER, vip: { ...desiredLb().vip, bridge: { kind: 'unmapped', physicalNetwork: null } } });
    expect(kinds([bad, desiredLb()], [])).toEqual([expect.stringMatching(/^rejected/), 'CreateNetns,PlugVip,WriteConfig,StartHaproxy']);
  });

  it('names the host veth within 15 characters and plugs the VIP with its prefix and gateway', () => {
    const [p] = plan({ agentId: 'a1', loadBalancers: [desiredLb()] }, new Map(), { runDir });
    const plug = p.kind === 'apply' ? p.actions.find((a) => a.kind === 'PlugVip') : undefined;
    expect(plug).toEqual({ kind: 'PlugVip', lbId: LB_ID, netns: `qlbaas-${LB_ID}`, hostIf: 'vl3b7e4c1a5d2f', bridge: 'br-lbaas',
      address: '10.231.0.10', prefixLen: 24, gatewayIp: '10.231.0.1' });
    expect(plug && 'hostIf' in plug && plug.hostIf.length).toBeLessThanOrEqual(15);
  });
});
