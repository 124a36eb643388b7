// The dependency rules of DESIGN.md §8 / STYLE.md §1, checked by dependency-cruiser (`npm run check:deps`,
// run first by scripts/test.sh). Every rule is an error. "Production" means every file that ships in a build:
// not a *.spec.ts, not a *.fixtures.ts, not libs/testing, test/ or bench/.
const PURE = '^libs/(events|contracts|domain|projections|haproxy-config|nft-config)/src/';
const TEST_ONLY = ['\\.spec\\.ts$', '\\.fixtures\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere (type-only imports count: a cycle of types is still a knot of concepts).',
      from: {},
      to: { circular: true },
    },
    {
      name: 'events-contracts-import-nothing-of-ours',
      severity: 'error',
      comment: 'libs/events and libs/contracts are the contract: they import no other lib or app.',
      from: { path: '^libs/(events|contracts)/src/', pathNot: TEST_ONLY },
      to: { path: '^(libs|apps)/', pathNot: '^libs/$1/' },
    },
    {
      name: 'domain-projections-import-only-events-contracts',
      severity: 'error',
      comment: 'libs/domain and libs/projections build on libs/events and libs/contracts only.',
      from: { path: '^libs/(domain|projections)/src/', pathNot: TEST_ONLY },
      to: { path: '^(libs|apps)/', pathNot: ['^libs/$1/', '^libs/(events|contracts)/'] },
    },
    {
      name: 'haproxy-config-imports-only-events-contracts-projections',
      severity: 'error',
      comment: 'libs/haproxy-config renders a desired LB: it reads libs/events, libs/contracts and libs/projections only.',
      from: { path: '^libs/haproxy-config/src/', pathNot: TEST_ONLY },
      to: { path: '^(libs|apps)/', pathNot: '^libs/(haproxy-config|events|contracts|projections)/' },
    },
    {
      name: 'nft-config-imports-only-what-it-renders-from',
      severity: 'error',
      comment: 'libs/nft-config renders the UDP part of a desired LB: libs/events, domain (IP literals), projections, and haproxy-config (RenderError) only.',
      from: { path: '^libs/nft-config/src/', pathNot: TEST_ONLY },
      to: { path: '^(libs|apps)/', pathNot: '^libs/(nft-config|events|contracts|domain|projections|haproxy-config)/' },
    },
    {
      name: 'no-lib-imports-an-app',
      severity: 'error',
      comment: 'Libs are below apps: code used by one app stays in that app, a lib never reaches up into one.',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'pure-libs-no-node-builtins',
      severity: 'error',
      comment: 'The pure libs do no I/O: no node:* (or bare node builtin) imports.',
      from: { path: PURE, pathNot: TEST_ONLY },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'pure-libs-no-nats-nest-pino',
      severity: 'error',
      comment: 'The pure libs know no transport, framework or logger: no nats, @nestjs/* or pino (not even their types).',
      from: { path: PURE, pathNot: TEST_ONLY },
      to: { path: '(^|/)node_modules/(nats|pino|@nestjs/[^/]+)/' },
    },
    {
      name: 'no-production-import-of-testing',
      severity: 'error',
      comment: 'libs/testing is for tests: production code (lbaasctl up included) never imports it.',
      from: { path: '^(apps|libs)/', pathNot: [...TEST_ONLY, '^libs/testing/'] },
      to: { path: '^libs/testing/' },
    },
    {
      name: 'no-deep-import-into-a-lib',
      severity: 'error',
      comment: 'A lib is used through its src/index.ts only: no @lbaas/x/src/..., no relative path into another lib.',
      from: { path: '^libs/([^/]+)/' },
      to: { path: '^libs/[^/]+/', pathNot: ['^libs/$1/', '^libs/[^/]+/src/index\\.ts$'] },
    },
    {
      name: 'no-deep-import-into-a-lib-from-outside',
      severity: 'error',
      comment: 'Apps, end-to-end tests and benchmarks use a lib through its src/index.ts only.',
      from: { pathNot: '^libs/' },
      to: { path: '^libs/[^/]+/', pathNot: '^libs/[^/]+/src/index\\.ts$' },
    },
    {
      name: 'api-resources-reach-stores-through-http',
      severity: 'error',
      comment: 'In apps/api only http/ (the scoped lookup, the one write path) and the wiring (main.ts) use the event store and the secret store; resources use their types at most.',
      from: { path: '^apps/api/src/', pathNot: ['^apps/api/src/(http/|main\\.ts$)', ...TEST_ONLY] },
      to: { path: '^libs/(event-store|secret-store)/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import the check cannot resolve cannot be checked: fix it (or the resolution in tsconfig.depcruise.json).',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|\\.nx|\\.lbaas)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.json', '.d.ts'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
