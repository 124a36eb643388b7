import { formatIpv4, isIpv4, parseIpv4 } from './ipv4';

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
});
