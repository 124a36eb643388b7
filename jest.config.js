// One jest run over the whole workspace, in three tiers chosen by file suffix (STYLE.md §9):
//   *.unit.spec.ts  pure, milliseconds (test/*.unit.spec.ts: checks of the repository itself, e.g. its dependency rules)
//   *.int.spec.ts   one real dependency (nats-server, or haproxy + netns)
//   test/**/*.e2e.spec.ts  every app as a process
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];
const common = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: { '^@lbaas/([a-z-]+)$': '<rootDir>/libs/$1/src/index.ts' },
  testEnvironment: 'node',
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/', '<rootDir>/.lbaas/'],
};
module.exports = {
  // A global option (jest ignores it inside projects): integration and end-to-end tests start real processes.
  testTimeout: 120000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.unit.spec.ts', '<rootDir>/test/**/*.unit.spec.ts'] },
    { ...common, displayName: 'int', testMatch: ['<rootDir>/{apps,libs}/**/*.int.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e.spec.ts'] },
  ],
};
