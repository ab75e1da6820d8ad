/**
 * The normalized workflow definition: camelCase, defaults applied, durations in milliseconds.
 * Template strings stay as written; the executor renders them at run time with the scope of
 * the moment (see templates.ts).
 */
import type { JsonValue } from "./json";

export const STEP_KINDS = ["agent", "http", "sleep", "wait_for_event", "emit"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

export const TRIGGER_RULES = ["all_success", "all_done", "one_success"] as const;
export type TriggerRule = (typeof TRIGGER_RULES)[number];

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type Backoff = "exponential" | "fixed";

export type TriggerDefinition =
  | { type: "manual" }
  /** `filter` is a template over `{ event }` that must be truthy (isTruthy) for the event to start a run. */
  | { type: "event"; topic: string; filter?: string }
  | { type: "cron"; expression: string };

export interface RetryPolicy {
  maxAttempts: number;
  backoff: Backoff;
  initialIntervalMs: number;
  maxIntervalMs: number;
}

interface StepBase {
  name: string;
  dependsOn: string[];
  /** A template; the step is skipped when it renders falsy (isTruthy, truthiness.ts). */
  when?: string;
  triggerRule: TriggerRule;
  /** A template yielding the array to fan out over (`item`/`index` in scope). */
  forEach?: string;
  retry: RetryPolicy;
  /** Per attempt. */
  timeoutMs: number;
}

export interface AgentStep extends StepBase {
  kind: "agent";
  agent: string;
  action: string;
  input: JsonValue;
}

export interface HttpStep extends StepBase {
  kind: "http";
  http: { url: string; method: HttpMethod; headers: Record<string, string>; body?: JsonValue };
}

export interface SleepStep extends StepBase {
  kind: "sleep";
  durationMs: number;
}

export interface WaitForEventStep extends StepBase {
  kind: "wait_for_event";
  /** `timeoutMs` bounds the wait itself, unlike the step's per-attempt `timeoutMs`. */
  waitForEvent: { topic: string; match?: string; timeoutMs: number };
}

export interface EmitStep extends StepBase {
  kind: "emit";
  emit: { topic: string; data: JsonValue };
}

export type StepDefinition = AgentStep | HttpStep | SleepStep | WaitForEventStep | EmitStep;

/** Runs `step` when the step named `onError` (or any step, for `"*"`) finally fails. */
export interface ErrorHandler {
  onError: string;
  /**
   * Never has dependencies or `forEach`; `error: {step, message}` is in its scope. Its name is the
   * written one, or `on_<step>_error` / `on_any_error` (normalize.ts, nameHandlers).
   */
  step: StepDefinition;
}

export interface WorkflowDefinition {
  name: string;
  description?: string;
  trigger: TriggerDefinition;
  /** At most `limit` active runs share one rendered `key`. */
  concurrency?: { key: string; limit: number };
  /** Any JSON with templates; absent means the outputs of the steps nothing depends on. */
  output?: JsonValue;
  steps: StepDefinition[];
  errorHandlers: ErrorHandler[];
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 3,
  backoff: "exponential",
  initialIntervalMs: 1_000,
  maxIntervalMs: 300_000,
};
export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_TRIGGER_RULE: TriggerRule = "all_success";
export const DEFAULT_HTTP_METHOD: HttpMethod = "POST";
