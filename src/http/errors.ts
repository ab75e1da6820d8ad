/**
 * The one error table. Every error that leaves the API is `{"error": {code, message, details?}}`
 * with the status this table gives its code. Services throw `ApiError` (or a typed error the
 * table knows); anything unknown becomes a generic 500 whose real cause is logged, not shown.
 */
import { ZodError } from "zod";
import { CodedError } from "@/errors";

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

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

export class ApiError extends Error {
  readonly status: number;
  readonly headers: Record<string, string> | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown; headers?: Record<string, string> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = ERROR_STATUS[code];
    this.headers = options?.headers;
  }
}

/** Error codes of node's network layer and SQLSTATEs that mean "the database is not reachable". */
const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "ETIMEDOUT",
  "ECONNRESET",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "57P01",
  "57P02",
  "57P03",
]);
const UNREACHABLE_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED|WebSocket/i;

/** Postgres errors caused by the input, not by us (a safety net behind zod validation). */
const SQLSTATE_TO_ERROR: Record<string, [ErrorCode, string]> = {
  "22P02": ["validation_failed", "A value has the wrong format."],
  "22001": ["validation_failed", "A value is too long."],
  "22003": ["validation_failed", "A number is out of range."],
  // A NUL character in text (22021) or `\u0000` in JSON (22P05): Postgres cannot store either.
  "22021": ["validation_failed", "A value holds a character that cannot be stored (a NUL character)."],
  "22P05": ["validation_failed", "A value holds a character that cannot be stored (a NUL character)."],
  "23505": ["conflict", "This resource already exists."],
  "23503": ["conflict", "This resource is referenced by, or refers to, another one."],
};

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 10) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

export function isDatabaseUnreachable(error: unknown): boolean {
  return causes(error).some((e) => {
    const code = codeOf(e);
    if (code && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) return true;
    return e instanceof Error && UNREACHABLE_MESSAGES.test(e.message) && !codeOf(e)?.match(/^[0-9A-Z]{5}$/);
  });
}

/** Maps any thrown value to an ApiError; `internal` tells the caller to log the original. */
export function toApiError(error: unknown): { apiError: ApiError; internal: boolean } {
  if (error instanceof ApiError) return { apiError: error, internal: false };
  if (error instanceof CodedError && error.code in ERROR_STATUS) {
    return { apiError: new ApiError(error.code, error.message, error.details), internal: false };
  }
  if (error instanceof ZodError) {
    const details = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    return { apiError: new ApiError("validation_failed", "The request is invalid.", details), internal: false };
  }
  if (isDatabaseUnreachable(error)) {
    return {
      apiError: new ApiError("database_unavailable", "The database is unreachable; try again shortly."),
      internal: true,
    };
  }
  for (const e of causes(error)) {
    const mapped = SQLSTATE_TO_ERROR[codeOf(e) ?? ""];
    if (mapped) return { apiError: new ApiError(mapped[0], mapped[1]), internal: false };
  }
  return { apiError: new ApiError("internal_error", "An unexpected error occurred."), internal: true };
}

export function errorResponse(error: ApiError): Response {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  return Response.json(body, { status: error.status, headers: error.headers });
}
