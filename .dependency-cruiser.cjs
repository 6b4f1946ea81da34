/**
 * The allowed arrows between Stratus' parts (docs/architecture.md), checked by `npm run lint:deps`
 * and so by `npm test`. Each rule names the arrow it forbids; the reason is in its comment.
 * @type {import('dependency-cruiser').IConfiguration}
 */

/** Rooms whose routes are the HTTP surface of one service (`*.routes.ts`, `*.view.ts`, `*.schemas.ts`). */
const HTTP_FACING = '^src/services/[^/]+/[^/]+[.](routes|view|schemas)[.]ts$';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'An import cycle ties two parts into one: neither can be understood, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'routes-and-views-use-no-storage',
      comment:
        'Routes parse, call one use case and render; views turn domain objects into JSON. Neither reads or ' +
        'writes storage: that is the use case, which owns the transaction, scope and policy.',
      severity: 'error',
      from: { path: HTTP_FACING },
      to: { path: '^src/db/' },
    },
    {
      name: 'http-knows-no-sql',
      comment: 'The shared HTTP plumbing (app, auth hook, fault mapper…) maps errors and routes; storage is below it.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/db/' },
    },
    {
      name: 'domain-is-pure',
      comment:
        'The domain is pure code with no I/O: it imports only itself (and node:crypto for the id generator; ' +
        'node:test and node:assert in its unit tests).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^(node:)?(crypto|test|assert(/strict)?)$'] },
    },
    {
      name: 'drivers-know-only-the-hypervisor',
      comment: 'A driver never touches the database, HTTP, the services, the agent or the task queue.',
      severity: 'error',
      from: { path: '^src/drivers/' },
      to: { path: '^src/(db|http|services|agent|tasks|runtime|policy)/' },
    },
    {
      name: 'drivers-are-independent',
      comment: 'A driver depends on the ComputeDriver port (drivers/driver.ts), never on another driver.',
      severity: 'error',
      from: { path: '^src/drivers/([^/]+)/' },
      to: { path: '^src/drivers/[^/]+/', pathNot: '^src/drivers/$1/' },
    },
    {
      name: 'agent-is-not-http',
      comment: 'The compute-node side runs without an HTTP server (stratus agent): it must not need one.',
      severity: 'error',
      from: { path: '^src/agent/' },
      to: { path: ['^src/http/', HTTP_FACING] },
    },
    {
      name: 'core-is-not-http',
      comment: 'Below the services nothing knows HTTP: the fault mapper is the only place errors become status codes.',
      severity: 'error',
      from: { path: '^src/(domain|policy|tasks|drivers|db|metrics|config)/' },
      to: { path: ['^src/http/', HTTP_FACING] },
    },
    {
      name: 'no-service-internals-across-services',
      comment:
        "A service reaches another only through that service's use cases (as Nova calls Neutron through its API), " +
        'never through its routes, schemas or views.',
      severity: 'error',
      from: { path: '^src/services/([^/]+)/' },
      to: { path: HTTP_FACING, pathNot: '^src/services/$1/' },
    },
    {
      name: 'storage-is-below-the-services',
      comment: 'Repositories and dialects serve the use cases; they never call up into services, tasks, agent or HTTP.',
      severity: 'error',
      from: { path: '^src/db/', pathNot: '[.]test[.]ts$' },
      to: { path: '^src/(services|http|agent|tasks|runtime|policy|drivers)/' },
    },
    {
      name: 'only-the-entry-points-wire',
      comment: 'runtime/ builds the parts from the config; only the CLI, the test kit and tests start it.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(bin|runtime|testing)/' },
      to: { path: '^src/runtime/' },
    },
    {
      name: 'no-test-kit-in-production',
      comment: 'The test kit (src/testing) is for tests only.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/testing/', '[.]test[.]ts$'] },
      to: { path: '^src/testing/' },
    },
    {
      name: 'client-is-only-a-client',
      comment:
        'src/client is an OpenStack client (stratus wait): it talks to a cloud over HTTP like any other, ' +
        'so it imports only itself, the pure domain, node and npm packages; never the server side.',
      severity: 'error',
      from: { path: '^src/client/' },
      to: { path: '^src/', pathNot: '^src/(client|domain)/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-dev-dependencies-in-production',
      comment: 'Production code runs after `npm ci --omit=dev`.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/testing/', '[.]test[.]ts$'] },
      to: { dependencyTypes: ['npm-dev'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are arrows too: a view that names a repository's row type depends on it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
