/**
 * Maps whatever a handler throws to the API's answer: `{"error": {code, message, details?}}` with
 * the status the one error table (src/errors.ts) gives its code, and the headers its error
 * carries. A typed error answers as it is, a ZodError is `validation_failed`, a database error is
 * classified by src/db/errors.ts; anything else becomes a generic 500 whose real cause is logged,
 * not shown.
 */
import { ZodError } from "zod";
import { classifyDatabaseError } from "@/db/errors";
import {
  CodedError,
  ERROR_STATUS,
  type ErrorCode,
  RateLimitedError,
  UnauthorizedError,
  ValidationError,
} from "@/errors";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** Maps any thrown value to a CodedError; `internal` tells the caller to log the original. */
export function toCodedError(error: unknown): { coded: CodedError; internal: boolean } {
  if (error instanceof CodedError && error.code in ERROR_STATUS) return { coded: error, internal: false };
  if (error instanceof ZodError) {
    const details = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    return { coded: new ValidationError("The request is invalid.", details), internal: false };
  }
  const database = classifyDatabaseError(error);
  if (database) return { coded: database.error, internal: database.unreachable };
  return { coded: new CodedError("internal_error", "An unexpected error occurred."), internal: true };
}

function headersOf(error: CodedError): Record<string, string> | undefined {
  if (error instanceof RateLimitedError) return { "Retry-After": String(error.retryAfterSeconds) };
  if (error instanceof UnauthorizedError && error.challenge) return { "WWW-Authenticate": error.challenge };
  return undefined;
}

export function errorResponse(error: CodedError): Response {
  const body: ErrorBody = { error: { code: error.code, message: error.message } };
  if (error.details !== undefined) body.error.details = error.details;
  return Response.json(body, { status: error.status, headers: headersOf(error) });
}
