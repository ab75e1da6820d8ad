/**
 * The one error table, and the typed errors that carry its codes. Every code the API can answer
 * is here with its HTTP status, as data; services anywhere below the HTTP layer throw these
 * errors ("not found", "conflict", "rate limited") without knowing about HTTP, and callers read
 * fields, never messages. The HTTP layer only turns a thrown error into the JSON answer.
 */

export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  invalid_definition: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  unprocessable: 422,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal_error: 500,
  not_configured: 503,
  database_unavailable: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error the API answers with its code's status, its message and (when given) its details. */
export class CodedError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.status = ERROR_STATUS[code];
  }
}

/** The request is malformed in a way no schema describes (a missing header, a wrong combination). */
export class BadRequestError extends CodedError {
  constructor(message: string, details?: unknown) {
    super("bad_request", message, details);
  }
}

/** The input breaks its schema; `details` lists the problems (`{path, message}`). */
export class ValidationError extends CodedError {
  constructor(message: string, details?: unknown) {
    super("validation_failed", message, details);
  }
}

/**
 * The caller is not authenticated. `challenge` names the credential expected (the value of
 * `WWW-Authenticate`, e.g. `Bearer realm="api"`) where the caller can present one.
 */
export class UnauthorizedError extends CodedError {
  readonly challenge: string | undefined;

  constructor(message: string, options?: { challenge?: string }) {
    super("unauthorized", message);
    this.challenge = options?.challenge;
  }
}

export class ForbiddenError extends CodedError {
  constructor(message: string, details?: unknown) {
    super("forbidden", message, details);
  }
}

export class NotFoundError extends CodedError {
  constructor(message: string, details?: unknown) {
    super("not_found", message, details);
  }
}

export class ConflictError extends CodedError {
  constructor(message: string, details?: unknown) {
    super("conflict", message, details);
  }
}

/** Too many requests: the caller may try again after `retryAfterSeconds` (sent as `Retry-After`). */
export class RateLimitedError extends CodedError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("rate_limited", message);
  }
}

/** A service the request needs is not configured here (a missing secret, an unregistered workflow). */
export class NotConfiguredError extends CodedError {
  constructor(message: string) {
    super("not_configured", message);
  }
}
