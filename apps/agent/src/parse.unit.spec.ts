import { desiredLb, listener, member, pool, LB_ID } from '@lbaas/testing';
import type { DesiredLb } from '@lbaas/projections';
import { batch } from './host/ip';
import { InvalidValue, parse, parseDesiredState, parseVipPlumbing, refusedReason, type InterfaceName } from './parse';
import { plan } from './plan';

const plumbing = { lbId: LB_ID, bridge: 'br-lbaas', address: '10.231.0.10', prefixLen: 24, gatewayIp: '10.231.0.1' };
const vip = (o: Partial<DesiredLb['vip']>): DesiredLb => desiredLb({ vip: { ...desiredLb().vip, ...o } });

describe('parse: hostile values from the bus become typed values or InvalidValue', () => {
  it('parses a VIP plumbing and canonicalises addresses', () => {
    expect(parseVipPlumbing(plumbing)).toEqual({
      lbId: LB_ID, netns: `qlbaas-${LB_ID}`, hostIf: 'vl3b7e4c1a5d2f', bridge: 'br-lbaas', address: '10.231.0.10', prefixLen: 24, gateway: '10.231.0.1',
    });
    expect(parseVipPlumbing({ ...plumbing, address: '2001:DB8:0:0::10', prefixLen: 64, gatewayIp: '2001:db8::0001' }))
      .toMatchObject({ address: '2001:db8::10', gateway: '2001:db8::1' });
    expect(parse.lbId(LB_ID)).toBe(LB_ID);
  });

  it.each([
    ['a gateway with a newline and a command', { gatewayIp: '10.231.0.1 dev vip0\nnetns exec x touch /tmp/pwned' }, /gateway .* is not an IPv4 or IPv6 address/],
    ['a gateway with shell metacharacters', { gatewayIp: '10.231.0.1;touch /tmp/x' }, /gateway/],
    ['a gateway of another family', { gatewayIp: '2001:db8::1' }, /not of the VIP's address family/],
    ['an address with a zone id (an interface name)', { address: 'fe80::1%eth0', prefixLen: 64, gatewayIp: null }, /VIP address/],
    ['an address with a prefix in it', { address: '10.231.0.10/8' }, /VIP address/],
    ['an address with $(...)', { address: '$(touch /tmp/x)' }, /VIP address/],
    ['a huge prefix', { prefixLen: 99999 }, /prefix length 0..32/],
    ['a negative prefix', { prefixLen: -1 }, /prefix length/],
    ['a prefix that is a string', { prefixLen: '24 dev lo' }, /prefix length/],
    ['a bridge with a space', { bridge: 'br0 up' }, /bridge .* is not an interface name/],
    ['a bridge with ;', { bridge: 'br0;reboot' }, /bridge/],
    ['a bridge longer than 15', { bridge: 'a-very-long-bridge' }, /bridge/],
    ['a bridge that is "..", a path', { bridge: '..' }, /bridge/],
    ['a bridge that is an object (a physnet named __proto__)', { bridge: Object.prototype }, /bridge/],
    ['an lb id with NATS wildcards', { lbId: 'lb.*.>' }, /load balancer id .* is not an id/],
    ['an lb id that is a path', { lbId: '../../etc/cron.d/x' }, /is not an id/],
    ['an lb id that is too long', { lbId: 'a'.repeat(65) }, /is not an id/],
  ])('refuses %s', (_what, o, why) => {
    expect(() => parseVipPlumbing({ ...plumbing, ...o })).toThrow(InvalidValue);
    expect(() => parseVipPlumbing({ ...plumbing, ...o })).toThrow(why);
  });

  it('refuses ports, CIDRs and interface names that are not', () => {
    for (const p of [0, 65536, 1.5, '80', NaN, null]) expect(() => parse.port(p)).toThrow(/port/);
    for (const c of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/8\n', '::/129', 'x/8']) expect(() => parse.cidr(c)).toThrow(/CIDR/);
    expect(parse.cidr('2001:DB8::/32')).toBe('2001:db8::/32');
    for (const n of ['', 'eth0 ', 'eth0\n', 'a/b', 'x'.repeat(16)]) expect(() => parse.interfaceName(n)).toThrow(/interface name/);
  });

  it('builds ip batch lines only from safe words (a forged typed value is still refused)', () => {
    expect(batch.linkSetMaster('vl1' as InterfaceName, 'br0' as InterfaceName)).toBe('link set vl1 master br0');
    expect(() => batch.linkUp('vl1\nnetns exec x touch /tmp/y' as InterfaceName)).toThrow(/not a safe ip batch word/);
    expect(() => batch.linkUp('a b' as InterfaceName)).toThrow(/not a safe ip batch word/);
  });
});

describe('parseDesiredState: the agent entrance', () => {
  const good = desiredLb();
  const state = (...lbs: DesiredLb[]) => ({ agentId: 'a1', loadBalancers: lbs });

  it('passes a valid desired state through unchanged', () => {
    const parsed = parseDesiredState(state(good));
    expect(parsed.desired.loadBalancers).toEqual([good]);
    expect(parsed.refused).toEqual([]);
    expect(refusedReason(parsed.desired.loadBalancers[0])).toBeNull();
  });

  it('passes a pair side whose VRRP addresses are of the VIP\'s family', () => {
    const side = desiredLb({ pair: { role: 'BACKUP', amphora: 1, vrrpAddress: '10.231.0.6', peerAddress: '10.231.0.7' } });
    const parsed = parseDesiredState(state(side));
    expect(parsed.refused).toEqual([]);
    expect(parsed.desired.loadBalancers).toEqual([side]);
  });

  it('passes every role a pair side may have (PROMOTED: a planned promotion\'s new master)', () => {
    const sides = (['MASTER', 'BACKUP', 'PROMOTED'] as const).map((role) => desiredLb({ pair: { role, amphora: 1, vrrpAddress: '10.231.0.6', peerAddress: '10.231.0.7' } }));
    for (const side of sides) expect(parseDesiredState(state(side)).refused).toEqual([]);
  });

  it.each([
    ['a hostile gateway', vip({ gatewayIp: '10.231.0.1\nnetns exec x touch /tmp/m' }), /gateway/],
    ['a hostile bridge mapping', vip({ bridge: { kind: 'mapped', name: 'br0 ; id', physicalNetwork: 'p' } }), /bridge/],
    ['a huge prefix', vip({ prefixLen: 4096 }), /prefix length/],
    ['a listener id that is a path (crt-list file name)', desiredLb({ listeners: [listener({ listenerId: '../../../etc/cron.d/x' })] }), /listener id/],
    ['a member address with metacharacters', desiredLb({ pools: [pool({ members: [member({ address: '10.0.0.1`id`' })] })] }), /member .* address/],
    ['a port out of range', desiredLb({ listeners: [listener({ protocolPort: 70000 })] }), /port/],
    ['an allowed CIDR with a newline', desiredLb({ listeners: [listener({ allowedCidrs: ['10.0.0.0/8\nbind :1'] })] }), /allowed CIDR/],
    ['a certificate reference with a newline', desiredLb({ listeners: [listener({ protocol: 'TERMINATED_HTTPS', tls: { defaultRef: 'x\ny', sniRefs: [] } })] }), /certificate reference/],
    ['an additional VIP with an ip batch line in it', desiredLb({ additionalVips: [{ address: '10.0.0.5/8 dev lo\naddr flush dev vip0', subnetId: 's', prefixLen: 24 }] }), /additional VIP/],
    ['an additional VIP with a prefix of the wrong family', desiredLb({ additionalVips: [{ address: '10.0.0.5', subnetId: 's', prefixLen: 64 }] }), /additional VIP subnet's prefix length/],
    ['additional VIPs that are not a list', desiredLb({ additionalVips: 'x' as unknown as [] }), /additional VIPs/],
    ['a VRRP address with an ip batch line in it', desiredLb({ pair: { role: 'MASTER', amphora: 0, vrrpAddress: '10.0.0.6/8 dev lo\naddr flush dev vip0', peerAddress: '10.0.0.7' } }), /VRRP address/],
    ['a VRRP peer with a keepalived block in it', desiredLb({ pair: { role: 'BACKUP', amphora: 1, vrrpAddress: '10.0.0.6', peerAddress: '10.0.0.7\n}\nvrrp_script x {' } }), /VRRP peer address/],
    ['a VRRP role keepalived does not know', desiredLb({ pair: { role: 'EVIL' as 'MASTER', amphora: 0, vrrpAddress: '10.0.0.6', peerAddress: null } }), /VRRP role/],
    ['a version that is not a number', { ...good, epoch: '1' as unknown as number }, null],
  ])('refuses %s: the plan rejects it with the reason and plans nothing', (_what, lb, why) => {
    const parsed = parseDesiredState(state(lb, good));
    if (why === null) {
      expect(parsed.dropped).toHaveLength(1);
      expect(parsed.desired.loadBalancers).toEqual([good]);
      return;
    }
    const [refused, ok] = parsed.desired.loadBalancers;
    expect(ok).toBe(good);
    expect(refusedReason(refused)).toMatch(why);
    expect(refused).toMatchObject({ lbId: lb.lbId, epoch: lb.epoch, version: lb.version, listeners: [], pools: [] });
    const plans = plan(parsed.desired, new Map(), { runDir: '/run/lbaas/t' });
    expect(plans[0]).toMatchObject({ lbId: lb.lbId, kind: 'rejected', reason: expect.stringMatching(why) });
    expect(plans[1]).toMatchObject({ kind: 'apply' });
  });

  it('drops an LB whose id is not even a subject token (nothing can be reported on it)', () => {
    const parsed = parseDesiredState(state({ ...good, lbId: 'lb.*' }, good));
    expect(parsed.dropped).toEqual(['"lb.*"']);
    expect(parsed.desired.loadBalancers).toEqual([good]);
  });

  it('tears down a deleted LB whatever the rest of it says (only its id is used)', () => {
    const parsed = parseDesiredState(state({ ...vip({ gatewayIp: 'evil\n' }), deleted: true }));
    expect(parsed.refused).toEqual([]);
  });
});
