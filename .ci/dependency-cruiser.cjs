/**
 * The import rules of src/, checked by `npm run deps:check` in CI (dependency-cruiser). Type-only
 * imports are left out: they vanish at build time and create no load order.
 *
 * Modules sit in layers; a module imports only modules of lower layers, so no two modules can ever
 * import each other and a reader can always tell which way a dependency goes. Adding a module means
 * choosing its layer here (the README's picture follows this list).
 */
const layers = [
  // Leaves: who may do what, the audit log, contribution rates, reference data, the outbox.
  ["access", "audit", "contributions", "ecosystems", "regions", "outbox", "jobs"],
  ["sponsors"],
  ["participants", "credentials"],
  ["payments", "dashboard", "events"],
  ["enrollments", "outreach", "membership-changes", "cards"],
  ["identity"],
];

const runtime = { dependencyTypesNot: ["type-only"] };
const modulePath = (names) => `^src/modules/(${names.join("|")})/`;

const layerRules = layers.flatMap((layer, index) => {
  const sameOrHigher = layers.slice(index).flat();
  return layer.map((name) => ({
    name: `layer-${name}`,
    comment: `${name} may import only modules of lower layers (.ci/dependency-cruiser.cjs)`,
    severity: "error",
    from: { path: `^src/modules/${name}/` },
    to: { ...runtime, path: modulePath(sameOrHigher.filter((other) => other !== name)) },
  }));
});

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "No runtime import cycle anywhere in src/.",
      severity: "error",
      from: {},
      to: { ...runtime, circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
    },
    {
      name: "unknown-module",
      comment: "Every module has a layer: add a new one to `layers` above.",
      severity: "error",
      from: { path: "^src/modules/", pathNot: modulePath(layers.flat()) },
      to: {},
    },
    ...layerRules,
    {
      name: "not-another-modules-store",
      comment: "Another module is reached through its service or conditions.ts, never its store.",
      severity: "error",
      from: { path: "^src/modules/([^/]+)/" },
      to: { ...runtime, path: "^src/modules/([^/]+)/store\\.ts$", pathNot: "^src/modules/$1/" },
    },
    {
      name: "store-below-service",
      comment: "graphql -> service -> store -> db: a store never imports its service or GraphQL layer.",
      severity: "error",
      from: { path: "^src/modules/[^/]+/store\\.ts$" },
      to: { ...runtime, path: "^src/modules/[^/]+/(service|graphql|routes)\\.ts$" },
    },
    {
      name: "service-below-graphql",
      comment: "A service never imports a GraphQL layer (GraphQL calls services, not the reverse).",
      severity: "error",
      from: { path: "^src/modules/[^/]+/service\\.ts$" },
      to: { ...runtime, path: "^src/modules/[^/]+/graphql\\.ts$" },
    },
    {
      name: "leaves-stay-leaves",
      comment: "src/shared and src/db are leaves: they import no domain module.",
      severity: "error",
      from: { path: "^src/(shared|db)/", pathNot: "^src/db/(tables|relations)\\.ts$" },
      to: { ...runtime, path: "^src/modules/" },
    },
  ],
  options: {
    // TypeScript 7 has no JavaScript API yet; swc parses the sources (type-only imports included).
    parser: "swc",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(\\.test\\.ts$|\\.d\\.ts$)" },
  },
};
