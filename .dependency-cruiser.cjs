// The layers of src/ (docs/architecture.md, "Shape"), checked by `npm run deps:check` and by
// tests/unit/architecture/layers.test.ts. Top to bottom: a module imports its own layer's
// modules and those of the layers below it, never one above. Modules of one rank (orders and
// projects; events, notifications, …) may import each other; the no-circular rule keeps that
// one-way. The pure leaves (the definition language, the outbound policy's address tables) sit
// inside their contexts' folders but rank just above the foundation: any layer may use them, and
// they use nothing but each other and the foundation.
const LEAVES = [
  "src/engine/definition/",
  "src/integrations/outbound/policy\\.ts$",
  "src/integrations/outbound/addresses\\.ts$",
];

const LAYERS = [
  { name: "app", paths: ["src/app/"] },
  { name: "dashboard", paths: ["src/dashboard/"] },
  { name: "runtime", paths: ["src/runtime/", "src/instrumentation\\.ts$"] },
  { name: "http", paths: ["src/http/"] },
  { name: "operations", paths: ["src/operations/"] },
  { name: "agents", paths: ["src/agents/"] },
  { name: "domains", paths: ["src/orders/", "src/projects/"] },
  { name: "engine", paths: ["src/engine/"] },
  {
    name: "services",
    paths: [
      "src/events/",
      "src/notifications/",
      "src/privacy/",
      "src/auth/",
      "src/sites/",
      "src/integrations/",
      "src/backups/",
    ],
  },
  { name: "infrastructure", paths: ["src/observability/", "src/db/"] },
  { name: "leaves", paths: LEAVES },
  { name: "foundation", paths: ["src/errors\\.ts$", "src/env\\.ts$", "src/step-errors\\.ts$", "src/util/"] },
];

const anyOf = (paths) => `^(${paths.join("|")})`;

// A leaf matches its folder's layer too: it is excluded from it (from and to) unless the rule is
// the foundation's, for which the leaves are above.
const layerRules = LAYERS.slice(1).map((layer, index) => {
  const above = LAYERS.slice(0, index + 1).flatMap((other) => other.paths);
  const leavesAbove = LAYERS[index].name === "leaves";
  return {
    name: `layer-${layer.name}`,
    comment: `${layer.name} imports only its own layer and those below it`,
    severity: "error",
    from: layer.name === "leaves" ? { path: anyOf(layer.paths) } : { path: anyOf(layer.paths), pathNot: anyOf(LEAVES) },
    to: leavesAbove ? { path: anyOf(above) } : { path: anyOf(above), pathNot: anyOf(LEAVES) },
  };
});

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "no import circle anywhere in src/",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "in-a-layer",
      comment: "every module of src/ belongs to a layer (a new folder is placed in LAYERS first)",
      severity: "error",
      from: { path: "^src/", pathNot: anyOf(LAYERS.flatMap((layer) => layer.paths)) },
      to: {},
    },
    {
      name: "into-a-layer",
      comment: "every module of src/ that is imported belongs to a layer",
      severity: "error",
      from: {},
      to: { path: "^src/", pathNot: anyOf(LAYERS.flatMap((layer) => layer.paths)) },
    },
    {
      name: "dashboard-is-client-code",
      comment: "the dashboard's client side (schemas, hooks, layout functions) imports no server module",
      severity: "error",
      from: { path: "^src/dashboard/" },
      to: { path: "^src/", pathNot: "^src/dashboard/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "(^|/)node_modules/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".tsx", ".js", ".mjs", ".cjs", ".json"],
    },
  },
};
