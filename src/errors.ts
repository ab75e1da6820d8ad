/**
 * Domain errors carry a code from the one error table (src/http/errors.ts), so services below
 * the HTTP layer can say "not found" or "conflict" without knowing about HTTP, and callers
 * read fields, never messages.
 */
import type { ErrorCode } from "@/http/errors";

export class CodedError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
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
