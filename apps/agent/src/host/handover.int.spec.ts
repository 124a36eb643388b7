import { canUseNetns, netnsRunId, removeNetns, sh } from '@lbaas/testing';
import { parse } from '../parse';
import { holdRules, steerRules } from './handover';

/**
 * The hand-over rulesets as the kernel takes them: checked (`nft -c`) and loaded in a throwaway namespace with a vip0,
 * twice (each ruleset replaces its own table: idempotent). What they do to traffic is test/planned-moves.e2e.spec.ts.
 */
const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: handover.int.spec.ts needs root (a throwaway netns)');

suite('hand-over nftables rules (kernel)', () => {
  const ns = `ho-${netnsRunId()}`;
  const vip = parse.ipv4Address('10.99.0.5');
  beforeAll(async () => {
    await sh('ip', ['netns', 'add', ns]);
    await sh('ip', ['-n', ns, 'link', 'add', 'vip0', 'type', 'veth', 'peer', 'name', 'peer0']);
  });
  afterAll(async () => removeNetns(ns));

  const load = (rules: string) => sh('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], rules);

  it('the hold table loads, twice, and holds the VIP back in both directions', async () => {
    await load(holdRules(vip));
    await load(holdRules(vip));
    const t = await sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'arp', 'lbaas_hold']);
    expect(t).toMatch(/arp operation request arp daddr ip 10\.99\.0\.5 drop/);
    expect(t).toMatch(/arp saddr ip 10\.99\.0\.5 drop/);
  });

  it('the steer table loads, twice, and steers mid-stream packets, lone FIN/RST and backends\' SYN-ACKs and echo replies', async () => {
    await load(steerRules(vip));
    await load(steerRules(vip));
    const t = await sh('ip', ['netns', 'exec', ns, 'nft', 'list', 'table', 'ip', 'lbaas_steer']);
    const steered = t.split('\n').filter((l) => l.includes('dup to 169.254.255.2 device "vip0" drop'));
    expect(steered).toHaveLength(4);
    expect(t).toMatch(/ct state invalid tcp flags syn,ack \/ syn,ack /); // nft prints `& (syn | ack) == syn | ack` so
    expect(t).toMatch(/ct state invalid icmp type echo-reply/);
  });
});
