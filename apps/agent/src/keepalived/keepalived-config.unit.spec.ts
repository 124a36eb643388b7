import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KeepalivedConfigRefused, renderKeepalived, vridOf } from './keepalived-config';
import { KEEPALIVED_GOLDEN, PAIR_SIDE } from './keepalived-config.fixtures';
import { pairSideConfig } from './keepalived-host';

const GOLDEN = join(__dirname, '__golden__');

describe('renderKeepalived golden files', () => {
  for (const [name, input] of Object.entries(KEEPALIVED_GOLDEN)) {
    it(`renders ${name} exactly as ${name}.conf`, () => {
      const text = renderKeepalived(input);
      const file = join(GOLDEN, `${name}.conf`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('renderKeepalived refuses every value keepalived could read otherwise', () => {
  const refused: Array<[string, Partial<typeof PAIR_SIDE>, RegExp]> = [
    ['a vrid of 0', { vrid: 0 }, /virtual_router_id 0 is not an integer in 1..255/],
    ['a vrid of 256', { vrid: 256 }, /virtual_router_id/],
    ['priority 255 (the address owner)', { priority: 255 }, /priority 255/],
    ['a fractional priority', { priority: 90.5 }, /priority/],
    ['an advert interval of 5 ms', { advertIntMs: 5 }, /advert_int \(ms\) 5/],
    ['an advert interval not in centiseconds', { advertIntMs: 115 }, /multiple of 10 ms/],
    ['an interface name with a space', { interface: 'vip0 x' }, /interface/],
    ['a VIP that is not an address', { vip: { address: '10.0.0.500', prefixLength: 24 } }, /vip address/],
    ['a prefix longer than the family', { vip: { address: '10.0.0.50', prefixLength: 33 } }, /vip prefix length 33/],
    ['a VRRP address of the other family', { vrrpAddress: '2001:db8::11' }, /not of the VIP's family \(IPv4\)/],
    ['the peer being ourselves', { peerAddress: '10.0.0.11' }, /is our own VRRP address/],
    ['the VIP as VRRP address', { vrrpAddress: '10.0.0.50' }, /is the VIP/],
    ['a relative script path', { checkScript: 'vrrp-check' }, /check script/],
    ['a path climbing out', { checkScript: '/run/lbaas/../bin/sh' }, /check script/],
    ['a quote in an argument', { checkArgs: ['/a"; reboot; "'] }, /check argument 0/],
    ['a comment character in the fence file', { fenceFile: '/var/lib/lbaas/#x' }, /fence file/],
    ['a newline in the notify argument', { notifyArg: '/run/x\n}' }, /notify argument/],
    ['a lb id that is not an id', { lbId: 'a b' }, /lb id/],
    ['zero gratuitous ARPs', { garpRepeat: 0 }, /garp repeat/],
  ];
  it.each(refused)('%s', (_name, change, message) => {
    expect(() => renderKeepalived({ ...PAIR_SIDE, ...change })).toThrow(KeepalivedConfigRefused);
    expect(() => renderKeepalived({ ...PAIR_SIDE, ...change })).toThrow(message);
  });

  it('renders the advert interval in seconds and the IPv6 VIP canonically', () => {
    expect(renderKeepalived({ ...PAIR_SIDE, advertIntMs: 150 })).toContain('advert_int 0.15\n');
    expect(renderKeepalived({ ...PAIR_SIDE, advertIntMs: 1000 })).toContain('advert_int 1\n');
    expect(renderKeepalived(KEEPALIVED_GOLDEN['master-ipv6'])).toContain('2001:db8::50/64 dev vip0');
  });
});

describe('vridOf', () => {
  it('is 1..255 and the same for the same load balancer', () => {
    const ids = Array.from({ length: 500 }, (_, i) => `lb-${i}`);
    for (const id of ids) {
      expect(vridOf(id)).toBeGreaterThanOrEqual(1);
      expect(vridOf(id)).toBeLessThanOrEqual(255);
      expect(vridOf(id)).toBe(vridOf(id));
    }
    expect(new Set(ids.map(vridOf)).size).toBeGreaterThan(200);
  });
});

describe('pairSideConfig (one side on this agent: the LB\'s values and the agent\'s files)', () => {
  const side = { lbId: PAIR_SIDE.lbId, vip: PAIR_SIDE.vip, additionalVips: [], vrrpAddress: '10.0.0.11', peerAddress: '10.0.0.12' };
  it('renders the golden pair side from the agent\'s run and state dirs', () => {
    const text = pairSideConfig({ ...side, role: 'MASTER' }, '/run/lbaas/a1', '/var/lib/lbaas/a1', 100);
    expect(text).toBe(renderKeepalived({ ...PAIR_SIDE, vrid: vridOf(PAIR_SIDE.lbId) }));
  });
  it('gives the role its priority, and only a promoted standby preempts', () => {
    const conf = (role: 'MASTER' | 'BACKUP' | 'PROMOTED') => pairSideConfig({ ...side, role }, '/run/lbaas/a1', '/var/lib/lbaas/a1', 100);
    expect(conf('MASTER')).toMatch(/priority 100\n/);
    expect(conf('BACKUP')).toMatch(/priority 90\n/);
    expect(conf('PROMOTED')).toMatch(/priority 200\n/);
    expect(conf('BACKUP')).toContain('nopreempt');
    expect(conf('PROMOTED')).not.toContain('nopreempt');
  });
});
