import {
  broadcastAddress, cidrContains, formatIpv4, formatIpv4Cidr, hostRange, isIpv4, parseIpv4, parseIpv4Cidr, parseIpv4Prefix,
  prefixMask, rangesOverlap, rangeWithout,
} from './ipv4';

describe('ipv4', () => {
  it.each([
    ['0.0.0.0', 0], ['10.0.0.1', 0x0a000001], ['255.255.255.255', 0xffffffff], ['192.168.1.254', 0xc0a801fe],
  ])('parses %s', (s, n) => expect(parseIpv4(s)).toBe(n));
  it.each(['256.0.0.1', '10.0.0', '10.0.0.1.2', '010.0.0.1', '10.0.0.01', '0x0a.0.0.1', '1e1.0.0.1', ' 10.0.0.1', '10.0.0.1 ', '10..0.1', '', '+1.0.0.1', '1.0.0.-1'])(
    'refuses %p', (s) => expect(parseIpv4(s)).toBeNull());
  it('formats what it parses', () => {
    for (const s of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '172.16.0.1']) expect(formatIpv4(parseIpv4(s) as number)).toBe(s);
  });
  it('tells addresses from the rest', () => {
    expect(isIpv4('10.0.0.1')).toBe(true);
    expect(isIpv4('::1')).toBe(false);
    expect(isIpv4(42)).toBe(false);
  });
  it.each([[0, 0], [8, 0xff000000], [24, 0xffffff00], [32, 0xffffffff]])('masks prefix %i', (p, m) => expect(prefixMask(p)).toBe(m));
  it('parses a prefix without judging host bits', () => expect(parseIpv4Prefix('10.0.0.1/24')).toEqual({ address: 0x0a000001, prefix: 24 }));
  it.each(['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/024', '10.0.0.0', '10.0.0.0/24/1'])('refuses prefix %p', (s) =>
    expect(parseIpv4Prefix(s)).toBeNull());
  it('parses a CIDR with zero host bits only', () => {
    expect(parseIpv4Cidr('10.0.0.0/24')).toEqual({ network: 0x0a000000, prefix: 24 });
    expect(parseIpv4Cidr('10.0.0.1/24')).toBeNull();
    expect(parseIpv4Cidr('0.0.0.0/0')).toEqual({ network: 0, prefix: 0 });
  });
  it('knows the broadcast address, the hosts and membership', () => {
    const c = parseIpv4Cidr('192.0.2.0/26')!;
    expect(formatIpv4(broadcastAddress(c))).toBe('192.0.2.63');
    const hosts = hostRange(c);
    expect([formatIpv4(hosts.start), formatIpv4(hosts.end)]).toEqual(['192.0.2.1', '192.0.2.62']);
    expect(cidrContains(c, parseIpv4('192.0.2.63')!)).toBe(true);
    expect(cidrContains(c, parseIpv4('192.0.2.64')!)).toBe(false);
    expect(formatIpv4Cidr(c)).toBe('192.0.2.0/26');
  });
  it('handles the top of the address space without sign trouble', () => {
    const c = parseIpv4Cidr('255.255.255.0/24')!;
    expect(broadcastAddress(c)).toBe(0xffffffff);
    expect(cidrContains(c, 0xfffffffe)).toBe(true);
  });
  it('detects overlapping ranges', () => {
    expect(rangesOverlap({ start: 1, end: 5 }, { start: 5, end: 9 })).toBe(true);
    expect(rangesOverlap({ start: 1, end: 4 }, { start: 5, end: 9 })).toBe(false);
  });
  it('cuts an address out of a range', () => {
    expect(rangeWithout({ start: 1, end: 5 }, 3)).toEqual([{ start: 1, end: 2 }, { start: 4, end: 5 }]);
    expect(rangeWithout({ start: 1, end: 5 }, 1)).toEqual([{ start: 2, end: 5 }]);
    expect(rangeWithout({ start: 1, end: 1 }, 1)).toEqual([]);
    expect(rangeWithout({ start: 1, end: 5 }, 9)).toEqual([{ start: 1, end: 5 }]);
  });
});
