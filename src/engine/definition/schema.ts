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

const retrySchema = z
  .strictObject({
    max_attempts: z
      .number()
      .int("must be a whole number")
      .min(1)
      .max(100)
      .optional()
      .describe("Attempts in all (default 3)."),
    backoff: z
      .enum(["exponential", "fixed"])
      .optional()
      .describe("exponential (default): the delay doubles; fixed: always initial_interval."),
    initial_interval: durationSchema.optional().describe("The first delay (default 1s)."),
    max_interval: durationSchema.optional().describe("The delay's cap (default 5m)."),
  })
  .describe("How failed attempts are retried; delays are jittered.");

const httpSchema = z.strictObject({
  url: nonEmpty(2_048).describe(
    "The URL; loopback and private hosts are refused unless listed in HTTP_STEP_ALLOWED_HOSTS.",
  ),
  method: z.enum(HTTP_METHODS).optional().describe("POST by default."),
  headers: z.record(z.string().regex(HEADER_NAME, "must be a valid HTTP header name"), text(8_192)).optional(),
  body: jsonValueSchema.optional(),
});

const waitForEventSchema = z.strictObject({
  topic: topicSchema,
  match: nonEmpty(10_000)
    .optional()
    .describe('A single template over `event`, e.g. "{{ event.data.id == input.id }}".'),
  timeout: durationSchema.describe("How long to wait before the step fails."),
});

const emitSchema = z.strictObject({
  topic: topicSchema,
  data: jsonValueSchema.optional(),
});

/** Fields shared by steps and error handlers. */
const stepFields = {
  name: z.string().regex(STEP_NAME, "must match ^[A-Za-z_][A-Za-z0-9_]{0,62}$ (letters, digits and _)"),
  agent: nonEmpty(100).optional().describe("Kind agent: the agent to call (GET /api/agents lists them); needs action."),
  action: nonEmpty(100).optional().describe("The agent's action."),
  input: jsonValueSchema.optional().describe("The action's input: any JSON, with templates."),
  http: httpSchema.optional().describe("Kind http: call a URL."),
  sleep: durationSchema.optional().describe("Kind sleep: a durable timer."),
  wait_for_event: waitForEventSchema.optional().describe("Kind wait_for_event: wait for a matching event."),
  emit: emitSchema.optional().describe("Kind emit: publish an event."),
  when: nonEmpty(10_000).optional().describe("A single template; the step is skipped when it renders false."),
  trigger_rule: z
    .enum(TRIGGER_RULES)
    .optional()
    .describe("When the step runs after its dependencies: all_success (default), all_done, one_success."),
  retry: retrySchema.optional(),
  timeout: durationSchema.optional().describe("Per attempt (default: the action's, else 30s)."),
};

const stepSchema = z.strictObject({
  ...stepFields,
  depends_on: z
    .union([z.string(), z.array(z.string()).max(200)], { error: "must be a step name or a list of step names" })
    .optional()
    .describe("The steps this one waits for."),
  for_each: nonEmpty(10_000)
    .optional()
    .describe("A single template rendering an array: the step runs once per element (item, index)."),
});

/** A handler's `name` is optional: normalize.ts derives one from `on_error` (nameHandlers). */
const errorHandlerSchema = z.strictObject({
  ...stepFields,
  name: stepFields.name.optional(),
  on_error: nonEmpty(100).describe('The step whose final failure runs this handler, or "*" for any step.'),
});

const triggerSchema = z
  .union(
    [
      z.literal("manual"),
      z.strictObject({
        event: topicSchema.optional().describe("Start a run for every event on this topic (input: the event's data)."),
        filter: nonEmpty(10_000)
          .optional()
          .describe("With event: a single template over `event`; the run starts only when it renders true."),
        cron: nonEmpty(200).optional().describe('Start a run on this cron schedule (UTC), e.g. "*/10 * * * *".'),
      }),
    ],
    { error: 'must be "manual", {event: <topic>} or {cron: <expression>}' },
  )
  .describe('What starts a run besides the API: "manual" (default), {event, filter?} or {cron}.');

export const definitionSchema = z.strictObject({
  name: z.string().regex(WORKFLOW_NAME, "must match ^[a-z][a-z0-9_-]{0,62}$ (lowercase letters, digits, _ and -)"),
  description: text(5_000).optional(),
  trigger: triggerSchema.optional(),
  concurrency: z
    .strictObject({ key: nonEmpty(1_000), limit: z.number().int("must be a whole number").min(1).max(10_000) })
    .optional()
    .describe("At most `limit` active runs share one rendered `key`; the others wait."),
  output: jsonValueSchema
    .optional()
    .describe("The run's output, any JSON with templates (default: the outputs of the last steps)."),
  steps: z.array(stepSchema).min(1, "must have at least one step").max(MAX_STEPS),
  error_handling: z
    .array(errorHandlerSchema)
    .max(50)
    .optional()
    .describe('Steps run when a step finally fails (on_error: <step> or "*").'),
});

export type RawDefinition = z.output<typeof definitionSchema>;
export type RawStep = z.output<typeof stepSchema>;
export type RawErrorHandler = z.output<typeof errorHandlerSchema>;
export type RawStepFields = Omit<RawStep, "depends_on" | "for_each">;
