import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The dependency check (`npm run check:deps`: dependency-cruiser with the root .dependency-cruiser.js) can fail:
 * the real rules run over a tiny tree made here with one deliberate violation per rule, and a few allowed imports
 * next to them that must not be reported.
 */
const run = promisify(execFile);
const ROOT = resolve(__dirname, '..');

type Violation = { rule: { name: string }; from: string; to: string };

const TREE: Record<string, string> = {
  // allowed: the same lib, events/contracts from domain, a test importing libs/testing, an app using a lib's index
  'libs/contracts/src/index.ts': "export const subject = 'x';\n",
  'libs/events/src/index.ts': "export * from './a';\n",
  'libs/events/src/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
  'libs/events/src/b.ts': "import { a } from './a';\nexport const b = () => a;\n", // cycle a ↔ b
  'libs/events/src/c.ts': "import { subject } from '@lbaas/contracts';\nexport const c = subject;\n",
  'libs/domain/src/index.ts': "import { a } from '@lbaas/events';\nimport { subject } from '@lbaas/contracts';\nexport const d = [a, subject];\n",
  'libs/domain/src/internal.ts': 'export const internal = 1;\n',
  'libs/domain/src/store.ts': "import { store } from '@lbaas/event-store';\nexport const s = store;\n",
  'libs/domain/src/bus.ts': "import type { NatsConnection } from 'nats';\nexport type Bus = NatsConnection;\n",
  'libs/domain/src/domain.unit.spec.ts': "import { readFileSync } from 'node:fs';\nimport { helper } from '@lbaas/testing';\nexport const t = [readFileSync, helper];\n",
  'libs/projections/src/index.ts': "import { readFileSync } from 'node:fs';\nexport const p = readFileSync;\n",
  'libs/haproxy-config/src/index.ts': "import { d } from '@lbaas/domain';\nexport const h = d;\n",
  'libs/event-store/src/index.ts': "export const store = 1;\nexport type Store = number;\n",
  'libs/event-store/src/agent-hook.ts': "import { agentMain } from '@lbaas/agent';\nexport const x = agentMain;\n",
  'libs/event-store/src/peek.ts': "import { internal } from '../../domain/src/internal';\nexport const y = internal;\n",
  'libs/testing/src/index.ts': 'export const helper = 1;\n',
  'apps/agent/src/main.ts': "import { d } from '@lbaas/domain';\nexport const agentMain = d;\n",
  'apps/lbaasctl/src/main.ts': "import { helper } from '@lbaas/testing';\nexport const up = helper;\n",
  'apps/api/src/main.ts': "import { internal } from '@lbaas/domain/src/internal';\nimport { nothing } from './missing';\nimport { store } from '@lbaas/event-store';\nexport const api = [internal, nothing, store];\n",
  // allowed: the api's http/ writes through the store, a resource names its types; refused: a resource reading the store itself
  'apps/api/src/http/writes.ts': "import { store } from '@lbaas/event-store';\nexport const w = store;\n",
  'apps/api/src/pools/pool.fields.ts': "import type { Store } from '@lbaas/event-store';\nexport type P = Store;\n",
  'apps/api/src/pools/pools.controller.ts': "import { store } from '@lbaas/event-store';\nexport const c = store;\n",
};

describe('the dependency check (dependency-cruiser, .dependency-cruiser.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbaas-depcruise-'));
  let violations: Violation[] = [];
  let exitCode = 0;
  let summary = '';

  beforeAll(async () => {
    for (const [path, text] of Object.entries(TREE)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    }
    for (const f of ['.dependency-cruiser.js', 'tsconfig.base.json', 'tsconfig.depcruise.json']) copyFileSync(join(ROOT, f), join(dir, f));
    // node_modules as npm workspaces lay it out: @lbaas/<name> → that lib or app; nats from the real tree.
    mkdirSync(join(dir, 'node_modules/@lbaas'), { recursive: true });
    for (const path of Object.keys(TREE).filter((p) => /^(libs|apps)\/[^/]+\/src\/(index|main)\.ts$/.test(p))) {
      const [kind, name] = path.split('/');
      symlinkSync(join(dir, kind, name), join(dir, 'node_modules/@lbaas', name));
      writeFileSync(join(dir, kind, name, 'package.json'), JSON.stringify({ name: `@lbaas/${name}`, main: path.split('/').slice(2).join('/') }));
    }
    symlinkSync(join(ROOT, 'node_modules/nats'), join(dir, 'node_modules/nats'));
    const cli = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
    const depcruise = (...args: string[]) => run(process.execPath, [cli, '--config', '.dependency-cruiser.js', ...args, 'apps', 'libs'], { cwd: dir, maxBuffer: 16 << 20 })
      .then((r) => ({ ...r, code: 0 }), (err: { code: number; stdout: string }) => err);
    // As `npm run check:deps` runs it (its exit code fails scripts/test.sh), then as JSON for the exact list.
    const text = await depcruise();
    exitCode = text.code;
    summary = text.stdout;
    violations = (JSON.parse((await depcruise('--output-type', 'json')).stdout) as { summary: { violations: Violation[] } }).summary.violations;
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // A package outside the tree is named by its path from node_modules on.
  const found = () => violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to.replace(/^.*node_modules\//, 'node_modules/')}`).sort();

  it('fails the run and says how many it found', () => {
    expect(exitCode).not.toBe(0);
    expect(summary).toMatch(/x 12 dependency violations \(12 errors, 0 warnings\)/);
  });

  it('reports exactly the deliberate violations, one rule each', () => {
    expect(found()).toEqual([
      'api-resources-reach-stores-through-http: apps/api/src/pools/pools.controller.ts → libs/event-store/src/index.ts',
      'domain-projections-import-only-events-contracts: libs/domain/src/store.ts → libs/event-store/src/index.ts',
      'events-contracts-import-nothing-of-ours: libs/events/src/c.ts → libs/contracts/src/index.ts',
      'haproxy-config-imports-only-events-contracts-projections: libs/haproxy-config/src/index.ts → libs/domain/src/index.ts',
      'no-circular: libs/events/src/a.ts → libs/events/src/b.ts',
      'no-deep-import-into-a-lib-from-outside: apps/api/src/main.ts → libs/domain/src/internal.ts',
      'no-deep-import-into-a-lib: libs/event-store/src/peek.ts → libs/domain/src/internal.ts',
      'no-lib-imports-an-app: libs/event-store/src/agent-hook.ts → apps/agent/src/main.ts',
      'no-production-import-of-testing: apps/lbaasctl/src/main.ts → libs/testing/src/index.ts',
      'not-to-unresolvable: apps/api/src/main.ts → ./missing',
      'pure-libs-no-nats-nest-pino: libs/domain/src/bus.ts → node_modules/nats/index.js',
      'pure-libs-no-node-builtins: libs/projections/src/index.ts → fs',
    ].sort());
  });
});
