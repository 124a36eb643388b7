#!/usr/bin/env node
// Runs a TypeScript benchmark without a build step: `node bench/run.js bench/convergence.ts [args]`.
// .ts files are compiled on require with @swc/core (already a dev dependency for jest); @lbaas/* resolve to built dist/.
const { transformSync } = require('@swc/core');
const fs = require('node:fs');
const path = require('node:path');
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename, sourceMaps: 'inline', module: { type: 'commonjs' },
    jsc: { parser: { syntax: 'typescript', decorators: true }, target: 'es2022', transform: { legacyDecorator: true, decoratorMetadata: true } },
  });
  module._compile(code, filename);
};
const [script, ...args] = process.argv.slice(2);
if (!script) { console.error('usage: node bench/run.js bench/<name>.ts [args]'); process.exit(2); }
process.argv = [process.argv[0], path.resolve(script), ...args];
require(path.resolve(script));
