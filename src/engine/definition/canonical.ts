/**
 * Canonical forms of a normalized definition: a content hash (so registering the same content
 * twice is detected as "no change") and YAML in the authoring format (so a definition registered
 * as JSON through the API can be read and edited like the files in workflows/).
 */
import { defaultStepTimeoutMs } from "./agent-defaults";
import { createHash } from "node:crypto";
import { stringify } from "yaml";
import { formatDuration } from "./duration";
import type { JsonValue } from "./json";
import {
  DEFAULT_HTTP_METHOD,
  DEFAULT_RETRY,
  DEFAULT_TRIGGER_RULE,
  type ErrorHandler,
  type RetryPolicy,
  type StepDefinition,
  type TriggerDefinition,
  type WorkflowDefinition,
} from "./types";

/**
 * sha256 (hex) of the definition as JSON with sorted keys: equal for equal content, whatever
 * the key order or the format it was written in.
 * @example if (definitionHash(def) === latest.hash) return latest; // nothing changed
 */
export function definitionHash(def: WorkflowDefinition): string {
  return createHash("sha256").update(canonicalJson(def)).digest("hex");
}

/** JSON with object keys sorted at every level; undefined properties are left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * The definition in the authoring format (snake_case, durations as text, defaults left out);
 * `parseDefinition(toYaml(def))` deep-equals `def`.
 * @example toYaml(parseDefinition('{"name":"n","steps":[{"name":"a","sleep":"90s"}]}'))
 * // "name: n
steps:
  - name: a
    sleep: 90s
"
 */
export function toYaml(def: WorkflowDefinition): string {
  const raw: Record<string, unknown> = { name: def.name };
  if (def.description !== undefined) raw.description = def.description;
  const trigger = rawTrigger(def.trigger);
  if (trigger !== undefined) raw.trigger = trigger;
  if (def.concurrency) raw.concurrency = { key: def.concurrency.key, limit: def.concurrency.limit };
  raw.steps = def.steps.map((step) => rawStep(step));
  if (def.output !== undefined) raw.output = def.output;
  if (def.errorHandlers.length > 0) raw.error_handling = def.errorHandlers.map(rawHandler);
  // No aliases: a shared object must be written out in full where it is used.
  return stringify(raw, { aliasDuplicateObjects: false, lineWidth: 0 });
}

function rawTrigger(trigger: TriggerDefinition): unknown {
  switch (trigger.type) {
    case "manual":
      return undefined;
    case "event":
      return trigger.filter === undefined ? { event: trigger.topic } : { event: trigger.topic, filter: trigger.filter };
    case "cron":
      return { cron: trigger.expression };
  }
}

function rawHandler(handler: ErrorHandler): Record<string, unknown> {
  return { on_error: handler.onError, ...rawStep(handler.step) };
}

function rawStep(step: StepDefinition): Record<string, unknown> {
  const raw: Record<string, unknown> = { name: step.name };
  if (step.dependsOn.length > 0) raw.depends_on = [...step.dependsOn];
  Object.assign(raw, rawKind(step));
  if (step.when !== undefined) raw.when = step.when;
  if (step.triggerRule !== DEFAULT_TRIGGER_RULE) raw.trigger_rule = step.triggerRule;
  if (step.forEach !== undefined) raw.for_each = step.forEach;
  const retry = rawRetry(step.retry);
  if (Object.keys(retry).length > 0) raw.retry = retry;
  if (step.timeoutMs !== defaultStepTimeoutMs(step.kind === "agent" ? step : {}))
    raw.timeout = formatDuration(step.timeoutMs);
  return raw;
}

function rawKind(step: StepDefinition): Record<string, unknown> {
  switch (step.kind) {
    case "agent":
      return { agent: step.agent, action: step.action, ...(isEmptyObject(step.input) ? {} : { input: step.input }) };
    case "http": {
      const { url, method, headers, body } = step.http;
      const http: Record<string, unknown> = { url };
      if (method !== DEFAULT_HTTP_METHOD) http.method = method;
      if (Object.keys(headers).length > 0) http.headers = headers;
      if (body !== undefined) http.body = body;
      return { http };
    }
    case "sleep":
      return { sleep: formatDuration(step.durationMs) };
    case "wait_for_event": {
      const { topic, match, timeoutMs } = step.waitForEvent;
      return {
        wait_for_event: { topic, ...(match === undefined ? {} : { match }), timeout: formatDuration(timeoutMs) },
      };
    }
    case "emit":
      return { emit: { topic: step.emit.topic, ...(isEmptyObject(step.emit.data) ? {} : { data: step.emit.data }) } };
  }
}

function rawRetry(retry: RetryPolicy): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  if (retry.maxAttempts !== DEFAULT_RETRY.maxAttempts) raw.max_attempts = retry.maxAttempts;
  if (retry.backoff !== DEFAULT_RETRY.backoff) raw.backoff = retry.backoff;
  if (retry.initialIntervalMs !== DEFAULT_RETRY.initialIntervalMs)
    raw.initial_interval = formatDuration(retry.initialIntervalMs);
  if (retry.maxIntervalMs !== DEFAULT_RETRY.maxIntervalMs) raw.max_interval = formatDuration(retry.maxIntervalMs);
  return raw;
}

function isEmptyObject(value: JsonValue): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}
