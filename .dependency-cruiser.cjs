// One-way imports, checked in CI by `npm run lint:deps` (part of `npm run lint`).
// Module names below are paths relative to the repository root, e.g. `services/access/index.ts`.
// Type-only imports (`import type …`, or imports whose every specifier is `type`) are part of the
// graph (tsPreCompilationDeps), so the boundary rules apply to them too; only the cycle rule
// ignores them, because they vanish at run time.

// Files of ours (as opposed to npm packages and node built-ins).
const OURS =
  '^(?:server\\.ts$|start\\.ts$|main\\.ts$|hardhat\\.config\\.ts$|(?:agents|config|eventBus|services|models|routes|socket|ocpp|middlewares|utils|simulator|scripts|test|typechain-types|contracts|artifacts)/)';
// A subsystem's public surface: services/<subsystem>/index.ts.
const SUBSYSTEM_SURFACE = '^services/[^/]+/index\\.ts$';
const EDGES = '^(?:routes|socket|ocpp|middlewares)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'This import cannot be resolved to a file on disk. Every other rule here relies on resolved paths, ' +
        'so an unresolved import would slip past all of them: fix the specifier (relative imports end in .js).',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'not-to-undeclared-npm',
      severity: 'error',
      comment:
        'This imports an npm package that package.json does not declare; it only resolves because some other package ' +
        'happens to pull it in (its version, or its presence, can change under you). Add it to "dependencies".',
      from: {},
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'production-not-to-dev-deps',
      severity: 'error',
      comment:
        'Production code (outside test/ and scripts/) imports a devDependency, which a production install leaves out. ' +
        'Move the package to "dependencies" (type-only imports are fine).',
      from: { pathNot: '^(?:test|scripts)/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'This import is part of an import cycle that exists at run time (every edge in the cycle is a value import). ' +
        'Cycles make module initialisation order matter. Break it: move the shared piece down, inject it, ' +
        'or import only types (`import type`) on one side.',
      from: {},
      to: {
        circular: true,
        // viaOnly (not via): flag the cycle only when *none* of its edges is type-only.
        // `via: { dependencyTypesNot: ['type-only'] }` would flag it when *some* edge is a value import.
        viaOnly: { dependencyTypesNot: ['type-only'] },
      },
    },
    {
      name: 'services-not-to-edges',
      severity: 'error',
      comment:
        'services/ is the core: it must not know about the HTTP/socket edges (routes/, socket/, middlewares/), ' +
        'the composition root (server.ts), or tooling (scripts/, test/). Pass what it needs in from server.ts instead.',
      from: { path: '^services/' },
      to: { path: ['^(?:routes|socket|ocpp|middlewares|scripts|test)/', '^server\\.ts$'] },
    },
    {
      name: 'agents-only-bus-and-utils',
      severity: 'error',
      comment:
        'Agents react to bus events and publish decisions; they may import only agents/, eventBus/ and utils/ ' +
        '(plus npm packages). Anything else they need (config, storage, services) is handed to them by the caller.',
      from: { path: '^agents/' },
      to: { path: OURS, pathNot: '^(?:agents|eventBus|utils)/' },
    },
    {
      name: 'models-self-contained',
      severity: 'error',
      comment: 'models/ holds the persistence schemas; it imports nothing of ours outside models/ (npm packages are fine).',
      from: { path: '^models/' },
      to: { path: OURS, pathNot: '^models/' },
    },
    {
      name: 'eventBus-self-contained',
      severity: 'error',
      comment: 'eventBus/ is the bottom layer everyone shares; it imports only eventBus/ (and npm packages).',
      from: { path: '^eventBus/' },
      to: { path: OURS, pathNot: '^eventBus/' },
    },
    {
      name: 'edges-only-service-surfaces',
      severity: 'error',
      comment:
        'routes/, socket/ and middlewares/ reach a services subsystem only through its public surface, ' +
        'services/<subsystem>/index.ts. Export what you need from that index.ts instead of reaching inside.',
      from: { path: EDGES },
      to: { path: '^services/', pathNot: SUBSYSTEM_SURFACE },
    },
    {
      name: 'edges-not-to-models',
      severity: 'error',
      comment:
        'routes/, socket/ and middlewares/ do not touch models/ (not even for types): go through a service, ' +
        'which owns the persistence.',
      from: { path: EDGES },
      to: { path: '^models/' },
    },
    {
      name: 'socket-not-to-middlewares',
      severity: 'error',
      comment:
        'middlewares/ are Express middlewares; socket/ must not depend on them. Shared logic belongs in a service ' +
        '(exported from its index.ts).',
      from: { path: '^socket/' },
      to: { path: '^middlewares/' },
    },
    {
      name: 'services-cross-subsystem-via-index',
      severity: 'error',
      comment:
        "A services subsystem uses another subsystem only through that subsystem's public surface, services/<other>/index.ts; " +
        'reaching into its files couples you to its internals.',
      from: { path: '^services/([^/]+)/' },
      to: { path: '^services/', pathNot: ['^services/$1/', SUBSYSTEM_SURFACE] },
    },
    {
      name: 'production-not-to-scripts-or-test',
      severity: 'error',
      comment:
        'Production code (everything outside test/ and scripts/) must not import scripts/ or test/: they are tooling, ' +
        'not shipped. Move the shared piece into production code and import it from both sides.',
      from: { pathNot: '^(?:test|scripts)/' },
      to: { path: '^(?:test|scripts)/' },
    },
    {
      name: 'edges-not-to-agent-internals',
      severity: 'error',
      comment: "routes/ and socket/ may import agents/ only through agents/index.ts, not an agent's internals.",
      from: { path: '^(?:routes|socket)/' },
      to: { path: '^agents/', pathNot: '^agents/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Keep type-only imports in the graph (marked `type-only`), so boundaries hold for types too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6', 'cjs'],
    // Resolve npm packages the way Node does (package.json "exports"), so ESM-only packages such as
    // p-queue resolve instead of tripping not-to-unresolvable.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['main', 'types', 'typings'],
    },
    skipAnalysisNotInRules: true,
  },
};
