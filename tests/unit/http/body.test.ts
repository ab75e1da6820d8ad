import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isJsonContentType, parseJsonText, readRawBody } from "@/http/body";
import { CodedError } from "@/errors";

const URL_ = "http://localhost/api/test";
const encoder = new TextEncoder();

/** A streamed request body without Content-Length, delivering `chunks` one read at a time. */
function streamedRequest(chunks: Uint8Array[]): { req: Request; pulled: () => number; cancelled: () => boolean } {
  let index = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const chunk = chunks[index++];
        if (chunk) controller.enqueue(chunk);
        else controller.close();
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  const req = new Request(URL_, { method: "POST", body, duplex: "half" } as RequestInit & { duplex: "half" });
  return { req, pulled: () => index, cancelled: () => cancelled };
}

/** An endless stream of `size`-byte chunks; only a reader that stops early can finish. */
function endlessRequest(size: number): { req: Request; pulled: () => number; cancelled: () => boolean } {
  let pulls = 0;
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        pulls++;
        controller.enqueue(new Uint8Array(size).fill(0x61));
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  const req = new Request(URL_, { method: "POST", body, duplex: "half" } as RequestInit & { duplex: "half" });
  return { req, pulled: () => pulls, cancelled: () => cancelled };
}

async function rejection(promise: Promise<unknown>): Promise<CodedError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(CodedError);
    return error as CodedError;
  }
  throw new Error("expected the promise to reject");
}

function thrownCodedError(fn: () => unknown): CodedError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodedError);
    return error as CodedError;
  }
  throw new Error("expected the function to throw");
}

describe("isJsonContentType", () => {
  it.each([
    "application/json",
    "application/json; charset=utf-8",
    "application/json;charset=UTF-8",
    "application/problem+json",
    "application/vnd.api+json",
    "Application/JSON",
    "APPLICATION/PROBLEM+JSON; charset=utf-8",
    "  application/json  ",
  ])("accepts %j", (header) => {
    expect(isJsonContentType(header)).toBe(true);
  });

  it.each([
    "text/plain",
    "text/json",
    "application/jsonx",
    "application/json-patch",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/+json",
    "",
  ])("rejects %j", (header) => {
    expect(isJsonContentType(header)).toBe(false);
  });

  it("rejects a missing header", () => {
    expect(isJsonContentType(null)).toBe(false);
  });
});

describe("readRawBody", () => {
  it("returns the body text", async () => {
    const req = new Request(URL_, { method: "POST", body: '{"a":1}' });
    expect(await readRawBody(req, 100)).toBe('{"a":1}');
  });

  it("returns an empty string for a request without a body", async () => {
    expect(await readRawBody(new Request(URL_, { method: "POST" }), 100)).toBe("");
  });

  it("rejects by Content-Length above the limit without reading the body", async () => {
    const { req, pulled } = streamedRequest([encoder.encode("tiny")]);
    req.headers.set("content-length", "101");
    const error = await rejection(readRawBody(req, 100));
    expect(error.code).toBe("payload_too_large");
    expect(error.status).toBe(413);
    expect(error.details).toEqual({ limitBytes: 100 });
    expect(error.message).toContain("100 bytes");
    expect(req.bodyUsed).toBe(false);
    expect(req.body?.locked).toBe(false);
    expect(pulled()).toBe(0);
  });

  it("does not trust a small Content-Length: a larger streamed body is still rejected", async () => {
    const { req } = streamedRequest([encoder.encode("x".repeat(60)), encoder.encode("x".repeat(60))]);
    req.headers.set("content-length", "10");
    expect((await rejection(readRawBody(req, 100))).code).toBe("payload_too_large");
  });

  it("rejects a streamed body without Content-Length once it passes the limit, and stops reading", async () => {
    const { req, pulled, cancelled } = endlessRequest(40);
    expect(req.headers.get("content-length")).toBeNull();
    const error = await rejection(readRawBody(req, 100));
    expect(error.code).toBe("payload_too_large");
    expect(error.status).toBe(413);
    // 40 + 40 + 40 = 120 > 100: the third chunk is the last one read.
    expect(pulled()).toBe(3);
    expect(cancelled()).toBe(true);
  });

  it("accepts a body of exactly `limit` bytes", async () => {
    const body = "x".repeat(100);
    expect(await readRawBody(new Request(URL_, { method: "POST", body }), 100)).toBe(body);
    const { req } = streamedRequest([encoder.encode("x".repeat(50)), encoder.encode("y".repeat(50))]);
    expect(await readRawBody(req, 100)).toBe("x".repeat(50) + "y".repeat(50));
  });

  it("rejects a body of `limit` + 1 bytes", async () => {
    const req = new Request(URL_, { method: "POST", body: "x".repeat(101) });
    expect((await rejection(readRawBody(req, 100))).code).toBe("payload_too_large");
  });

  it("counts bytes, not characters (multi-byte UTF-8)", async () => {
    // "é" is 2 bytes, "€" is 3, "😀" is 4 (and 2 UTF-16 units).
    expect(encoder.encode("éé")).toHaveLength(4);
    await expect(readRawBody(new Request(URL_, { method: "POST", body: "éa" }), 3)).resolves.toBe("éa");
    expect((await rejection(readRawBody(new Request(URL_, { method: "POST", body: "éé" }), 3))).code).toBe(
      "payload_too_large",
    );
    expect((await rejection(readRawBody(new Request(URL_, { method: "POST", body: "😀" }), 3))).code).toBe(
      "payload_too_large",
    );
    await expect(readRawBody(new Request(URL_, { method: "POST", body: "€😀" }), 7)).resolves.toBe("€😀");
  });

  it("decodes a multi-byte character split across chunks", async () => {
    const bytes = encoder.encode("a€b");
    const { req } = streamedRequest([bytes.slice(0, 2), bytes.slice(2, 3), bytes.slice(3)]);
    expect(await readRawBody(req, 100)).toBe("a€b");
  });

  it("returns exactly the bytes sent for arbitrary text under the limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "binary", maxLength: 50 }), async (text) => {
        const size = encoder.encode(text).byteLength;
        await expect(readRawBody(new Request(URL_, { method: "POST", body: text }), size)).resolves.toBe(text);
        if (size > 0) {
          const error = await rejection(readRawBody(new Request(URL_, { method: "POST", body: text }), size - 1));
          expect(error.code).toBe("payload_too_large");
        }
      }),
      { numRuns: 50 },
    );
  });
});

describe("parseJsonText", () => {
  const schema = z.object({
    name: z.string().min(1),
    count: z.number().int(),
    owner: z.object({ email: z.email() }),
  });

  it("returns the parsed, validated value", () => {
    const value = parseJsonText('{"name":"x","count":2,"owner":{"email":"a@example.com"},"extra":1}', schema);
    expect(value).toEqual({ name: "x", count: 2, owner: { email: "a@example.com" } });
  });

  it.each(["", "{", "{'a':1}", "undefined", '{"a":1,}', "NaN"])("throws invalid_json (400) for %j", (raw) => {
    const error = thrownCodedError(() => parseJsonText(raw, schema));
    expect(error.code).toBe("invalid_json");
    expect(error.status).toBe(400);
    expect(error.details).toEqual({ reason: expect.any(String) as unknown });
  });

  it("throws validation_failed (400) with details listing the path of each failure", () => {
    const error = thrownCodedError(() => parseJsonText('{"name":"","count":1.5,"owner":{"email":"nope"}}', schema));
    expect(error.code).toBe("validation_failed");
    expect(error.status).toBe(400);
    const details = error.details as { path: string; message: string }[];
    expect(details.map((d) => d.path).sort()).toEqual(["count", "name", "owner.email"]);
    for (const d of details) expect(d.message).toEqual(expect.any(String));
  });

  it("reports a missing field by its path", () => {
    const error = thrownCodedError(() => parseJsonText('{"name":"x","count":1}', schema));
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([{ path: "owner", message: expect.any(String) as unknown }]);
  });

  it("reports a wrong top-level type with an empty path", () => {
    const error = thrownCodedError(() => parseJsonText("[1,2]", schema));
    expect(error.code).toBe("validation_failed");
    expect(error.details).toEqual([{ path: "", message: expect.any(String) as unknown }]);
  });

  it("joins array indices into the path", () => {
    const list = z.object({ items: z.array(z.object({ id: z.string() })) });
    const error = thrownCodedError(() => parseJsonText('{"items":[{"id":"a"},{"id":2}]}', list));
    expect(error.details).toEqual([{ path: "items.1.id", message: expect.any(String) as unknown }]);
  });

  it("never throws anything but a 400 CodedError, whatever the input", () => {
    const inputs = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.string({ unit: "grapheme" }),
      fc.json(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ name: fc.anything(), count: fc.anything(), owner: fc.anything() }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(inputs, (raw) => {
        try {
          const value = parseJsonText(raw, schema);
          expect(schema.safeParse(value).success).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(CodedError);
          expect((error as CodedError).status).toBe(400);
          expect(["invalid_json", "validation_failed"]).toContain((error as CodedError).code);
        }
      }),
      { numRuns: 500 },
    );
  });
});
