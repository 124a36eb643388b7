import { splitByEngine, type NftModel } from '@lbaas/nft-config';
import { desiredLb, listener, member, pool } from '@lbaas/testing';
import { planUdp, udpDigest } from './udp-plan';

const udp = desiredLb({
  listeners: [listener({ listenerId: 'l-udp', protocol: 'UDP', protocolPort: 53, defaultPoolId: 'p-udp' })],
  pools: [pool({ poolId: 'p-udp', protocol: 'UDP', monitor: null, members: [member({ protocolPort: 5353 })] })],
});
const model = (): NftModel => splitByEngine(udp).nft as NftModel;

describe('planUdp', () => {
  it.each<[string, NftModel | null, Parameters<typeof planUdp>[3], string[]]>([
    ['a new UDP part is written', model(), undefined, ['WriteNft']],
    ['a converged UDP part needs nothing', model(), { digest: udpDigest(model()), checker: true, table: true }, []],
    ['a light look (table not asked) trusts the record', model(), { digest: udpDigest(model()), checker: true }, []],
    ['a changed model replaces the table', model(), { digest: 'old', checker: true, table: true }, ['WriteNft']],
    ['a table deleted by hand is written again', model(), { digest: udpDigest(model()), checker: true, table: false }, ['WriteNft']],
    ['a dead checker is started again (through WriteNft)', model(), { digest: udpDigest(model()), checker: false, table: true }, ['WriteNft']],
    ['no UDP any more removes the table and the checker', null, { digest: 'x', checker: true, table: true }, ['RemoveNft']],
    ['no UDP and nothing of it needs nothing', null, undefined, []],
  ])('%s', (_name, m, o, expected) => expect(planUdp('lb', 'qlbaas-lb', m, o).map((a) => a.kind)).toEqual(expected));

  it('holds the checks back in a planned move\'s copy that holds the VIP back (another digest: written again at takeover)', () => {
    const held = splitByEngine(udp, { withoutHealthChecks: true }).nft as NftModel;
    expect(held.checks).toBe(false);
    expect(udpDigest(held)).not.toBe(udpDigest(model()));
  });
});
