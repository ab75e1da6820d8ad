import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { getSecret } from "@/env";
import { log, redact } from "@/observability/log";

const CRON = "cron-secret-0123456789abcdef";
const ADMIN = "admin-key-fedcba9876543210";
const API_KEY = "aok_" + "Ab3_-".repeat(8) + "xyz"; // aok_ + 43 base64url characters
const REDACTED = "[redacted]";

const ENV_NAMES = ["CRON_SECRET", "ADMIN_API_KEY", "LOG_LEVEL"] as const;
let saved: Record<string, string | undefined> = {};

beforeEach(() => {
  saved = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
  process.env.CRON_SECRET = CRON;
  process.env.ADMIN_API_KEY = ADMIN;
});

afterEach(() => {
  for (const name of ENV_NAMES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
  vi.restoreAllMocks();
});

describe("redact", () => {
  it("replaces configured secret values anywhere inside strings", () => {
    expect(redact(`Bearer ${ADMIN}`)).toBe(`Bearer ${REDACTED}`);
    expect(redact(`url=https://x/cron?s=${CRON}&again=${CRON}`)).toBe(
      `url=https://x/cron?s=${REDACTED}&again=${REDACTED}`,
    );
  });

  it("replaces secret values in nested objects and arrays", () => {
    const out = redact({ request: { headers: [`x-cron: ${CRON}`], note: `admin ${ADMIN} used` }, level: 2 });
    expect(out).toEqual({ request: { headers: [`x-cron: ${REDACTED}`], note: `admin ${REDACTED} used` }, level: 2 });
    expect(JSON.stringify(out)).not.toContain(CRON);
    expect(JSON.stringify(out)).not.toContain(ADMIN);
  });

  it("replaces generated development secrets too", () => {
    const session = getSecret("SESSION_SECRET");
    expect(session.length).toBeGreaterThanOrEqual(8);
    expect(redact({ msg: `cookie value ${session}` })).toEqual({ msg: `cookie value ${REDACTED}` });
  });

  it("stops redacting a secret once it is no longer configured", () => {
    delete process.env.ADMIN_API_KEY;
    expect(redact(`key ${ADMIN}`)).toBe(`key ${ADMIN}`);
  });

  it("replaces anything shaped like an API key, even one it does not know", () => {
    expect(API_KEY).toMatch(/^aok_[A-Za-z0-9_-]{43}$/);
    expect(redact(`got ${API_KEY}.`)).toBe(`got ${REDACTED}.`);
    expect(redact({ list: [API_KEY, "other"] })).toEqual({ list: [REDACTED, "other"] });
  });

  it.each([
    "authorization",
    "Authorization",
    "cookie",
    "set-cookie",
    "password",
    "token",
    "accessToken",
    "secret",
    "clientSecret",
    "apiKey",
    "api_key",
    "x-api-key",
  ])("replaces the value of a field named %s", (field) => {
    const out = redact({ [field]: "plain-value", nested: { [field]: { deep: "x" } } });
    expect(out).toEqual({ [field]: REDACTED, nested: { [field]: REDACTED } });
  });

  it("keeps null and undefined values of credential fields as they are", () => {
    expect(redact({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it("leaves ordinary fields and values alone", () => {
    const value = {
      msg: "request done",
      method: "POST",
      path: "/api/runs/run_123",
      status: 201,
      durationMs: 12.5,
      ok: true,
      missing: null,
      tags: ["a", "b"],
      user: { id: "usr_1", email: "a@example.com" },
      shortPrefix: "aok_short",
    };
    expect(redact(value)).toEqual(value);
  });

  it("does not modify its input", () => {
    const input = { token: "t", text: `k=${CRON}` };
    redact(input);
    expect(input).toEqual({ token: "t", text: `k=${CRON}` });
  });

  it("turns an Error into name/message/code/stack with the secrets redacted", () => {
    const error = Object.assign(new Error(`login failed for ${ADMIN} with ${API_KEY}`), { code: "E_AUTH" });
    const out = redact(error) as Record<string, unknown>;
    expect(out.name).toBe("Error");
    expect(out.message).toBe(`login failed for ${REDACTED} with ${REDACTED}`);
    expect(out.code).toBe("E_AUTH");
    expect(typeof out.stack).toBe("string");
    expect(JSON.stringify(out)).not.toContain(ADMIN);
    expect(JSON.stringify(out)).not.toContain(API_KEY);
  });

  it("redacts an Error nested in fields", () => {
    const out = redact({ err: new TypeError(`bad ${CRON}`) }) as { err: Record<string, unknown> };
    expect(out.err.name).toBe("TypeError");
    expect(out.err.message).toBe(`bad ${REDACTED}`);
  });

  it("uses an explicit list of secrets when given one", () => {
    expect(redact("a custom-secret-value b", ["custom-secret-value"])).toBe(`a ${REDACTED} b`);
    expect(redact(`a ${CRON} b`, [])).toBe(`a ${CRON} b`);
  });
});

describe("log", () => {
  function spyStreams() {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const lines = (spy: typeof out) => spy.mock.calls.map((call) => String(call[0]));
    return { out, err, stdout: () => lines(out), stderr: () => lines(err) };
  }

  it("log.info writes one redacted JSON line to stdout", () => {
    process.env.LOG_LEVEL = "info";
    const streams = spyStreams();
    log.info("key created", { keyId: "key_1", apiKey: API_KEY, note: `by ${ADMIN}`, count: 3 });
    expect(streams.stderr()).toEqual([]);
    expect(streams.stdout()).toHaveLength(1);
    const line = streams.stdout()[0] ?? "";
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(line).not.toContain(API_KEY);
    expect(line).not.toContain(ADMIN);
    const entry = JSON.parse(line) as Record<string, unknown>;
    expect(entry).toMatchObject({
      level: "info",
      msg: "key created",
      keyId: "key_1",
      apiKey: REDACTED,
      note: `by ${REDACTED}`,
      count: 3,
    });
    expect(new Date(entry.time as string).toISOString()).toBe(entry.time);
  });

  it("log.error writes one redacted JSON line to stderr", () => {
    process.env.LOG_LEVEL = "info";
    const streams = spyStreams();
    log.error("cron failed", { error: new Error(`secret ${CRON} rejected`), authorization: `Bearer ${ADMIN}` });
    expect(streams.stdout()).toEqual([]);
    expect(streams.stderr()).toHaveLength(1);
    const line = streams.stderr()[0] ?? "";
    expect(line).not.toContain(CRON);
    expect(line).not.toContain(ADMIN);
    const entry = JSON.parse(line) as { level: string; msg: string; authorization: string; error: { message: string } };
    expect(entry.level).toBe("error");
    expect(entry.msg).toBe("cron failed");
    expect(entry.authorization).toBe(REDACTED);
    expect(entry.error.message).toBe(`secret ${REDACTED} rejected`);
  });

  it("redacts secrets in the message itself", () => {
    process.env.LOG_LEVEL = "info";
    const streams = spyStreams();
    log.info(`calling with ${CRON}`);
    expect((JSON.parse(streams.stdout()[0] ?? "{}") as { msg: string }).msg).toBe(`calling with ${REDACTED}`);
  });

  it("log.warn goes to stderr", () => {
    process.env.LOG_LEVEL = "warn";
    const streams = spyStreams();
    log.warn("slow query");
    expect(streams.stdout()).toEqual([]);
    expect(streams.stderr()).toHaveLength(1);
    expect(JSON.parse(streams.stderr()[0] ?? "{}")).toMatchObject({ level: "warn", msg: "slow query" });
  });

  it("writes nothing below LOG_LEVEL=error except errors", () => {
    process.env.LOG_LEVEL = "error";
    const streams = spyStreams();
    log.debug("d");
    log.info("i");
    log.warn("w");
    expect(streams.stdout()).toEqual([]);
    expect(streams.stderr()).toEqual([]);
    log.error("e");
    expect(streams.stderr()).toHaveLength(1);
  });

  it("writes debug lines only at LOG_LEVEL=debug", () => {
    process.env.LOG_LEVEL = "info";
    const streams = spyStreams();
    log.debug("hidden");
    expect(streams.stdout()).toEqual([]);
    process.env.LOG_LEVEL = "debug";
    log.debug("shown");
    expect(streams.stdout()).toHaveLength(1);
    expect(JSON.parse(streams.stdout()[0] ?? "{}")).toMatchObject({ level: "debug", msg: "shown" });
  });

  it("writes nothing at all at LOG_LEVEL=silent", () => {
    process.env.LOG_LEVEL = "silent";
    const streams = spyStreams();
    log.info("i");
    log.error("e");
    expect(streams.stdout()).toEqual([]);
    expect(streams.stderr()).toEqual([]);
  });

  it("falls back to info when LOG_LEVEL is invalid", () => {
    process.env.LOG_LEVEL = "loud";
    const streams = spyStreams();
    log.debug("hidden");
    log.info("shown");
    expect(streams.stdout()).toHaveLength(1);
    expect(JSON.parse(streams.stdout()[0] ?? "{}")).toMatchObject({ msg: "shown" });
  });
});

describe("redact, at the edges", () => {
  it("never returns a deeply nested object unredacted", () => {
    const deep = {
      a: { b: { c: { d: { e: { f: { g: { password: "hunter2-password", k: "aok_" + "x".repeat(43) } } } } } } },
    };
    expect(JSON.stringify(redact(deep))).not.toMatch(/hunter2-password|aok_x{43}/);
  });

  it("survives an object that refers to itself", () => {
    const loop: Record<string, unknown> = { name: "loop" };
    loop.self = loop;
    expect(() => JSON.stringify(redact(loop))).not.toThrow();
  });

  it("logs dates as ISO strings and keeps token counts", () => {
    const out = redact({ at: new Date("2026-01-02T03:04:05.000Z"), promptTokens: 12, accessToken: "abc" }) as Record<
      string,
      unknown
    >;
    expect(out).toEqual({ at: "2026-01-02T03:04:05.000Z", promptTokens: 12, accessToken: "[redacted]" });
  });
});

describe("redact: secrets derived from the configuration's names (issue 15)", () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("redacts DATABASE_URL, its password alone, and the SUPPLIER_* credentials", () => {
    vi.stubEnv("DATABASE_URL", "postgres://app:pg-pass-Z9x8c7v6@db.internal:5432/orchestrator");
    vi.stubEnv("SUPPLIER_APP_KEY", "supplier-app-key-123456");
    vi.stubEnv("SUPPLIER_APP_SECRET", "supplier-app-secret-654321");
    vi.stubEnv("SUPPLIER_ACCESS_TOKEN", "supplier-access-token-abcdef");
    const line = redact(
      "connect postgres://app:pg-pass-Z9x8c7v6@db.internal:5432/orchestrator failed (pg-pass-Z9x8c7v6); supplier supplier-app-key-123456 supplier-app-secret-654321 supplier-access-token-abcdef",
    ) as string;
    for (const secret of [
      "pg-pass-Z9x8c7v6",
      "supplier-app-key-123456",
      "supplier-app-secret-654321",
      "supplier-access-token-abcdef",
    ])
      expect(line).not.toContain(secret);
    expect(line).toContain(REDACTED);
  });

  it("redacts any variable whose name says KEY, SECRET, TOKEN or PASSWORD, and webhook URLs", () => {
    vi.stubEnv("ENCRYPTION_KEYS", "1:c2VjcmV0LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzISE=");
    vi.stubEnv("BLOB_READ_WRITE_TOKEN", "vercel_blob_rw_abcdefgh12345678");
    vi.stubEnv("SLACK_WEBHOOK_URL", "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX");
    vi.stubEnv("SMTP_URL", "smtps://mailer:smtp-pass-q1w2e3r4@smtp.example.com:465");
    const line = redact(
      "1:c2VjcmV0LWVuY3J5cHRpb24ta2V5LTMyLWJ5dGVzISE= vercel_blob_rw_abcdefgh12345678 https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXX smtp-pass-q1w2e3r4",
    ) as string;
    expect(line).toBe([REDACTED, REDACTED, REDACTED, REDACTED].join(" "));
  });

  it("keeps endpoints without credentials readable (PUBLIC_BASE_URL, GOOGLE_OAUTH_TOKEN_URL)", () => {
    vi.stubEnv("PUBLIC_BASE_URL", "https://orchestrator.example.com");
    vi.stubEnv("GOOGLE_OAUTH_TOKEN_URL", "https://oauth2.googleapis.com/token");
    expect(redact("calling https://orchestrator.example.com and https://oauth2.googleapis.com/token")).toBe(
      "calling https://orchestrator.example.com and https://oauth2.googleapis.com/token",
    );
  });
});
