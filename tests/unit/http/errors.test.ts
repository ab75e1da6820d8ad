import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CodedError, ERROR_STATUS, type ErrorCode, RateLimitedError, UnauthorizedError } from "@/errors";
import { errorResponse, toCodedError } from "@/http/errors";

/** An error as node-postgres / PGlite / Neon raise it: a message plus a string `code`. */
function driverError(code: string, message = `driver failure ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** The way Drizzle reports a failed query: its own error, with the driver's as `cause`. */
function drizzleWrapped(cause: unknown): Error {
  return new Error('Failed query: insert into "keys" ("id") values ($1)\nparams: 1', { cause });
}

describe("toCodedError", () => {
  it("returns a CodedError unchanged and not internal", () => {
    const original = new CodedError("not_found", "No such run.", { id: "run_1" });
    const { coded, internal } = toCodedError(original);
    expect(coded).toBe(original);
    expect(internal).toBe(false);
  });

  it("maps a ZodError to validation_failed (400) with a path and message per issue", () => {
    const parsed = z.object({ name: z.string(), tags: z.array(z.string()) }).safeParse({ name: 1, tags: ["a", 2] });
    expect(parsed.success).toBe(false);
    const { coded, internal } = toCodedError(parsed.error);
    expect(internal).toBe(false);
    expect(coded.code).toBe("validation_failed");
    expect(coded.status).toBe(400);
    expect(coded.details).toEqual([
      { path: "name", message: expect.any(String) as unknown },
      { path: "tags.1", message: expect.any(String) as unknown },
    ]);
  });

  it.each(["ECONNREFUSED", "ENOTFOUND", "ETIMEDOUT", "ECONNRESET", "08006", "08001", "57P01", "57P03"])(
    "maps a driver error with code %s to database_unavailable (503, internal)",
    (code) => {
      const { coded, internal } = toCodedError(driverError(code));
      expect(coded.code).toBe("database_unavailable");
      expect(coded.status).toBe(503);
      expect(internal).toBe(true);
    },
  );

  it.each(["ECONNREFUSED", "08006", "57P01"])(
    "finds code %s when Drizzle wraps the driver error in `cause`",
    (code) => {
      const { coded, internal } = toCodedError(drizzleWrapped(driverError(code)));
      expect(coded.code).toBe("database_unavailable");
      expect(coded.status).toBe(503);
      expect(internal).toBe(true);
    },
  );

  it("finds the code several causes deep", () => {
    const error = new Error("outer", { cause: drizzleWrapped(driverError("ECONNREFUSED")) });
    expect(toCodedError(error).coded.code).toBe("database_unavailable");
  });

  it("recognises a connection failure by its message when the driver gives no code", () => {
    const error = drizzleWrapped(new Error("Connection terminated unexpectedly"));
    expect(toCodedError(error).coded.code).toBe("database_unavailable");
  });

  it("does not leak the driver's message into the database_unavailable response", () => {
    const { coded } = toCodedError(drizzleWrapped(driverError("ECONNREFUSED", "connect ECONNREFUSED 10.0.0.7:5432")));
    expect(coded.message).not.toContain("10.0.0.7");
    expect(coded.details).toBeUndefined();
  });

  it("maps SQLSTATE 23505 (unique violation) to conflict (409), also when wrapped", () => {
    for (const error of [driverError("23505"), drizzleWrapped(driverError("23505"))]) {
      const { coded, internal } = toCodedError(error);
      expect(coded.code).toBe("conflict");
      expect(coded.status).toBe(409);
      expect(internal).toBe(false);
    }
  });

  it("maps SQLSTATE 22P02 (invalid text representation) to validation_failed (400), also when wrapped", () => {
    for (const error of [driverError("22P02"), drizzleWrapped(driverError("22P02"))]) {
      const { coded, internal } = toCodedError(error);
      expect(coded.code).toBe("validation_failed");
      expect(coded.status).toBe(400);
      expect(internal).toBe(false);
    }
  });

  it("does not treat a constraint violation as the database being down", () => {
    const error = drizzleWrapped(driverError("23505", 'duplicate key value violates unique constraint "keys_pkey"'));
    expect(toCodedError(error).coded.code).not.toBe("database_unavailable");
  });

  it.each([
    ["a plain Error", new Error("secret internals: password=hunter2")],
    ["a TypeError", new TypeError("Cannot read properties of undefined (reading 'hunter2')")],
    ["an unknown SQLSTATE", drizzleWrapped(driverError("42P01", 'relation "hunter2" does not exist'))],
    ["a thrown string", "hunter2"],
    ["null", null],
    ["undefined", undefined],
    ["a plain object", { message: "hunter2", code: 42 }],
  ])("maps %s to internal_error (500) with a generic message", (_label, error) => {
    const { coded, internal } = toCodedError(error);
    expect(coded.code).toBe("internal_error");
    expect(coded.status).toBe(500);
    expect(internal).toBe(true);
    expect(coded.message).not.toContain("hunter2");
    expect(coded.details).toBeUndefined();
    expect(coded.message.length).toBeGreaterThan(0);
  });

  it("terminates on a cyclic cause chain", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    (a as { cause?: unknown }).cause = b;
    expect(toCodedError(a).coded.code).toBe("internal_error");
  });
});

describe("errorResponse", () => {
  it("returns {error: {code, message, details}} with the table's status and a JSON content type", async () => {
    const response = errorResponse(
      new CodedError("validation_failed", "The request body is invalid.", [{ path: "a", message: "bad" }]),
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({
      error: {
        code: "validation_failed",
        message: "The request body is invalid.",
        details: [{ path: "a", message: "bad" }],
      },
    });
  });

  it("omits details when there are none", async () => {
    const response = errorResponse(new CodedError("not_found", "No such run."));
    const body = (await response.json()) as { error: Record<string, unknown> };
    expect(body).toEqual({ error: { code: "not_found", message: "No such run." } });
    expect("details" in body.error).toBe(false);
  });

  it("keeps falsy details such as null, 0 and an empty list", async () => {
    for (const details of [null, 0, [], ""]) {
      const body = (await errorResponse(new CodedError("bad_request", "x", details)).json()) as {
        error: { details?: unknown };
      };
      expect(body.error.details).toEqual(details);
    }
  });

  it.each(Object.entries(ERROR_STATUS) as [ErrorCode, number][])("answers %s with status %i", async (code, status) => {
    const response = errorResponse(new CodedError(code, `message for ${code}`));
    expect(response.status).toBe(status);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(code);
  });

  it("sends the headers an error's fields call for: Retry-After of a RateLimitedError", () => {
    const response = errorResponse(new RateLimitedError("Slow down.", 30));
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
  });

  it("sends WWW-Authenticate only for an UnauthorizedError with a challenge", () => {
    const challenged = errorResponse(new UnauthorizedError("Who are you?", { challenge: 'Bearer realm="api"' }));
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get("www-authenticate")).toBe('Bearer realm="api"');
    expect(errorResponse(new UnauthorizedError("Bad signature.")).headers.has("www-authenticate")).toBe(false);
  });

  it("turns an unknown error into a 500 body that does not reveal it", async () => {
    const response = errorResponse(toCodedError(new Error("disk full at /var/lib/secret")).coded);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain("/var/lib/secret");
    expect(JSON.parse(text)).toEqual({ error: { code: "internal_error", message: expect.any(String) as unknown } });
  });
});
