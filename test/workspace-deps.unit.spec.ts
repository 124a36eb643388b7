import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Nx orders builds by package.json dependencies and tsc -b by tsconfig references: a production import of another
// workspace package that neither names builds in a race (it worked only while the other's dist happened to exist).
const root = join(__dirname, '..');
const projects = ['libs', 'apps'].flatMap((kind) =>
  readdirSync(join(root, kind)).map((name) => join(root, kind, name)).filter((dir) => existsSync(join(dir, 'package.json'))));

const sources = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
  e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') && !/\.(spec|fixtures)\.ts$/.test(e.name) ? [join(dir, e.name)] : []);

describe('workspace dependencies', () => {
  it.each(projects.map((dir) => [dir.slice(root.length + 1), dir]))('%s names every workspace package its production code imports', (_name, dir) => {
    const own = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string; dependencies?: Record<string, string> };
    const refs = (JSON.parse(readFileSync(join(dir, 'tsconfig.json'), 'utf8')) as { references?: { path: string }[] }).references ?? [];
    const imported = new Set<string>();
    for (const file of sources(join(dir, 'src'))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(@lbaas\/[a-z-]+)'/g)) if (m[1] !== own.name) imported.add(m[1]);
    }
    const declared = Object.keys(own.dependencies ?? {});
    const referenced = refs.map((r) => `@lbaas/${r.path.split('/').pop()}`);
    expect([...imported].filter((p) => !declared.includes(p)).sort()).toEqual([]);
    expect([...imported].filter((p) => !referenced.includes(p)).sort()).toEqual([]);
  });
});
