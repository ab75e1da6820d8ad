/**
 * A definition compiled for execution: step lookup, dependents, sinks, handlers. Definitions
 * are immutable per (name, version), so a plan lives as long as its definition object.
 */
import type { ErrorHandler, StepDefinition, WorkflowDefinition } from "./definition";

export interface Plan {
  definition: WorkflowDefinition;
  version: number;
  /** A step or an error handler's step. */
  step(name: string): StepDefinition | undefined;
  isHandler(name: string): boolean;
  /** Top-level steps that list `name` in depends_on. */
  dependents(name: string): string[];
  /** Steps with no dependencies: queued when the run starts. */
  roots: string[];
  /** Steps nothing depends on: the default output. */
  sinks: string[];
  /** Handlers that run when `failedStep` finally fails. */
  handlersFor(failedStep: string): ErrorHandler[];
}

// Keyed by the definition object (itself cached per database by the registry), so two
// databases in one process never share a plan.
const cache = new WeakMap<WorkflowDefinition, Plan>();

export function planFor(definition: WorkflowDefinition, version: number): Plan {
  const cached = cache.get(definition);
  if (cached && cached.version === version) return cached;
  const byName = new Map<string, StepDefinition>();
  const handlerNames = new Set(definition.errorHandlers.map((h) => h.step.name));
  const dependents = new Map<string, string[]>();
  for (const step of definition.steps) {
    byName.set(step.name, step);
    for (const dep of step.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), step.name]);
  }
  for (const handler of definition.errorHandlers) byName.set(handler.step.name, handler.step);
  const plan: Plan = {
    definition,
    version,
    step: (name) => byName.get(name),
    isHandler: (name) => handlerNames.has(name),
    dependents: (name) => dependents.get(name) ?? [],
    roots: definition.steps.filter((s) => s.dependsOn.length === 0).map((s) => s.name),
    sinks: definition.steps.filter((s) => !dependents.has(s.name)).map((s) => s.name),
    handlersFor: (failedStep) => definition.errorHandlers.filter((h) => h.onError === "*" || h.onError === failedStep),
  };
  cache.set(definition, plan);
  return plan;
}
