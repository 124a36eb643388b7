import { formatIpv6, isIpAddress, isIpCidr, parseIpAddress, parseIpv6 } from './ip-address';

describe('ip-address', () => {
  it.each([
    ['2001:db8::1', '2001:db8::1'], ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1'], ['::', '::'], ['::1', '::1'],
    ['1::', '1::'], ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'], ['fe80::', 'fe80::'],
  ])('parses IPv6 %s canonically as %s', (s, canonical) => expect(parseIpAddress(s)).toEqual({ version: 6, canonical }));
  it.each(['2001:db8:::1', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', ':1', '1:', 'fe80::1%eth0', '[::1]', '::1.2.3', '1:2:3:4:5:6:7::8:9', ''])(
    'refuses %p', (s) => expect(parseIpv6(s)).toBeNull());
  it('accepts a full address with an embedded IPv4 tail', () => expect(parseIpv6('0:0:0:0:0:ffff:10.0.0.1')).toHaveLength(8));
  it('compresses the leftmost longest zero run, never a single zero group', () => {
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 0, 3])).toBe('1:0:0:2::3');
    expect(formatIpv6([1, 0, 0, 2, 0, 0, 3, 4])).toBe('1::2:0:0:3:4');
    expect(formatIpv6([1, 0, 2, 3, 4, 5, 6, 7])).toBe('1:0:2:3:4:5:6:7');
  });
  it('parses IPv4 strictly', () => {
    expect(parseIpAddress('10.0.0.1')).toEqual({ version: 4, canonical: '10.0.0.1' });
    expect(isIpAddress('010.0.0.1')).toBe(false);
  });
  it.each([['10.0.0.0/8', true], ['10.0.0.1/32', true], ['10.0.0.0/33', false], ['2001:db8::/32', true], ['2001:db8::/129', false], ['x/1', false], ['10.0.0.0', false]] as const)(
    'judges CIDR %s: %p', (s, ok) => expect(isIpCidr(s)).toBe(ok));
});
