/**
 * A dry run (POST /api/workflows/<name>/dry-run): what a manual start with this input would do,
 * computed without starting a run or calling anything. The steps come in an order where each
 * follows its dependencies, with their wave (`level`: 0 for the roots, else one more than the
 * deepest dependency); templates that read only `input` and `trigger` (a manual start's
 * `{type: "manual", actor}`) are rendered, as the executor would render them, and the others are
 * listed as unresolved: they need values that exist only at run time (`steps`, `run`, `item`…).
 * A resolvable template that fails to render (a `for_each` that is not an array, a function given
 * the wrong type) is a problem this input would cause at run time.
 */
import {
  type StepDefinition,
  TemplateError,
  type WorkflowDefinition,
  formatDuration,
  isTruthy,
  renderTemplates,
  topologicalOrder,
} from "./definition";
import { type DefinitionIssue, joinPath } from "./definition/errors";
import { isPlainObject } from "./definition/json";
import { analyzeTemplateSites } from "./definition/templates";

/** A value with its templates rendered where they could be, and the places of those that could not. */
export interface Resolved<T = unknown> {
  value: T;
  unresolved: string[];
}

export interface DryRunStep {
  name: string;
  kind: StepDefinition["kind"];
  dependsOn: string[];
  /** 0 for steps without dependencies; else 1 + the deepest dependency's level. Steps of one level may run in parallel. */
  level: number;
  triggerRule: StepDefinition["triggerRule"];
  /** `result`: whether the step would run (true) or be skipped (false); null when it depends on run-time values. */
  when?: { expression: string; result: boolean | null };
  /** `items`: the array the step fans out over, or null when it depends on run-time values. */
  forEach?: { expression: string; items: unknown[] | null };
  retry: { maxAttempts: number; backoff: string; initialInterval: string; maxInterval: string };
  timeout: string;
  /** The kind's fields (agent/action/input, http, sleep, wait_for_event, emit), resolved where possible. */
  call: Record<string, unknown>;
  unresolved: string[];
}

export interface DryRunPlan {
  workflow: string;
  /** The registered version, or null for a definition given in the request. */
  version: number | null;
  trigger: WorkflowDefinition["trigger"];
  input: unknown;
  steps: DryRunStep[];
  errorHandlers: { name: string; onError: string; kind: StepDefinition["kind"] }[];
  /** Absent when the definition has no `output` (the run's output is then its sink steps' outputs). */
  output?: Resolved;
  concurrency?: { key: Resolved; limit: number };
  /** Failures this input would cause at run time, by the place of the template. */
  problems: DefinitionIssue[];
}

export interface DryRunParams {
  definition: WorkflowDefinition;
  version: number | null;
  input: unknown;
  /** Who would start the run: a manual start's `trigger.actor`. */
  actor: string;
}

/** The roots a template may read to be rendered in a dry run. */
const KNOWN_ROOTS = new Set(["input", "trigger"]);

export function dryRun(params: DryRunParams): DryRunPlan {
  const { definition: def } = params;
  const input = params.input ?? null;
  const scope = { input, trigger: { type: "manual", actor: params.actor } };
  const problems: DefinitionIssue[] = [];
  const resolver = new Resolver(scope, problems);
  const byName = new Map(def.steps.map((step, i) => [step.name, { step, path: `steps[${i}]` }]));
  const levels = new Map<string, number>();
  const steps = topologicalOrder(def).flatMap((name) => {
    const entry = byName.get(name);
    if (!entry) return [];
    const level = Math.max(-1, ...entry.step.dependsOn.map((dep) => levels.get(dep) ?? 0)) + 1;
    levels.set(name, level);
    return [planStep(entry.step, entry.path, level, resolver)];
  });
  const plan: DryRunPlan = {
    workflow: def.name,
    version: params.version,
    trigger: def.trigger,
    input,
    steps,
    errorHandlers: def.errorHandlers.map((h) => ({ name: h.step.name, onError: h.onError, kind: h.step.kind })),
    problems,
  };
  if (def.output !== undefined) plan.output = resolver.resolve(def.output, "output");
  if (def.concurrency)
    plan.concurrency = { key: resolver.resolve(def.concurrency.key, "concurrency.key"), limit: def.concurrency.limit };
  return plan;
}

function planStep(step: StepDefinition, path: string, level: number, resolver: Resolver): DryRunStep {
  const unresolvedBefore = resolver.unresolvedCount();
  const planned: DryRunStep = {
    name: step.name,
    kind: step.kind,
    dependsOn: step.dependsOn,
    level,
    triggerRule: step.triggerRule,
    retry: {
      maxAttempts: step.retry.maxAttempts,
      backoff: step.retry.backoff,
      initialInterval: formatDuration(step.retry.initialIntervalMs),
      maxInterval: formatDuration(step.retry.maxIntervalMs),
    },
    timeout: formatDuration(step.timeoutMs),
    call: {},
    unresolved: [],
  };
  if (step.when !== undefined) {
    const when = resolver.resolve(step.when, joinPath(path, "when"));
    planned.when = { expression: step.when, result: when.unresolved.length > 0 ? null : isTruthy(when.value) };
  }
  if (step.forEach !== undefined) {
    const forEachPath = joinPath(path, "for_each");
    const items = resolver.resolve(step.forEach, forEachPath);
    let list: unknown[] | null = null;
    if (items.unresolved.length === 0) {
      if (Array.isArray(items.value)) list = items.value;
      else resolver.problem(forEachPath, `must render an array to fan out over, got ${JSON.stringify(items.value)}`);
    }
    planned.forEach = { expression: step.forEach, items: list };
  }
  planned.call = kindCall(step, path, resolver);
  planned.unresolved = resolver.unresolvedSince(unresolvedBefore);
  return planned;
}

function kindCall(step: StepDefinition, path: string, resolver: Resolver): Record<string, unknown> {
  switch (step.kind) {
    case "agent":
      return {
        agent: step.agent,
        action: step.action,
        input: resolver.resolve(step.input, joinPath(path, "input")).value,
      };
    case "http":
      return { http: resolver.resolve(step.http, joinPath(path, "http")).value };
    case "sleep":
      return { sleep: formatDuration(step.durationMs) };
    case "wait_for_event": {
      // `match` reads the event being waited for: known only when one arrives.
      const { topic, match, timeoutMs } = step.waitForEvent;
      if (match !== undefined) resolver.resolve(match, joinPath(path, "wait_for_event.match"));
      return {
        wait_for_event: { topic, ...(match === undefined ? {} : { match }), timeout: formatDuration(timeoutMs) },
      };
    }
    case "emit":
      return { emit: resolver.resolve(step.emit, joinPath(path, "emit")).value };
  }
}

/** Renders the templates of values whose every template reads only known roots. */
class Resolver {
  private readonly unresolved: string[] = [];

  constructor(
    private readonly scope: { input: unknown; trigger: unknown },
    private readonly problems: DefinitionIssue[],
  ) {}

  unresolvedCount(): number {
    return this.unresolved.length;
  }

  unresolvedSince(count: number): string[] {
    return this.unresolved.slice(count);
  }

  problem(path: string, message: string): void {
    this.problems.push({ path, message });
  }

  resolve(value: unknown, path: string): Resolved {
    const before = this.unresolved.length;
    const rendered = this.walk(value, path, 0);
    return { value: rendered, unresolved: this.unresolved.slice(before) };
  }

  private walk(value: unknown, path: string, depth: number): unknown {
    if (typeof value === "string") return this.renderString(value, path);
    if (depth > 256) return value;
    if (Array.isArray(value)) return value.map((item, i) => this.walk(item, joinPath(path, i), depth + 1));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, this.walk(item, joinPath(path, key), depth + 1)]),
      );
    }
    return value;
  }

  private renderString(text: string, path: string): unknown {
    const sites = analyzeTemplateSites(text, path);
    if (sites.length === 0) return text;
    const roots = sites.flatMap((site) => [...site.analysis.roots]);
    if (!roots.every((root) => KNOWN_ROOTS.has(root))) {
      this.unresolved.push(path);
      return text;
    }
    try {
      return renderTemplates(text, { ...this.scope, steps: {}, run: { id: "", workflow: "", version: 0 } });
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      this.problem(path, error.message);
      return text;
    }
  }
}
