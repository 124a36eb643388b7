import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canUseNetns, netnsRunId } from '@lbaas/testing';
import { udpLb } from './nft-config.fixtures';
import { memberKey, renderNftRuleset, renderPoolMaps, splitByEngine } from './nft-config';

const run = promisify(execFile);
const GOLDEN = join(__dirname, '__golden__');
const suite = canUseNetns() ? describe : describe.skip;
if (!canUseNetns()) console.warn('SKIPPED: nft-config.int.spec.ts needs root (nft in a throwaway netns)');

suite('golden nftables rulesets against the kernel (nft in a throwaway netns)', () => {
  const ns = `tnft${netnsRunId()}`;
  const nft = (args: string[], input?: string) => {
    const p = run('ip', ['netns', 'exec', ns, 'nft', ...args]);
    if (input !== undefined) { p.child.stdin?.end(input); }
    return p;
  };
  beforeAll(() => run('ip', ['netns', 'add', ns]));
  afterAll(() => run('ip', ['netns', 'del', ns]).catch(() => undefined));

  const files = readdirSync(GOLDEN).filter((f) => f.endsWith('.nft'));
  it('exist', () => expect(files.length).toBeGreaterThanOrEqual(6));

  for (const f of files) {
    it(`${f} passes nft -c -f`, async () => {
      await nft(['-c', '-f', join(GOLDEN, f)]);
    });
  }

  it('loads, replaces itself atomically, and takes the health checker\'s map update', async () => {
    const model = splitByEngine(udpLb()).nft;
    if (!model) throw new Error('no UDP part');
    await nft(['-f', '-'], renderNftRuleset(model));
    await nft(['-f', '-'], renderNftRuleset(model)); // a second full replace of an existing table
    const down = new Set([memberKey(model.pools[0].id, model.pools[0].members[0].id)]);
    await nft(['-f', '-'], renderPoolMaps(model, down));
    const { stdout } = await nft(['list', 'table', 'inet', 'lbaas_udp']);
    expect(stdout).toContain('elements = { 0-255 : 10.231.1.12 . 5353, 256-1023 : 10.231.1.12 . 5353 }');
    expect((stdout.match(/table inet lbaas_udp/g) ?? []).length).toBe(1);
  });

  it('a ruleset the kernel refuses is refused by nft -c (what the agent checks before use)', async () => {
    await expect(nft(['-c', '-f', '-'], 'table inet lbaas_udp {\n  chain fwd { type filter hook forward priority filter; }\n}\n')).rejects.toThrow();
  });
});
