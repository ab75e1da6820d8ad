/**
 * The step graph: unique names, known dependencies, no cycles, and the ancestors of each step
 * (what has finished when it runs, so which outputs its templates may read).
 */
import type { DefinitionIssue } from "./errors";
import type { WorkflowDefinition } from "./types";

export interface StepGraph {
  /** Step name → its ancestors (direct and transitive dependencies); undefined when cyclic. */
  ancestors: Map<string, Set<string>> | undefined;
  stepNames: Set<string>;
  handlerNames: Set<string>;
}

/** Checks names and dependencies, pushing issues; returns what later checks need. */
export function checkGraph(def: WorkflowDefinition, issues: DefinitionIssue[]): StepGraph {
  const stepNames = checkUniqueNames(def, issues);
  const handlerNames = new Set(def.errorHandlers.map((h) => h.step.name));
  const edgesOk = checkDependencies(def, stepNames, handlerNames, issues);
  const cyclic = edgesOk ? checkCycles(def, issues) : true;
  return { ancestors: cyclic ? undefined : computeAncestors(def), stepNames, handlerNames };
}

function checkUniqueNames(def: WorkflowDefinition, issues: DefinitionIssue[]): Set<string> {
  const firstSeen = new Map<string, string>();
  const places = [
    ...def.steps.map((step, i) => [step.name, `steps[${i}]`] as const),
    ...def.errorHandlers.map((handler, i) => [handler.step.name, `error_handling[${i}]`] as const),
  ];
  for (const [name, place] of places) {
    const earlier = firstSeen.get(name);
    if (earlier === undefined) firstSeen.set(name, place);
    else issues.push({ path: `${place}.name`, message: `duplicate step name "${name}" (also ${earlier})` });
  }
  return new Set(def.steps.map((s) => s.name));
}

function checkDependencies(
  def: WorkflowDefinition,
  steps: Set<string>,
  handlers: Set<string>,
  issues: DefinitionIssue[],
): boolean {
  const before = issues.length;
  def.steps.forEach((step, i) => {
    const path = `steps[${i}].depends_on`;
    const seen = new Set<string>();
    for (const dep of step.dependsOn) {
      if (seen.has(dep)) issues.push({ path, message: `"${dep}" is listed twice` });
      else if (dep === step.name) issues.push({ path, message: `a step cannot depend on itself ("${dep}")` });
      else if (handlers.has(dep) && !steps.has(dep))
        issues.push({ path, message: `"${dep}" is an error handler, not a step` });
      else if (!steps.has(dep)) issues.push({ path, message: `unknown step "${dep}"` });
      seen.add(dep);
    }
  });
  return issues.length === before;
}

/** Reports each dependency cycle once, naming it: `dependency cycle: a → b → a`. */
function checkCycles(def: WorkflowDefinition, issues: DefinitionIssue[]): boolean {
  const deps = new Map(def.steps.map((step) => [step.name, step.dependsOn]));
  const index = new Map(def.steps.map((step, i) => [step.name, i]));
  const state = new Map<string, "active" | "done">();
  const reported = new Set<string>();
  // Iterative DFS: a long chain of steps must not depend on the size of the call stack.
  for (const root of def.steps) {
    if (state.has(root.name)) continue;
    const stack: { name: string; next: number }[] = [{ name: root.name, next: 0 }];
    state.set(root.name, "active");
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top === undefined) break;
      const dep = deps.get(top.name)?.[top.next++];
      if (dep === undefined) {
        state.set(top.name, "done");
        stack.pop();
      } else if (state.get(dep) === "active") {
        const names = stack.map((frame) => frame.name);
        reportCycle(names.slice(names.indexOf(dep)), index, reported, issues);
      } else if (!state.has(dep)) {
        state.set(dep, "active");
        stack.push({ name: dep, next: 0 });
      }
    }
  }
  return reported.size > 0;
}

function reportCycle(
  cycle: string[],
  index: Map<string, number>,
  reported: Set<string>,
  issues: DefinitionIssue[],
): void {
  const key = [...cycle].sort().join("\u0000");
  if (reported.has(key)) return;
  reported.add(key);
  const first = cycle[0] ?? "";
  issues.push({
    path: `steps[${index.get(first) ?? 0}].depends_on`,
    message: `dependency cycle: ${[...cycle, first].join(" → ")} (each depends on the next)`,
  });
}

function computeAncestors(def: WorkflowDefinition): Map<string, Set<string>> {
  const byName = new Map(def.steps.map((step) => [step.name, step]));
  const result = new Map<string, Set<string>>();
  for (const name of topologicalOrder(def)) {
    const set = new Set<string>();
    for (const dep of byName.get(name)?.dependsOn ?? []) {
      set.add(dep);
      for (const ancestor of result.get(dep) ?? []) set.add(ancestor);
    }
    result.set(name, set);
  }
  return result;
}

/** Steps in an order where each comes after its dependencies (the graph must be acyclic). */
export function topologicalOrder(def: WorkflowDefinition): string[] {
  const remaining = new Map(def.steps.map((step) => [step.name, step.dependsOn.length]));
  const dependents = new Map<string, string[]>();
  for (const step of def.steps) {
    for (const dep of step.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), step.name]);
  }
  const order = def.steps.filter((step) => step.dependsOn.length === 0).map((step) => step.name);
  for (let i = 0; i < order.length; i++) {
    for (const next of dependents.get(order[i] ?? "") ?? []) {
      const left = (remaining.get(next) ?? 0) - 1;
      remaining.set(next, left);
      if (left === 0) order.push(next);
    }
  }
  return order;
}

/** The steps nothing depends on: their outputs, by name, are the run's output by default. */
export function defaultOutputSteps(def: WorkflowDefinition): string[] {
  const depended = new Set(def.steps.flatMap((step) => step.dependsOn));
  return def.steps.filter((step) => !depended.has(step.name)).map((step) => step.name);
}
