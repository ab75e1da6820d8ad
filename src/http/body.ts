/**
 * Request bodies: size limit (413), content type (415), JSON syntax (400) and schema (400),
 * in that order. The body is read as a stream and abandoned as soon as it passes the limit
 * (src/util/read-limited.ts).
 */
import type { z } from "zod";
import { readEnv } from "@/env";
import { readLimitedText } from "@/util/read-limited";
import { CodedError, ValidationError } from "@/errors";

export function maxBodyBytes(): number {
  return readEnv().MAX_BODY_BYTES;
}

/** Reads a request body as text, refused with 413 past `limit` bytes. */
export async function readRawBody(req: Pick<Request, "headers" | "body">, limit = maxBodyBytes()): Promise<string> {
  const text = await readLimitedText(req, limit);
  if (text === null)
    throw new CodedError("payload_too_large", `The request body is larger than ${limit} bytes.`, { limitBytes: limit });
  return text;
}

export function isJsonContentType(header: string | null): boolean {
  if (!header) return false;
  const type = header.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

export function assertJsonContentType(req: Request): void {
  if (!isJsonContentType(req.headers.get("content-type"))) {
    throw new CodedError("unsupported_media_type", "The request body must be JSON (Content-Type: application/json).", {
      received: req.headers.get("content-type"),
    });
  }
}

/** The request's media type when it is one of `types`; 415 otherwise. */
export function assertContentType(req: Request, types: readonly string[]): string {
  const type = req.headers.get("content-type")?.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!types.includes(type)) {
    throw new CodedError("unsupported_media_type", `The request body must be one of: ${types.join(", ")}.`, {
      received: req.headers.get("content-type"),
    });
  }
  return type;
}

export function parseJsonText<S extends z.ZodType>(raw: string, schema: S): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new CodedError("invalid_json", "The request body is not valid JSON.", {
      reason: error instanceof Error ? error.message : String(error),
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new ValidationError("The request body is invalid.", details);
  }
  return parsed.data;
}

export function parseQuery<S extends z.ZodType>(url: URL, schema: S): z.output<S> {
  const parsed = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!parsed.success) {
    const details = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    throw new ValidationError("The query string is invalid.", details);
  }
  return parsed.data;
}
