/**
 * The layer check of src/ (rules in .dependency-cruiser.cjs), through dependency-cruiser's API:
 * its command line refuses Node 20, which this project still supports. Used by `npm run
 * deps:check`, by tests/unit/architecture/layers.test.ts and by the cold-start test of /api/health.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { cruise, type IConfiguration } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";

const ROOT = path.resolve(import.meta.dirname, "..");
const config = createRequire(import.meta.url)(path.join(ROOT, ".dependency-cruiser.cjs")) as IConfiguration;

export interface LayerViolation {
  rule: string;
  from: string;
  to: string;
  /** The circle, for a no-circular violation. */
  cycle?: string[];
}

/**
 * Every violation of the rules in `<baseDir>/src` (default: this repository). `tsConfig`
 * resolves the `@/` alias of the real tree; fixtures import relatively.
 */
export async function findLayerViolations(
  baseDir: string = ROOT,
  tsConfig: string | undefined = path.join(ROOT, "tsconfig.json"),
): Promise<LayerViolation[]> {
  const { options = {}, forbidden = [] } = config;
  const result = await cruise(
    ["src"],
    { ...options, ...(tsConfig ? {} : { tsConfig: undefined }), baseDir, validate: true, ruleSet: { forbidden } },
    {},
    tsConfig ? { tsConfig: extractTSConfig(tsConfig) } : {},
  );
  if (typeof result.output === "string") throw new Error("dependency-cruiser answered text, not a result");
  return result.output.summary.violations.map((violation) => ({
    rule: violation.rule.name,
    from: violation.from,
    to: violation.to,
    ...(violation.cycle ? { cycle: violation.cycle.map((step) => step.name) } : {}),
  }));
}

/** Every module of src/ that `entries` import, directly or not (static and dynamic imports). */
export async function modulesReachedFrom(entries: string[]): Promise<string[]> {
  const { options = {} } = config;
  const result = await cruise(
    entries,
    { ...options, baseDir: ROOT, includeOnly: "^src/" },
    {},
    { tsConfig: extractTSConfig(path.join(ROOT, "tsconfig.json")) },
  );
  if (typeof result.output === "string") throw new Error("dependency-cruiser answered text, not a result");
  return result.output.modules.map((module) => module.source);
}

export function describeViolation(violation: LayerViolation): string {
  const circle = violation.cycle ? ` (${[violation.from, ...violation.cycle].join(" → ")})` : "";
  return `${violation.rule}: ${violation.from} → ${violation.to}${circle}`;
}
