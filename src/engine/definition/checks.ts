/**
 * Rules about meaning rather than shape: template syntax and scope, which step outputs a template
 * may read, cron expressions, http hosts and (when a registry is given) agent actions.
 */
import { Cron } from "croner";
import { type DefinitionIssue, joinPath } from "./errors";
import type { EnvSource } from "./hosts";
import type { StepGraph } from "./graph";
import { secretRefProblems } from "./secret-refs";
import { checkUrlStatically, hasStaticAuthority } from "./url-check";
import {
  ALL_STEPS,
  type ExpressionAnalysis,
  analyzeTemplateSites,
  checkTemplates,
  isSingleTemplate,
} from "./templates";
import type { StepDefinition, WorkflowDefinition } from "./types";

export interface SemanticOptions {
  agentExists?: (agent: string, action: string) => boolean;
  env: EnvSource;
}

/** Which `steps.<name>` a template may read. */
type RefRule =
  | { type: "none" }
  | { type: "known" }
  /** Only ancestors of `of`: their outputs exist when the reader runs. */
  | { type: "ancestors"; of: string; ancestors: Set<string> | undefined; reader: "step" | "handler" };

interface TemplateField {
  path: string;
  value: unknown;
  roots: readonly string[];
  refs: RefRule;
  /** An expression field (`when`, `for_each`, `match`, `filter`): exactly one template. */
  single?: boolean;
}

const BASE_ROOTS = ["input", "trigger", "steps", "run"] as const;

export function checkSemantics(
  def: WorkflowDefinition,
  graph: StepGraph,
  options: SemanticOptions,
  issues: DefinitionIssue[],
): void {
  const fields: TemplateField[] = [...triggerFields(def, issues), ...outputFields(def)];
  def.steps.forEach((step, i) => {
    const refs: RefRule = {
      type: "ancestors",
      of: step.name,
      ancestors: graph.ancestors?.get(step.name),
      reader: "step",
    };
    fields.push(...stepFields(step, `steps[${i}]`, [], refs));
    checkStepKind(step, `steps[${i}]`, options, issues);
  });
  def.errorHandlers.forEach((handler, i) => {
    const path = `error_handling[${i}]`;
    checkOnError(handler.onError, path, graph, issues);
    const refs: RefRule =
      handler.onError === "*"
        ? { type: "known" }
        : {
            type: "ancestors",
            of: handler.onError,
            ancestors: graph.ancestors?.get(handler.onError),
            reader: "handler",
          };
    fields.push(...stepFields(handler.step, path, ["error"], refs));
    checkStepKind(handler.step, path, options, issues);
  });
  for (const field of fields) checkField(field, graph, issues);
}

function triggerFields(def: WorkflowDefinition, issues: DefinitionIssue[]): TemplateField[] {
  if (def.trigger.type === "cron") checkCron(def.trigger.expression, issues);
  const fields: TemplateField[] = [];
  if (def.trigger.type === "event" && def.trigger.filter !== undefined) {
    fields.push({
      path: "trigger.filter",
      value: def.trigger.filter,
      roots: ["event"],
      refs: { type: "none" },
      single: true,
    });
  }
  // The key is rendered when the run is created, before any step or event exists.
  if (def.concurrency) {
    fields.push({
      path: "concurrency.key",
      value: def.concurrency.key,
      roots: ["input", "trigger", "run"],
      refs: { type: "none" },
    });
  }
  return fields;
}

function outputFields(def: WorkflowDefinition): TemplateField[] {
  // Rendered when every step has finished: any step may be read (a skipped one reads as null).
  return def.output === undefined
    ? []
    : [{ path: "output", value: def.output, roots: BASE_ROOTS, refs: { type: "known" } }];
}

/**
 * `when` and `for_each` are evaluated once before any fan-out, so `item`/`index` exist only in
 * the kind's own fields; `event` only in a wait's `match`; `error` only in handlers.
 */
function stepFields(step: StepDefinition, path: string, extraRoots: string[], refs: RefRule): TemplateField[] {
  const roots = [...BASE_ROOTS, ...extraRoots];
  const kindRoots = step.forEach === undefined ? roots : [...roots, "item", "index"];
  const fields: TemplateField[] = [];
  if (step.when !== undefined)
    fields.push({ path: joinPath(path, "when"), value: step.when, roots, refs, single: true });
  if (step.forEach !== undefined)
    fields.push({ path: joinPath(path, "for_each"), value: step.forEach, roots, refs, single: true });
  const kind = (key: string, value: unknown) =>
    fields.push({ path: joinPath(path, key), value, roots: kindRoots, refs });
  if (step.kind === "agent") kind("input", step.input);
  if (step.kind === "http") kind("http", step.http);
  if (step.kind === "emit") kind("emit", step.emit);
  if (step.kind === "wait_for_event" && step.waitForEvent.match !== undefined) {
    fields.push({
      path: `${path}.wait_for_event.match`,
      value: step.waitForEvent.match,
      refs,
      roots: [...kindRoots, "event"],
      single: true,
    });
  }
  return fields;
}

function checkField(field: TemplateField, graph: StepGraph, issues: DefinitionIssue[]): void {
  const syntax = checkTemplates(field.value, field.path);
  issues.push(...syntax);
  if (field.single && typeof field.value === "string" && syntax.length === 0 && !isSingleTemplate(field.value)) {
    issues.push({ path: field.path, message: 'must be a single template "{{ expression }}"' });
  }
  for (const site of analyzeTemplateSites(field.value, field.path)) {
    for (const root of site.analysis.roots) {
      if (!field.roots.includes(root)) {
        issues.push({
          path: site.path,
          message: `reads "${root}", which is not in scope here (available: ${field.roots.join(", ")})`,
        });
      }
    }
    if (field.roots.includes("steps")) checkStepRefs(site.path, site.analysis, field.refs, graph, issues);
  }
}

function checkStepRefs(
  path: string,
  analysis: ExpressionAnalysis,
  rule: RefRule,
  graph: StepGraph,
  issues: DefinitionIssue[],
): void {
  if (rule.type === "none") return;
  for (const ref of analysis.steps) {
    const message = refProblem(ref, rule, graph);
    if (message !== undefined) issues.push({ path, message });
  }
}

function refProblem(ref: string, rule: Exclude<RefRule, { type: "none" }>, graph: StepGraph): string | undefined {
  if (ref === ALL_STEPS) {
    if (rule.type === "known") return undefined;
    return "reads steps as a whole; name each output it needs (steps.<name>.output), since only its dependencies have finished when it runs";
  }
  if (graph.handlerNames.has(ref) && !graph.stepNames.has(ref))
    return `reads steps.${ref}, but "${ref}" is an error handler: its output cannot be read`;
  if (!graph.stepNames.has(ref)) return `reads steps.${ref}, but there is no step "${ref}"`;
  if (rule.type === "known" || rule.ancestors === undefined) return undefined;
  if (rule.reader === "step" && ref === rule.of) return `a step cannot read its own output (steps.${ref})`;
  if (rule.ancestors.has(ref)) return undefined;
  if (rule.reader === "handler") {
    return `reads steps.${ref}, but "${ref}" is not a dependency (direct or transitive) of "${rule.of}", so its output may not exist when this handler runs`;
  }
  return `reads steps.${ref}, but "${ref}" is not among this step's dependencies (direct or transitive), so its output would not exist yet: add it to depends_on`;
}

function checkOnError(onError: string, path: string, graph: StepGraph, issues: DefinitionIssue[]): void {
  if (onError === "*" || graph.stepNames.has(onError)) return;
  const message = graph.handlerNames.has(onError)
    ? `"${onError}" is an error handler; handlers do not handle each other's failures`
    : `unknown step "${onError}" (use a step name or "*")`;
  issues.push({ path: `${path}.on_error`, message });
}

function checkStepKind(step: StepDefinition, path: string, options: SemanticOptions, issues: DefinitionIssue[]): void {
  if (step.kind === "http") {
    const problem = checkUrlStatically(step.http.url, options.env);
    if (problem !== undefined) issues.push({ path: `${path}.http.url`, message: problem });
    for (const [field, message] of secretRefProblems(
      step.http.headers,
      hasStaticAuthority(step.http.url),
      options.env,
    )) {
      issues.push({ path: `${path}.http.${field}`, message });
    }
  }
  if (step.kind === "agent" && options.agentExists && !options.agentExists(step.agent, step.action)) {
    issues.push({ path: `${path}.agent`, message: `unknown agent action "${step.agent}.${step.action}"` });
  }
}

function checkCron(expression: string, issues: DefinitionIssue[]): void {
  try {
    const cron = new Cron(expression, { paused: true });
    const next = cron.nextRun();
    cron.stop();
    if (next === null) issues.push({ path: "trigger.cron", message: `cron expression "${expression}" never fires` });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    issues.push({ path: "trigger.cron", message: `invalid cron expression "${expression}": ${reason}` });
  }
}
