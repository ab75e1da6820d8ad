/**
 * How a step attempt fails. Throwing `NonRetryableError` fails the step at once; anything else
 * thrown (including `RetryableError`) is retried per the step's retry policy. This vocabulary
 * lives below the engine because the clients a step calls (the supplier's, the agents'
 * transports) classify their failures in it without depending on the engine.
 */
export class RetryableError extends Error {
  readonly retryable = true as const;
  constructor(
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "RetryableError";
  }
}

export class NonRetryableError extends Error {
  readonly retryable = false as const;
  constructor(
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "NonRetryableError";
  }
}

export class StepTimeoutError extends RetryableError {
  constructor(timeoutMs: number) {
    super(`The attempt timed out after ${timeoutMs} ms.`);
    this.name = "StepTimeoutError";
  }
}

export interface StepErrorInfo {
  name: string;
  message: string;
  details?: unknown;
}

export function describeStepError(error: unknown): { info: StepErrorInfo; retryable: boolean } {
  if (error instanceof NonRetryableError || error instanceof RetryableError) {
    return { info: { name: error.name, message: error.message, details: error.details }, retryable: error.retryable };
  }
  if (error instanceof Error) {
    const retryable = (error as { retryable?: unknown }).retryable !== false;
    return { info: { name: error.name, message: error.message }, retryable };
  }
  return { info: { name: "Error", message: String(error) }, retryable: true };
}
