import {
  canonicalIp, cidrContains, formatIp, formatIpCidr, formatIpRange, hostRange, lastAddress, lowestUnused, parseIp, parseIpCidr,
  parseIpPrefix, prefixMask, rangesOverlap, rangeSize, rangeWithout,
} from './ip-range';

const v4 = (s: string) => parseIp(s)!.value;
const v6 = (s: string) => parseIp(s)!.value;

describe('ip-range: addresses of both families', () => {
  it.each([
    ['10.0.0.1', 4, 0x0a000001n], ['::', 6, 0n], ['::1', 6, 1n], ['2001:db8::1', 6, 0x20010db8000000000000000000000001n],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 6, (1n << 128n) - 1n],
  ])('parses %s', (s, version, value) => expect(parseIp(s)).toEqual({ version, value }));
  it.each([
    'fe80::1%eth0', '[2001:db8::1]', '::ffff:192.0.2.1', '::ffff:c000:201', '2001:db8::1/64', '2001:db8:::1', '2001:db8::1\n',
    ' ::1', '12345::', '1:2:3:4:5:6:7:8:9', '010.0.0.1', '', 'g::1',
  ])('refuses %p (zone ids, brackets, IPv4-mapped, prefixes, junk)', (s) => expect(parseIp(s)).toBeNull());
  it('formats canonically (RFC 5952)', () => {
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIp('10.0.0.1')).toBe('10.0.0.1');
    expect(formatIp(6, (1n << 128n) - 1n)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    expect(formatIp(4, 0xffffffffn)).toBe('255.255.255.255');
  });
  it.each([[4, 0, 0n], [4, 24, 0xffffff00n], [4, 32, 0xffffffffn], [6, 0, 0n], [6, 64, 0xffffffffffffffffn << 64n], [6, 128, (1n << 128n) - 1n]] as const)(
    'masks IPv%i prefix %i', (version, p, m) => expect(prefixMask(version, p)).toBe(m));
  it('parses a prefix without judging host bits', () => {
    expect(parseIpPrefix('10.0.0.1/24')).toEqual({ version: 4, address: 0x0a000001n, prefix: 24 });
    expect(parseIpPrefix('2001:db8::1/64')).toEqual({ version: 6, address: v6('2001:db8::1'), prefix: 64 });
  });
  it.each(['10.0.0.0/33', '2001:db8::/129', '2001:db8::/064', '2001:db8::/', '2001:db8::', 'fe80::%eth0/64', '::ffff:10.0.0.0/120', '2001:db8::/64\n'])(
    'refuses prefix %p', (s) => expect(parseIpPrefix(s)).toBeNull());
  it('parses a CIDR with zero host bits only', () => {
    expect(parseIpCidr('10.0.0.0/24')).toEqual({ version: 4, network: 0x0a000000n, prefix: 24 });
    expect(parseIpCidr('10.0.0.1/24')).toBeNull();
    expect(parseIpCidr('2001:db8::/64')).toEqual({ version: 6, network: v6('2001:db8::'), prefix: 64 });
    expect(parseIpCidr('2001:db8::1/64')).toBeNull();
    expect(parseIpCidr('::/0')).toEqual({ version: 6, network: 0n, prefix: 0 });
  });
  it('knows the last address, the hosts and membership of an IPv4 network', () => {
    const c = parseIpCidr('192.0.2.0/26')!;
    expect(formatIp(4, lastAddress(c))).toBe('192.0.2.63');
    expect(formatIpRange(4, hostRange(c))).toBe('192.0.2.1-192.0.2.62');
    expect(cidrContains(c, parseIp('192.0.2.63')!)).toBe(true);
    expect(cidrContains(c, parseIp('192.0.2.64')!)).toBe(false);
    expect(formatIpCidr(c)).toBe('192.0.2.0/26');
  });
  it('counts an IPv6 network without a broadcast address: its last address is a host', () => {
    const c = parseIpCidr('2001:db8:1::/64')!;
    expect(formatIpRange(6, hostRange(c))).toBe('2001:db8:1::1-2001:db8:1:0:ffff:ffff:ffff:ffff');
    expect(rangeSize(hostRange(c))).toBe((1n << 64n) - 1n);
    expect(cidrContains(c, parseIp('2001:db8:1::ffff:ffff:ffff:ffff')!)).toBe(true);
    expect(cidrContains(c, parseIp('2001:db8:2::')!)).toBe(false);
    expect(formatIpCidr(parseIpCidr('2001:0DB8:0001:0000::/64')!)).toBe('2001:db8:1::/64');
  });
  it('never mixes families', () => {
    expect(cidrContains(parseIpCidr('0.0.0.0/0')!, parseIp('::1')!)).toBe(false);
    expect(cidrContains(parseIpCidr('::/0')!, parseIp('10.0.0.1')!)).toBe(false);
  });
  it('handles the top of both address spaces without sign trouble', () => {
    expect(lastAddress(parseIpCidr('255.255.255.0/24')!)).toBe(0xffffffffn);
    expect(lastAddress(parseIpCidr('ffff::/16')!)).toBe((1n << 128n) - 1n);
    expect(cidrContains(parseIpCidr('255.255.255.0/24')!, parseIp('255.255.255.254')!)).toBe(true);
  });
  it('detects overlapping ranges', () => {
    expect(rangesOverlap({ start: 1n, end: 5n }, { start: 5n, end: 9n })).toBe(true);
    expect(rangesOverlap({ start: 1n, end: 4n }, { start: 5n, end: 9n })).toBe(false);
  });
  it('cuts an address out of a range', () => {
    expect(rangeWithout({ start: 1n, end: 5n }, 3n)).toEqual([{ start: 1n, end: 2n }, { start: 4n, end: 5n }]);
    expect(rangeWithout({ start: 1n, end: 5n }, 1n)).toEqual([{ start: 2n, end: 5n }]);
    expect(rangeWithout({ start: 1n, end: 1n }, 1n)).toEqual([]);
    expect(rangeWithout({ start: 1n, end: 5n }, 9n)).toEqual([{ start: 1n, end: 5n }]);
  });
  it('finds the lowest unused address by walking only past used ones', () => {
    const used = new Set([v4('10.0.0.1'), v4('10.0.0.2'), v4('10.0.0.4')]);
    let asked = 0;
    const r = { start: v4('10.0.0.1'), end: v4('10.0.0.5') };
    expect(lowestUnused(r, (a) => { asked++; return used.has(a); })).toBe(v4('10.0.0.3'));
    expect(asked).toBe(3);
    expect(lowestUnused({ start: 1n, end: 2n }, () => true)).toBeNull();
  });
});
