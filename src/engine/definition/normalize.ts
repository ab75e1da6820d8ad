/**
 * From the parsed shape (snake_case) to the normalized definition (camelCase, defaults applied),
 * checking the rules that span fields of one object: one kind per step, `action` with `agent`,
 * one trigger kind, coherent retry intervals.
 */
import { defaultStepTimeoutMs } from "./agent-defaults";
import { type DefinitionIssue, joinPath } from "./errors";
import { formatDuration } from "./duration";
import type { RawDefinition, RawErrorHandler, RawStep, RawStepFields } from "./schema";
import {
  DEFAULT_HTTP_METHOD,
  DEFAULT_RETRY,
  DEFAULT_TRIGGER_RULE,
  type ErrorHandler,
  type RetryPolicy,
  STEP_KINDS,
  type StepDefinition,
  type TriggerDefinition,
  type WorkflowDefinition,
} from "./types";

/** Normalizes a parsed definition; pushes an issue (and drops the part) for each broken rule. */
export function normalizeDefinition(raw: RawDefinition, issues: DefinitionIssue[]): WorkflowDefinition {
  const steps = raw.steps.flatMap((step, i) => normalizeStep(step, `steps[${i}]`, issues) ?? []);
  const handlerNames = nameHandlers(raw);
  const errorHandlers = (raw.error_handling ?? []).flatMap(
    (handler, i) => normalizeHandler({ ...handler, name: handlerNames[i] ?? "" }, `error_handling[${i}]`, issues) ?? [],
  );
  const definition: WorkflowDefinition = {
    name: raw.name,
    trigger: normalizeTrigger(raw.trigger, issues),
    steps,
    errorHandlers,
  };
  if (raw.description !== undefined) definition.description = raw.description;
  if (raw.concurrency !== undefined)
    definition.concurrency = { key: raw.concurrency.key, limit: raw.concurrency.limit };
  if (raw.output !== undefined) definition.output = raw.output;
  return definition;
}

function normalizeTrigger(raw: RawDefinition["trigger"], issues: DefinitionIssue[]): TriggerDefinition {
  if (raw === undefined || raw === "manual") return { type: "manual" };
  if (raw.event !== undefined && raw.cron !== undefined) {
    issues.push({ path: "trigger", message: "has both event and cron; a workflow has one trigger" });
  } else if (raw.event === undefined && raw.cron === undefined) {
    issues.push({ path: "trigger", message: 'needs event or cron (or write trigger: "manual")' });
  }
  if (raw.filter !== undefined && raw.event === undefined) {
    issues.push({ path: "trigger.filter", message: "is only valid with an event trigger" });
  }
  if (raw.event !== undefined) {
    return raw.filter === undefined
      ? { type: "event", topic: raw.event }
      : { type: "event", topic: raw.event, filter: raw.filter };
  }
  return { type: "cron", expression: raw.cron ?? "" };
}

function normalizeStep(raw: RawStep, path: string, issues: DefinitionIssue[]): StepDefinition | undefined {
  const step = normalizeStepFields(raw, path, issues);
  if (step === undefined) return undefined;
  if (raw.depends_on !== undefined)
    step.dependsOn = typeof raw.depends_on === "string" ? [raw.depends_on] : [...raw.depends_on];
  if (raw.for_each !== undefined) step.forEach = raw.for_each;
  return step;
}

/**
 * Each handler's step name: its own when written, else one derived from its target,
 * `on_<step>_error` (`on_any_error` for "*"), so a handler needs no name to be written (a handler
 * runs as a step of the run, and steps are known by name). A derived name never takes a name
 * written anywhere in the definition nor another derived one: `_2`, `_3`… are appended. Written
 * names win, and two written duplicates are still refused (graph.ts).
 */
function nameHandlers(raw: RawDefinition): string[] {
  const handlers = raw.error_handling ?? [];
  const taken = new Set([
    ...raw.steps.map((s) => s.name),
    ...handlers.flatMap((h) => (h.name === undefined ? [] : [h.name])),
  ]);
  return handlers.map((handler) => {
    if (handler.name !== undefined) return handler.name;
    const base = derivedHandlerName(handler.on_error);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base.slice(0, MAX_NAME_LENGTH - String(n).length - 1)}_${n}`;
    taken.add(name);
    return name;
  });
}

/** The longest step name STEP_NAME allows. */
const MAX_NAME_LENGTH = 63;

function derivedHandlerName(onError: string): string {
  // An unknown or malformed target is refused elsewhere; the name only has to be valid meanwhile.
  const target = onError === "*" ? "any" : onError.replace(/[^A-Za-z0-9_]/g, "_");
  return `on_${target.slice(0, MAX_NAME_LENGTH - "on__error".length)}_error`;
}

function normalizeHandler(
  raw: RawErrorHandler & { name: string },
  path: string,
  issues: DefinitionIssue[],
): ErrorHandler | undefined {
  const { on_error: onError, ...fields } = raw;
  const step = normalizeStepFields(fields, path, issues);
  return step === undefined ? undefined : { onError, step };
}

/** The kind-specific part and the options shared by steps and handlers. */
function normalizeStepFields(raw: RawStepFields, path: string, issues: DefinitionIssue[]): StepDefinition | undefined {
  const kinds = STEP_KINDS.filter((kind) => raw[kind] !== undefined);
  if (kinds.length !== 1) {
    const found = kinds.length === 0 ? "found none" : `found ${kinds.join(" and ")}`;
    issues.push({ path, message: `a step needs exactly one of agent, http, sleep, wait_for_event, emit (${found})` });
    return undefined;
  }
  if (raw.agent === undefined) {
    for (const field of ["action", "input"] as const) {
      if (raw[field] !== undefined) issues.push({ path: joinPath(path, field), message: "is only valid with agent" });
    }
  }
  const base = {
    name: raw.name,
    dependsOn: [] as string[],
    triggerRule: raw.trigger_rule ?? DEFAULT_TRIGGER_RULE,
    retry: normalizeRetry(raw.retry, joinPath(path, "retry"), issues),
    timeoutMs: raw.timeout ?? defaultStepTimeoutMs({ agent: raw.agent, action: raw.action }),
    ...(raw.when === undefined ? {} : { when: raw.when }),
  };
  return kindFields(raw, base, path, issues);
}

type StepBase = Omit<
  StepDefinition,
  "kind" | "agent" | "action" | "input" | "http" | "durationMs" | "waitForEvent" | "emit"
>;

function kindFields(
  raw: RawStepFields,
  base: StepBase,
  path: string,
  issues: DefinitionIssue[],
): StepDefinition | undefined {
  if (raw.agent !== undefined) {
    if (raw.action === undefined) issues.push({ path: joinPath(path, "action"), message: "is required with agent" });
    return { ...base, kind: "agent", agent: raw.agent, action: raw.action ?? "", input: raw.input ?? {} };
  }
  if (raw.http !== undefined) {
    const { url, method = DEFAULT_HTTP_METHOD, headers = {}, body } = raw.http;
    if (method === "GET" && body !== undefined) {
      issues.push({ path: `${path}.http.body`, message: "a GET request has no body" });
    }
    return {
      ...base,
      kind: "http",
      http: { url, method, headers: { ...headers }, ...(body === undefined ? {} : { body }) },
    };
  }
  if (raw.sleep !== undefined) return { ...base, kind: "sleep", durationMs: raw.sleep };
  if (raw.wait_for_event !== undefined) {
    const { topic, match, timeout } = raw.wait_for_event;
    return {
      ...base,
      kind: "wait_for_event",
      waitForEvent: { topic, ...(match === undefined ? {} : { match }), timeoutMs: timeout },
    };
  }
  if (raw.emit !== undefined)
    return { ...base, kind: "emit", emit: { topic: raw.emit.topic, data: raw.emit.data ?? {} } };
  return undefined;
}

function normalizeRetry(raw: RawStepFields["retry"], path: string, issues: DefinitionIssue[]): RetryPolicy {
  const retry: RetryPolicy = {
    maxAttempts: raw?.max_attempts ?? DEFAULT_RETRY.maxAttempts,
    backoff: raw?.backoff ?? DEFAULT_RETRY.backoff,
    initialIntervalMs: raw?.initial_interval ?? DEFAULT_RETRY.initialIntervalMs,
    maxIntervalMs: raw?.max_interval ?? DEFAULT_RETRY.maxIntervalMs,
  };
  if (retry.initialIntervalMs > retry.maxIntervalMs) {
    issues.push({
      path: joinPath(path, "initial_interval"),
      message: `${formatDuration(retry.initialIntervalMs)} exceeds max_interval (${formatDuration(retry.maxIntervalMs)})`,
    });
  }
  return retry;
}
