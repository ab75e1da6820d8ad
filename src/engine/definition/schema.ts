/**
 * The definition format as written (snake_case, YAML or JSON), as zod schemas. Every object is
 * strict: an unknown field is far more often a typo (`dependsOn`, `retries`) than intent, and
 * silently ignoring it would run a workflow other than the one its author reads.
 *
 * Shape only: rules that span fields (one kind per step, dependencies, templates, hosts) are in
 * normalize.ts and checks.ts, where they can name the place precisely.
 */
import { z } from "zod";
import { durationSchema } from "./duration";
import { copyJson } from "./json";
import { HTTP_METHODS, TRIGGER_RULES } from "./types";

export const WORKFLOW_NAME = /^[a-z][a-z0-9_-]{0,62}$/;
/** Also a bare JMESPath identifier, so `steps.<name>.output` needs no quoting. */
export const STEP_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** An HTTP header field name (RFC 9110 token). */
/** A 1,000-step chain is a benchmark workload (W5); more than that belongs in several workflows. */
export const MAX_STEPS = 1_000;

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Free-form JSON (`input`, `body`, `data`, `output`): checked and copied by copyJson. */
export const jsonValueSchema = z.unknown().transform((value, ctx) => {
  const issues: Parameters<typeof copyJson>[1] = [];
  const copy = copyJson(value, issues);
  for (const issue of issues)
    ctx.issues.push({ code: "custom", message: issue.message, input: value, path: issue.path });
  return copy === undefined ? z.NEVER : copy;
});

/** Strings that may hold templates; the bound keeps junk from reaching the parser. */
const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);
const nonEmpty = (max: number) => text(max).min(1, "must not be empty");

const topicSchema = nonEmpty(200).refine((topic) => !topic.includes("{{"), {
  message: "must be a fixed topic: subscriptions are indexed by topic, so it cannot be a template",
});

const retrySchema = z.strictObject({
  max_attempts: z.number().int("must be a whole number").min(1).max(100).optional(),
  backoff: z.enum(["exponential", "fixed"]).optional(),
  initial_interval: durationSchema.optional(),
  max_interval: durationSchema.optional(),
});

const httpSchema = z.strictObject({
  url: nonEmpty(2_048),
  method: z.enum(HTTP_METHODS).optional(),
  headers: z.record(z.string().regex(HEADER_NAME, "must be a valid HTTP header name"), text(8_192)).optional(),
  body: jsonValueSchema.optional(),
});

const waitForEventSchema = z.strictObject({
  topic: topicSchema,
  match: nonEmpty(10_000).optional(),
  timeout: durationSchema,
});

const emitSchema = z.strictObject({
  topic: topicSchema,
  data: jsonValueSchema.optional(),
});

/** Fields shared by steps and error handlers. */
const stepFields = {
  name: z.string().regex(STEP_NAME, "must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$ (letters, digits and _)"),
  agent: nonEmpty(100).optional(),
  action: nonEmpty(100).optional(),
  input: jsonValueSchema.optional(),
  http: httpSchema.optional(),
  sleep: durationSchema.optional(),
  wait_for_event: waitForEventSchema.optional(),
  emit: emitSchema.optional(),
  when: nonEmpty(10_000).optional(),
  trigger_rule: z.enum(TRIGGER_RULES).optional(),
  retry: retrySchema.optional(),
  timeout: durationSchema.optional(),
};

const stepSchema = z.strictObject({
  ...stepFields,
  depends_on: z
    .union([z.string(), z.array(z.string()).max(200)], { error: "must be a step name or a list of step names" })
    .optional(),
  for_each: nonEmpty(10_000).optional(),
});

/** A handler's `name` is optional: normalize.ts derives one from `on_error` (nameHandlers). */
const errorHandlerSchema = z.strictObject({
  ...stepFields,
  name: stepFields.name.optional(),
  on_error: nonEmpty(100),
});

const triggerSchema = z.union(
  [
    z.literal("manual"),
    z.strictObject({
      event: topicSchema.optional(),
      filter: nonEmpty(10_000).optional(),
      cron: nonEmpty(200).optional(),
    }),
  ],
  { error: 'must be "manual", {event: <topic>} or {cron: <expression>}' },
);

export const definitionSchema = z.strictObject({
  name: z.string().regex(WORKFLOW_NAME, "must match ^[a-z][a-z0-9_-]{0,62}$ (lowercase letters, digits, _ and -)"),
  description: text(5_000).optional(),
  trigger: triggerSchema.optional(),
  concurrency: z
    .strictObject({ key: nonEmpty(1_000), limit: z.number().int("must be a whole number").min(1).max(10_000) })
    .optional(),
  output: jsonValueSchema.optional(),
  steps: z.array(stepSchema).min(1, "must have at least one step").max(MAX_STEPS),
  error_handling: z.array(errorHandlerSchema).max(50).optional(),
});

export type RawDefinition = z.output<typeof definitionSchema>;
export type RawStep = z.output<typeof stepSchema>;
export type RawErrorHandler = z.output<typeof errorHandlerSchema>;
export type RawStepFields = Omit<RawStep, "depends_on" | "for_each">;
