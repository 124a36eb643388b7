import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RenderError } from '@lbaas/haproxy-config';
import { fenceTable, MAX_FENCE_TIMEOUT_MS, renderFenceGrant, renderFencePort, renderFenceRenewal, renderFenceRevoke, renderFenceTable } from './fence';
import { FENCE_GOLDEN, FENCE_GOLDEN_CASES } from './fence.fixtures';

describe('kernel fence golden files', () => {
  for (const [name, render] of Object.entries(FENCE_GOLDEN_CASES)) {
    it(`renders ${name} exactly as fence/${name}.nft`, () => {
      const text = render();
      const file = join(FENCE_GOLDEN, `${name}.nft`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(FENCE_GOLDEN, { recursive: true });
        writeFileSync(file, text);
      }
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});

describe('kernel fence renderer', () => {
  it('names one table per agent', () => {
    expect(fenceTable('e2e1a2b3c-h0')).toBe('lbaas_fence_e2e1a2b3c-h0');
  });

  it('renews by delete + add in one transaction (a lapsed element makes the delete, and so the renewal, fail)', () => {
    expect(renderFenceRenewal('a', 1500).split('\n').filter(Boolean)).toEqual([
      'delete element bridge lbaas_fence_a lease { ether }',
      'add element bridge lbaas_fence_a lease { ether timeout 1500ms }',
    ]);
  });

  it('keeps the lease element when the table is set up again, and lists each port once, sorted', () => {
    const text = renderFenceTable('a', ['vlb', 'vla', 'vlb']);
    expect(text).not.toMatch(/flush set \S+ \S+ lease|delete/);
    expect(text).toContain('add element bridge lbaas_fence_a ports { "vla", "vlb" }');
    expect(renderFenceTable('a', [])).not.toContain('add element');
  });

  it.each([
    ['an agent id with a space', () => renderFenceTable('a b', [])],
    ['an agent id in upper case', () => renderFenceRenewal('Agent', 100)],
    ['an agent id of 25 characters', () => renderFenceRevoke('a'.repeat(25))],
    ['a port with a quote', () => renderFencePort('a', 'add', 'vl"x')],
    ['a port of 16 characters', () => renderFenceTable('a', ['v'.repeat(16)])],
    ['a port with a newline', () => renderFenceTable('a', ['vla\nflush ruleset'])],
    ['a timeout of 0 ms', () => renderFenceRenewal('a', 0)],
    ['a fractional timeout', () => renderFenceGrant('a', 1.5)],
    ['a timeout beyond the maximum', () => renderFenceGrant('a', MAX_FENCE_TIMEOUT_MS + 1)],
    ['a timeout that is no number', () => renderFenceRenewal('a', Number.NaN)],
  ])('refuses %s', (_what, render) => {
    expect(render).toThrow(RenderError);
  });
});
