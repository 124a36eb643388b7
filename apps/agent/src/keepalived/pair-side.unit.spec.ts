import { renderHaproxy } from '@lbaas/haproxy-config';
import type { DesiredLb } from '@lbaas/projections';
import { desiredLb, LB_ID } from '@lbaas/testing';
import { lbPaths } from '../layout';
import { configDigest, planLb, type Action, type ObservedLb } from '../plan';
import { pairSideConfig } from './keepalived-host';
import { vrrpActions } from './pair-side';

/** The reconciler's two hooks for an ACTIVE_STANDBY side (issue 14): the VRRP address plumbed, keepalived after haproxy. */

const runDir = '/run/lbaas/a1';
const side = (role: 'MASTER' | 'BACKUP' | 'PROMOTED', peerAddress: string | null = '10.231.0.22'): DesiredLb =>
  desiredLb({ pair: { role, amphora: 0, vrrpAddress: '10.231.0.21', peerAddress } });
const kinds = (d: DesiredLb, o?: ObservedLb): string[] => {
  const p = planLb(d, o, { runDir, nowMs: 0 });
  return p.kind === 'apply' ? p.actions.map((a) => a.kind) : [`${p.kind}: ${p.reason}`];
};
const plugged = (d: DesiredLb): Extract<Action, { kind: 'PlugVip' }> | undefined => {
  const p = planLb(d, undefined, { runDir, nowMs: 0 });
  return p.kind === 'apply' ? p.actions.find((a): a is Extract<Action, { kind: 'PlugVip' }> => a.kind === 'PlugVip') : undefined;
};
const running = (d: DesiredLb, addresses: string[]): ObservedLb => {
  const r = renderHaproxy(d, { statsSocket: lbPaths(runDir, d.lbId).statsSock });
  return {
    lbId: LB_ID, owned: true, netns: true, configDigest: configDigest(r.text),
    haproxy: { pid: 42, inNetns: true, running: { structure: configDigest(r.structure), config: configDigest(r.text), servers: r.servers } },
    plumbing: { hostIfMaster: 'br-lbaas', hostIfUp: true, vipIfUp: true, loUp: true, addresses, defaultVia: '10.231.0.1', nonlocalBind: true },
    handover: { quiet: false, steering: false },
  };
};

describe('pair side: plan hooks', () => {
  it('builds a side with keepalived last, once haproxy runs', () =>
    expect(kinds(side('MASTER'))).toEqual(['CreateNetns', 'PlugVip', 'WriteConfig', 'StartHaproxy', 'EnsureVrrp']));
  it('plumbs the side\'s VRRP address, never the VIP (keepalived adds it on the master only)', () =>
    expect(plugged(side('BACKUP'))).toMatchObject({ address: '10.231.0.21', prefixLen: 24 }));
  it('a PROMOTED master (a planned move) runs keepalived with priority 200 and preempt', () => {
    const p = planLb(side('PROMOTED'), undefined, { runDir, nowMs: 0 });
    const a = p.kind === 'apply' ? p.actions.find((x) => x.kind === 'EnsureVrrp') : undefined;
    expect(a).toMatchObject({ side: { role: 'PROMOTED' } });
    const text = pairSideConfig((a as Extract<Action, { kind: 'EnsureVrrp' }>).side, runDir, '/var/lib/lbaas/a1', 100);
    expect(text).toMatch(/priority 200/);
    expect(text).not.toMatch(/nopreempt/);
  });
  it('plumbs the VIP itself for a SINGLE load balancer and runs no keepalived', () => {
    expect(plugged(desiredLb())).toMatchObject({ address: desiredLb().vip.address });
    expect(kinds(desiredLb())).not.toContain('EnsureVrrp');
  });
  it('keeps a side whose VRRP address is plumbed (and the VIP on it while master) as it is, but for keepalived\'s idempotent step', () =>
    expect(kinds(side('MASTER'), running(side('MASTER'), ['10.231.0.21/24', '10.231.0.10/24']))).toEqual(['EnsureVrrp']));
  it('re-plumbs a side whose interface lost its VRRP address', () =>
    expect(kinds(side('MASTER'), running(side('MASTER'), ['10.231.0.10/24']))).toEqual(['PlugVip', 'EnsureVrrp']));
});

describe('pair side: keepalived config', () => {
  const config = (d: DesiredLb) => {
    const [a] = vrrpActions(d);
    return pairSideConfig(a.side, runDir, '/var/lib/lbaas/a1', 100);
  };
  it('gives the master priority 100 and the backup 90, both nopreempt, unicast to the peer', () => {
    expect(config(side('MASTER'))).toMatch(/priority 100\n[\s\S]*unicast_src_ip 10\.231\.0\.21\n  unicast_peer \{\n    10\.231\.0\.22\n/);
    expect(config(side('BACKUP'))).toMatch(/nopreempt[\s\S]*priority 90\n/);
  });
  it('has the VIP with its prefix as the one virtual address', () =>
    expect(config(side('MASTER'))).toContain(`virtual_ipaddress {\n    ${desiredLb().vip.address}/24 dev vip0\n  }`));
  it('runs without a unicast peer while the pair has no standby', () =>
    expect(config(side('MASTER', null))).not.toContain('unicast_peer'));
});
