/**
 * Workflow definitions: parsing and validation, templates, canonical forms. Pure code, no
 * database; the engine stores what parseDefinition returns and renders templates at run time.
 */
export { parseDefinition, type ParseDefinitionOptions } from "./validate";
export { DefinitionError, type DefinitionIssue } from "./errors";
export type {
  AgentStep,
  Backoff,
  EmitStep,
  ErrorHandler,
  HttpMethod,
  HttpStep,
  RetryPolicy,
  SleepStep,
  StepDefinition,
  StepKind,
  TriggerDefinition,
  TriggerRule,
  WaitForEventStep,
  WorkflowDefinition,
} from "./types";
export { DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, STEP_KINDS, TRIGGER_RULES, HTTP_METHODS } from "./types";
export type { JsonValue } from "./json";
export { DurationError, MAX_DURATION_MS, durationSchema, formatDuration, parseDuration } from "./duration";
export {
  ALL_STEPS,
  TemplateError,
  checkTemplates,
  evaluateExpression,
  isSingleTemplate,
  renderTemplates,
  templateReferences,
  type TemplateIssue,
  type TemplateScope,
} from "./templates";
export { isTruthy } from "./truthiness";
export {
  HttpHostError,
  assertHttpHostAllowed,
  classifyHost,
  isHostExplicitlyAllowed,
  type EnvSource,
  type HostRefusal,
} from "./hosts";
export { defaultOutputSteps, topologicalOrder } from "./graph";
export { canonicalJson, definitionHash, toYaml } from "./canonical";
export { loadWorkflowFiles, type WorkflowFile } from "./load-files";
