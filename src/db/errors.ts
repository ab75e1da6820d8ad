/**
 * What a database error means, decided here and only here, with one walk down its causes:
 * Drizzle wraps the driver's error (node-postgres, PGlite, Neon) in `cause`, and callers may
 * wrap it again. The HTTP mapping asks `classifyDatabaseError`; code that reacts to one
 * SQLSTATE itself (a unique violation, a deadlock victim) asks `hasSqlState`.
 */
import { CodedError, ConflictError, ValidationError } from "@/errors";

/** The SQLSTATEs code below the HTTP layer reacts to by name. */
export const SQLSTATE = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  deadlockDetected: "40P01",
  serializationFailure: "40001",
} as const;

/** Deep enough for any wrapping seen; the bound also ends a cyclic chain. */
const MAX_CHAIN = 10;

/** The error and its causes, outermost first. */
export function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < MAX_CHAIN) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** A driver error's `code`: a SQLSTATE from Postgres, or a network code from node (`ECONNREFUSED`). */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** Whether the error, or one of its causes, carries one of these SQLSTATEs. */
export function hasSqlState(error: unknown, ...states: string[]): boolean {
  return causeChain(error).some((e) => {
    const code = codeOf(e);
    return code !== undefined && states.includes(code);
  });
}

/** Node's network error codes and the SQLSTATEs (besides class 08) that mean "the database is not reachable". */
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

export function isDatabaseUnreachable(error: unknown): boolean {
  return causeChain(error).some((e) => {
    const code = codeOf(e);
    if (code && (UNREACHABLE_CODES.has(code) || code.startsWith("08"))) return true;
    return e instanceof Error && UNREACHABLE_MESSAGES.test(e.message) && !codeOf(e)?.match(/^[0-9A-Z]{5}$/);
  });
}

const NUL_REFUSED = "A value holds a character that cannot be stored (a NUL character).";

/** Postgres errors caused by the input, not by us (a safety net behind zod validation). */
const REFUSED_INPUT = new Map<string, () => CodedError>([
  ["22P02", () => new ValidationError("A value has the wrong format.")],
  ["22001", () => new ValidationError("A value is too long.")],
  ["22003", () => new ValidationError("A number is out of range.")],
  // A NUL character in text (22021) or `\u0000` in JSON (22P05): Postgres cannot store either.
  ["22021", () => new ValidationError(NUL_REFUSED)],
  ["22P05", () => new ValidationError(NUL_REFUSED)],
  [SQLSTATE.uniqueViolation, () => new ConflictError("This resource already exists.")],
  [SQLSTATE.foreignKeyViolation, () => new ConflictError("This resource is referenced by, or refers to, another one.")],
]);

/** The database could not be reached: the request may succeed shortly. */
export class DatabaseUnavailableError extends CodedError {
  constructor() {
    super("database_unavailable", "The database is unreachable; try again shortly.");
  }
}

/**
 * The answer a database error deserves: an unreachable database is `database_unavailable`
 * (503; `unreachable` tells the caller to log the original), input Postgres refused is a 400 or
 * a 409 with a message that quotes nothing of it; any other error is not classified (undefined).
 */
export function classifyDatabaseError(error: unknown): { error: CodedError; unreachable: boolean } | undefined {
  if (isDatabaseUnreachable(error)) {
    return { error: new DatabaseUnavailableError(), unreachable: true };
  }
  for (const e of causeChain(error)) {
    const refused = REFUSED_INPUT.get(codeOf(e) ?? "");
    if (refused) return { error: refused(), unreachable: false };
  }
  return undefined;
}
