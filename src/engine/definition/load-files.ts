/**
 * Workflow files in the repository (`workflows/*.yaml`), read at start-up and registered as
 * versions. All files are checked before failing, so one error lists every broken file.
 */
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { DefinitionError, type DefinitionIssue } from "./errors";
import type { WorkflowDefinition } from "./types";
import { type ParseDefinitionOptions, parseDefinition } from "./validate";

export interface WorkflowFile {
  /** The file name within the directory, e.g. `hello.yaml`. */
  file: string;
  definition: WorkflowDefinition;
}

const WORKFLOW_FILE = /\.ya?ml$/i;

/**
 * Parses every `*.yaml`/`*.yml` file of `dir` (relative to the working directory), in name order.
 * A missing directory means no workflow files. Throws DefinitionError with issue paths prefixed
 * by the file name (`hello.yaml: steps[0].name`); two files may not define the same workflow.
 * @example const files = await loadWorkflowFiles("workflows", { agentExists });
 */
export async function loadWorkflowFiles(
  dir = "workflows",
  options: Omit<ParseDefinitionOptions, "format"> = {},
): Promise<WorkflowFile[]> {
  const names = await listWorkflowFiles(dir);
  const files: WorkflowFile[] = [];
  const issues: DefinitionIssue[] = [];
  const byWorkflow = new Map<string, string>();
  for (const file of names) {
    // Not traced by the bundler: the workflow files ship through next.config.ts's outputFileTracingIncludes.
    const text = await readFile(/*turbopackIgnore: true*/ path.join(/*turbopackIgnore: true*/ dir, file), "utf8");
    try {
      const definition = parseDefinition(text, { ...options, format: "yaml" });
      const earlier = byWorkflow.get(definition.name);
      if (earlier !== undefined)
        issues.push({ path: `${file}: name`, message: `workflow "${definition.name}" is also defined in ${earlier}` });
      byWorkflow.set(definition.name, file);
      files.push({ file, definition });
    } catch (error) {
      if (!(error instanceof DefinitionError)) throw error;
      issues.push(...error.issues.map((issue) => ({ path: `${file}: ${issue.path}`, message: issue.message })));
    }
  }
  if (issues.length > 0) throw new DefinitionError(issues);
  return files;
}

async function listWorkflowFiles(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(/*turbopackIgnore: true*/ dir, { withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile() && WORKFLOW_FILE.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return [];
    throw error;
  }
}
