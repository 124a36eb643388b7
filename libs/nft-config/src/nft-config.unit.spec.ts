import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RenderError } from '@lbaas/haproxy-config';
import { desiredLb, listener, member, monitor, pool, WEB1, WEB2 } from '@lbaas/testing';
import { NFT_GOLDEN_CASES, UDP_LISTENER, UDP_POOL, udpLb } from './nft-config.fixtures';
import { expectedCodes, memberKey, poolElements, renderNftRuleset, renderPoolMaps, splitByEngine, type NftModel } from './nft-config';

const GOLDEN = join(__dirname, '__golden__');
const model = (lb = udpLb()): NftModel => {
  const m = splitByEngine(lb).nft;
  if (!m) throw new Error('no UDP part');
  return m;
};

describe('renderNftRuleset golden files', () => {
  for (const [name, c] of Object.entries(NFT_GOLDEN_CASES)) {
    it(`renders ${name} exactly as ${name}.nft`, () => {
      const text = renderNftRuleset(model(c.lb), new Set(c.down ?? []));
      const file = join(GOLDEN, `${name}.nft`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('splitByEngine', () => {
  it('gives haproxy everything but the UDP listeners and pools, and the kernel those', () => {
    const { haproxy, nft } = splitByEngine(udpLb());
    expect(haproxy.listeners.map((l) => l.protocol)).toEqual(['HTTP']);
    expect(haproxy.pools.map((p) => p.protocol)).toEqual(['HTTP']);
    expect(nft?.listeners.map((l) => [l.id, l.port, l.poolId])).toEqual([[UDP_LISTENER, 53, UDP_POOL]]);
    expect(nft?.pools[0].members.map((m) => m.weight)).toEqual([1, 3]);
  });

  it('has no kernel part for an LB without UDP', () => {
    expect(splitByEngine(desiredLb()).nft).toBeNull();
  });

  it('refuses SCTP naming the kernel option it lacks', () => {
    const lb = desiredLb({ listeners: [listener({ protocol: 'SCTP', defaultPoolId: null })], pools: [] });
    expect(() => splitByEngine(lb)).toThrow(/CONFIG_IP_SCTP is not set/);
    expect(() => splitByEngine(desiredLb({ pools: [pool({ protocol: 'SCTP' })] }))).toThrow(RenderError);
  });

  it('renders no listener for a disabled LB or listener, and no translation to a disabled pool', () => {
    expect(model(udpLb({ adminStateUp: false })).listeners).toEqual([]);
    const lb = udpLb();
    expect(model({ ...lb, pools: lb.pools.map((p) => ({ ...p, adminStateUp: p.protocol !== 'UDP' })) }).listeners[0].poolId).toBeNull();
  });

  it.each([
    ['a newline in a member id', { members: [member({ memberId: 'a\nb', address: '10.0.0.1' })] }],
    ['a hostname as member address', { members: [member({ address: 'evil.example.com' })] }],
    ['an nft statement in a member address', { members: [member({ address: '10.0.0.1 } ; flush ruleset ; {' })] }],
    ['a port out of range', { members: [member({ protocolPort: 70000 })] }],
    ['a weight out of range', { members: [member({ weight: 257 })] }],
    ['a fractional weight', { members: [member({ weight: 1.5 })] }],
    ['an HTTPS monitor', { monitor: monitor({ type: 'HTTPS' }) }],
    ['a url path with a newline', { monitor: monitor({ type: 'HTTP', urlPath: '/x\nflush ruleset' }) }],
    ['a coarse persistence granularity', { sessionPersistence: { type: 'SOURCE_IP' as const, cookieName: null, persistenceTimeout: 10, persistenceGranularity: '255.255.255.0' } }],
    ['cookie persistence', { sessionPersistence: { type: 'HTTP_COOKIE' as const, cookieName: null, persistenceTimeout: null, persistenceGranularity: null } }],
  ])('refuses %s with a RenderError', (_what, o) => {
    const lb = udpLb();
    const bad = { ...lb, pools: lb.pools.map((p) => (p.protocol === 'UDP' ? { ...p, ...o } : p)) };
    expect(() => renderNftRuleset(model(bad))).toThrow(RenderError);
  });

  it('refuses an unsafe VIP, allowed CIDR or listener id', () => {
    expect(() => model(udpLb({ vip: { ...desiredLb().vip, address: '10.0.0.1;' } }))).toThrow(RenderError);
    expect(() => model(udpLb({ additionalVips: [{ address: '::1\n', subnetId: 's', prefixLen: 64 }] }))).toThrow(RenderError);
    const lb = udpLb();
    const cidrs = { ...lb, listeners: lb.listeners.map((l) => (l.protocol === 'UDP' ? { ...l, allowedCidrs: ['10.0.0.0/33'] } : l)) };
    expect(() => model(cidrs)).toThrow(RenderError);
    const ids = { ...lb, listeners: lb.listeners.map((l) => (l.protocol === 'UDP' ? { ...l, listenerId: 'x" drop' } : l)) };
    expect(() => model(ids)).toThrow(RenderError);
  });

  it('refuses two UDP listeners on one port', () => {
    const lb = udpLb();
    const two = { ...lb, listeners: [...lb.listeners, listener({ listenerId: 'other', protocol: 'UDP', protocolPort: 53, defaultPoolId: null })] };
    expect(() => model(two)).toThrow(/port 53/);
  });
});

describe('poolElements', () => {
  const p = () => model().pools[0];
  const sizes = (els: ReturnType<typeof poolElements>) => {
    const out: Record<string, number> = {};
    for (const e of els) out[e.member.id] = (out[e.member.id] ?? 0) + e.to - e.from + 1;
    return out;
  };

  it('gives each member slots in proportion to its weight, covering 0..M-1 without gaps', () => {
    const els = poolElements(p(), 4, new Set());
    expect(sizes(els)).toEqual({ [WEB1]: 256, [WEB2]: 768 });
    els.forEach((e, i) => expect(e.from).toBe(i === 0 ? 0 : els[i - 1].to + 1));
  });

  it('keeps a live member on its own slots and shares a down member\'s among the live ones', () => {
    const up = poolElements(p(), 4, new Set());
    const down = poolElements(p(), 4, new Set([memberKey(UDP_POOL, WEB1)]));
    expect(sizes(down)).toEqual({ [WEB2]: 1024 });
    expect(down.find((e) => e.from === up[1].from)).toMatchObject({ to: up[1].to });
  });

  it('has no element when every member is down (the VIP answers port unreachable)', () => {
    expect(poolElements(p(), 4, new Set([memberKey(UDP_POOL, WEB1), memberKey(UDP_POOL, WEB2)]))).toEqual([]);
  });

  it('renders the health change as map updates only, in one transaction', () => {
    const text = renderPoolMaps(model(), new Set([memberKey(UDP_POOL, WEB1)]));
    expect(text).toContain(`flush map inet lbaas_udp p4_${UDP_POOL}`);
    expect(text).toContain(`add element inet lbaas_udp p4_${UDP_POOL} { 0-255 : 10.231.1.12 . 5353, 256-1023 : 10.231.1.12 . 5353 }`);
    expect(text).not.toContain('table');
  });
});

describe('expectedCodes', () => {
  it('reads Octavia\'s three forms and refuses the rest', () => {
    expect(expectedCodes(null)).toEqual([200]);
    expect(expectedCodes('200,202')).toEqual([200, 202]);
    expect(expectedCodes('200-203')).toEqual([200, 201, 202, 203]);
    expect(() => expectedCodes('2000')).toThrow(RenderError);
    expect(() => expectedCodes('204-200')).toThrow(RenderError);
  });
});

it('builds a model with the fixtures\' default member too', () => {
  expect(model(udpLb({ pools: [pool({ protocol: 'UDP', poolId: UDP_POOL, monitor: null, members: [member({ memberId: WEB1 })] })] })).pools[0].members).toHaveLength(1);
});
