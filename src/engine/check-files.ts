/**
 * `npm run workflows:check`: workflow files validated offline with the checks registration runs
 * (parseDefinition's shape, graph, templates, hosts and cron; then assertAgentsKnown and
 * assertFitsServerlessTick), each problem with its file, line and column. The messages are the
 * ones the API answers (PUT /api/workflows/<name>) in its `invalid_definition` details. The
 * agent check needs the engine wired to the agents' directory (the script calls ensureWired()).
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { DefinitionError, parseDefinition, type DefinitionIssue, type WorkflowDefinition } from "./definition";
import { sourcePositions } from "./definition/positions";
import { assertAgentsKnown, assertFitsServerlessTick } from "./registry";

export interface FileProblem extends DefinitionIssue {
  file: string;
  line?: number;
  col?: number;
}

export interface CheckReport {
  /** The files checked, in order. */
  files: string[];
  problems: FileProblem[];
}

const WORKFLOW_FILE = /\.ya?ml$/i;

/** Where HTTP_STEP_ALLOWED_HOSTS (and VERCEL, for the tick budget) are read. */
export type CheckEnv = Record<string, string | undefined>;

/**
 * The checks registration runs on a definition's text, in its order; [] when it would register.
 * `env`: where HTTP_STEP_ALLOWED_HOSTS and VERCEL are read (process.env by default).
 */
export function checkDefinitionSource(
  source: string,
  env: CheckEnv = process.env,
): { definition?: WorkflowDefinition; issues: DefinitionIssue[] } {
  try {
    return { definition: validateForRegistration(source, env), issues: [] };
  } catch (error) {
    if (error instanceof DefinitionError) return { issues: error.issues };
    throw error;
  }
}

/**
 * A definition (YAML/JSON text, or a parsed value) through every check registration runs, as
 * PUT /api/workflows/<name> reads it; throws DefinitionError listing the problems.
 */
export function validateForRegistration(source: unknown, env: CheckEnv = process.env): WorkflowDefinition {
  const definition = parseDefinition(source, { format: "yaml", env });
  assertAgentsKnown(definition);
  assertFitsServerlessTick(definition, env as NodeJS.ProcessEnv);
  return definition;
}

/**
 * Checks files and directories (a directory: its `*.yaml`/`*.yml` files, as the deploy registers
 * them). Two files defining one workflow name are a problem too, as they are for the sync.
 * @example const { problems } = await checkWorkflowFiles(["workflows"]);
 */
export async function checkWorkflowFiles(
  targets: readonly string[],
  env: CheckEnv = process.env,
): Promise<CheckReport> {
  const files = await expandTargets(targets);
  const problems: FileProblem[] = [];
  const byName = new Map<string, string>();
  for (const file of files) {
    let source: string;
    try {
      source = await readFile(file, "utf8");
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error instanceof Error ? error.message : String(error));
      problems.push({ file, path: "(root)", message: `cannot be read (${reason})` });
      continue;
    }
    const { definition, issues } = checkDefinitionSource(source, env);
    const where = sourcePositions(source);
    for (const issue of issues) problems.push({ file, ...where(issue.path, issue.message), ...issue });
    if (definition) {
      const earlier = byName.get(definition.name);
      if (earlier !== undefined) {
        const message = `workflow "${definition.name}" is also defined in ${earlier}`;
        problems.push({ file, ...where("name"), path: "name", message });
      } else byName.set(definition.name, file);
    }
  }
  return { files, problems };
}

async function expandTargets(targets: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) {
      const names = (await readdir(target)).filter((name) => WORKFLOW_FILE.test(name)).sort();
      files.push(...names.map((name) => path.join(target, name)));
    } else {
      // A missing file is reported as unreadable, not skipped.
      files.push(target);
    }
  }
  return files;
}

/** `workflows/x.yaml:12:5: steps[1].depends_on: unknown step "y"` (no line/column when unknown). */
export function formatProblem(problem: FileProblem): string {
  const place = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.col ?? 1}`;
  return `${place}: ${problem.path}: ${problem.message}`;
}
