/**
 * The language model the agents may write their copy with (Vercel AI SDK).
 *
 * Which model: Anthropic when ANTHROPIC_API_KEY is set, else OpenAI when OPENAI_API_KEY is
 * set, else none, and the agents keep their deterministic templates. LLM_MODEL overrides the
 * model id of the selected provider. Everything is read at call time, never at module scope
 * (serverless runtimes may inject the environment per request).
 *
 * A model is optional help, never a dependency: `writeCopy` falls back to the templates when
 * the call fails (network, refusal, an answer outside the schema, the timeout), so an action
 * answers the same way with or without one.
 */
import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, Output, type LanguageModel } from "ai";
import type { z } from "zod";
import { log } from "@/observability/log";

export type LanguageModelInstance = Exclude<LanguageModel, string>;
export type ModelProvider = "anthropic" | "openai";

/**
 * Small, fast models: the copy of one page or one campaign plan must come back well within
 * the action's 10 s timeout. LLM_MODEL picks another one.
 */
export const DEFAULT_MODEL_IDS: Readonly<Record<ModelProvider, string>> = {
  anthropic: "claude-haiku-4-5",
  openai: "gpt-4.1-mini",
};

export interface ModelSelection {
  /** "anthropic", "openai", or the injected model's own provider name in tests. */
  provider: string;
  modelId: string;
  model: LanguageModelInstance;
}

let modelForTests: LanguageModelInstance | undefined;

/** Replaces the model chosen from the environment (undefined restores the environment's choice). */
export function setLanguageModelForTests(model: LanguageModelInstance | undefined): void {
  modelForTests = model;
}

// Read directly rather than through readEnv(): an unrelated invalid variable must not stop an
// action that can always answer with its templates. Same rule as env.ts: blank means unset.
function setting(source: NodeJS.ProcessEnv, name: string): string | undefined {
  return source[name]?.trim() || undefined;
}

/** The model to write copy with, or null when none is configured. Makes no network call. */
export function selectLanguageModel(source: NodeJS.ProcessEnv = process.env): ModelSelection | null {
  if (modelForTests) return { provider: modelForTests.provider, modelId: modelForTests.modelId, model: modelForTests };
  const anthropicKey = setting(source, "ANTHROPIC_API_KEY");
  const openaiKey = setting(source, "OPENAI_API_KEY");
  const provider: ModelProvider | null = anthropicKey ? "anthropic" : openaiKey ? "openai" : null;
  if (provider === null) return null;
  const modelId = setting(source, "LLM_MODEL") ?? DEFAULT_MODEL_IDS[provider];
  const model =
    provider === "anthropic"
      ? createAnthropic({ apiKey: anthropicKey })(modelId)
      : createOpenAI({ apiKey: openaiKey })(modelId);
  return { provider, modelId, model };
}

/**
 * The budget of a model call made by an action with this timeout: four fifths of it, so the
 * fallback still answers in time when the model does not (10 s → 8 s).
 */
export function modelTimeoutFor(actionTimeoutMs: number): number {
  return Math.floor(actionTimeoutMs * 0.8);
}

/** "French" for "fr": the prompts name the language rather than give its code. */
export function languageName(code: string): string {
  return new Intl.DisplayNames(["en"], { type: "language" }).of(code) ?? code;
}

export interface CopyRequest<S extends z.ZodType> {
  /** The answer's shape; the SDK sends it as the structured-output schema and validates the answer. */
  schema: S;
  /** A name for the answer (some providers show it to the model). */
  name: string;
  instructions: string;
  prompt: string;
  maxOutputTokens: number;
}

export interface WriteCopyParams<S extends z.ZodType, T> {
  /** What is written, for the logs: "design-ia.generate_content". */
  task: string;
  /** The action's signal: the model call stops with the action. */
  signal: AbortSignal;
  /** Budget of the model call; below the action's timeout, so the templates can still answer. */
  timeoutMs: number;
  /** Built only when a model is configured. */
  request: () => CopyRequest<S>;
  /** The final value from the model's answer; throws when the answer cannot make one. */
  assemble: (answer: z.output<S>) => T;
  /** The deterministic value, used without a model and when the model fails. */
  fallback: () => T;
}

/**
 * The value written by the model when one is configured and its answer assembles, else the
 * fallback. Logs which of the two wrote it (info) and why the model's answer was not used (warn).
 *
 * @example
 * const content = await writeCopy({ task: "design-ia.generate_content", signal: ctx.signal, timeoutMs: 8_000,
 *   request: () => ({ schema, name: "page_copy", instructions, prompt, maxOutputTokens: 3_000 }),
 *   assemble: (answer) => pageContentSchema.parse({ ...answer, page, path, language }),
 *   fallback: () => generateContent(brief, page) });
 */
export async function writeCopy<S extends z.ZodType, T>(params: WriteCopyParams<S, T>): Promise<T> {
  const { task, signal, timeoutMs } = params;
  const selection = selectLanguageModel();
  if (!selection) {
    log.info("copy written", { task, writer: "templates", reason: "no model configured" });
    return params.fallback();
  }
  const { provider, modelId } = selection;
  const started = Date.now();
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const { schema, name, instructions, prompt, maxOutputTokens } = params.request();
    const { output } = await generateText({
      model: selection.model,
      output: Output.object({ schema, name }),
      instructions,
      prompt,
      maxOutputTokens,
      // OpenAI's strict mode refuses schemas with string lengths (minLength/maxLength), and our
      // limits are the point of the schema: sent non-strict, they still guide the model, and
      // the SDK validates the answer against the full schema either way. (The Anthropic
      // provider moves such limits into descriptions by itself.)
      providerOptions: { openai: { strictJsonSchema: false } },
      abortSignal: AbortSignal.any([signal, timeout]),
    });
    const value = params.assemble(output as z.output<S>);
    log.info("copy written", { task, writer: "model", provider, modelId, durationMs: Date.now() - started });
    return value;
  } catch (error) {
    // The error itself stays out of the log: provider errors carry the request (the brief)
    // and validation errors the model's text. Its kind and status say enough.
    log.warn("model copy failed, using the templates", {
      task,
      provider,
      modelId,
      durationMs: Date.now() - started,
      timedOut: timeout.aborted,
      cancelled: signal.aborted,
      error: describeModelError(error),
    });
    const value = params.fallback();
    log.info("copy written", { task, writer: "templates", reason: "model failed", provider, modelId });
    return value;
  }
}

/** An error's kind without its message or data: names, HTTP status, retry reason, schema issue paths. */
export function describeModelError(error: unknown, depth = 0): Record<string, unknown> {
  if (!(error instanceof Error)) return { name: typeof error };
  const { statusCode, reason, lastError, issues, cause } = error as Error & {
    statusCode?: unknown;
    reason?: unknown;
    lastError?: unknown;
    issues?: unknown;
  };
  const nested = depth < 3;
  return {
    name: error.name,
    ...(typeof statusCode === "number" && { statusCode }),
    ...(typeof reason === "string" && { reason }),
    ...(Array.isArray(issues) && { issues: issues.slice(0, 10).map(describeIssue) }),
    ...(nested && lastError !== undefined && { lastError: describeModelError(lastError, depth + 1) }),
    ...(nested && cause !== undefined && { cause: describeModelError(cause, depth + 1) }),
  };
}

function describeIssue(issue: unknown): unknown {
  if (typeof issue !== "object" || issue === null) return null;
  const { code, path } = issue as { code?: unknown; path?: unknown };
  return {
    code,
    path: Array.isArray(path) ? path.map((p: unknown) => (typeof p === "number" ? p : String(p))).join(".") : undefined,
  };
}
