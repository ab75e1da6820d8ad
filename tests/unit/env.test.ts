import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { chooseDriver } from "@/db/client";
import {
  ConfigError,
  GENERATED_SECRETS,
  REQUIRED_IN_PRODUCTION,
  assertProductionConfig,
  deploymentKind,
  getSecret,
  isProduction,
  publicBaseUrl,
  readEnv,
} from "@/env";

/** A configuration source (Next's types make NODE_ENV required on ProcessEnv). */
function src(values: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return values as NodeJS.ProcessEnv;
}

/** A fresh, empty DATA_DIR for one test, so generated secrets never leak between tests. */
function freshDataDir(): string {
  return mkdtempSync(path.join(tmpdir(), "orchestrator-env-test-"));
}

/** A complete production configuration; tests remove one variable at a time. */
function fullProductionSource(): NodeJS.ProcessEnv {
  return src({
    VERCEL: "1",
    DATABASE_URL: "postgres://u:p@db.example.com:5432/app",
    ADMIN_API_KEY: "admin-key-value",
    CRON_SECRET: "cron-secret-value",
    INTER_AGENT_SECRET: "inter-agent-secret-value",
    SESSION_SECRET: "session-secret-value",
    ENCRYPTION_KEYS: `1:${Buffer.alloc(32, 7).toString("base64")}`,
  });
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the function to throw");
}

describe("isProduction", () => {
  it("is false with neither VERCEL nor APP_ENV set", () => {
    expect(isProduction(src({}))).toBe(false);
  });

  it("is true when VERCEL is set to any non-empty value", () => {
    expect(isProduction(src({ VERCEL: "1" }))).toBe(true);
    expect(isProduction(src({ VERCEL: "true" }))).toBe(true);
  });

  it("treats a blank VERCEL as unset", () => {
    expect(isProduction(src({ VERCEL: "" }))).toBe(false);
    expect(isProduction(src({ VERCEL: "   " }))).toBe(false);
  });

  it("is true when APP_ENV is production, and only then", () => {
    expect(isProduction(src({ APP_ENV: "production" }))).toBe(true);
    expect(isProduction(src({ APP_ENV: " production " }))).toBe(true);
    expect(isProduction(src({ APP_ENV: "staging" }))).toBe(false);
    expect(isProduction(src({ APP_ENV: "development" }))).toBe(false);
  });

  it("does not treat NODE_ENV=production as production (next start sets it locally)", () => {
    expect(isProduction(src({ NODE_ENV: "production" }))).toBe(false);
  });
});

describe("assertProductionConfig", () => {
  it("names every missing required variable in one ConfigError", () => {
    const error = thrown(() =>
      assertProductionConfig(src({ VERCEL: "1", DATABASE_URL: "postgres://x", ADMIN_API_KEY: "k" })),
    );
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of GENERATED_SECRETS) expect(message).toContain(name);
    expect(message).not.toContain("DATABASE_URL");
    expect(message).not.toContain("ADMIN_API_KEY");
    expect((error as ConfigError).code).toBe("config_error");
  });

  it.each(REQUIRED_IN_PRODUCTION)("fails naming %s when only that variable is missing", (name) => {
    const source = fullProductionSource();
    delete source[name];
    const error = thrown(() => assertProductionConfig(source));
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toContain(name);
    for (const other of REQUIRED_IN_PRODUCTION) if (other !== name) expect(message).not.toContain(other);
  });

  it("treats a blank value as missing", () => {
    const source = { ...fullProductionSource(), CRON_SECRET: "   " };
    expect(() => assertProductionConfig(source)).toThrow(/CRON_SECRET/);
  });

  it("passes when every required variable is set (VERCEL)", () => {
    expect(() => assertProductionConfig(fullProductionSource())).not.toThrow();
  });

  it("passes when every required variable is set (APP_ENV=production)", () => {
    const source = fullProductionSource();
    delete source.VERCEL;
    source.APP_ENV = "production";
    expect(() => assertProductionConfig(source)).not.toThrow();
  });

  it("detects missing variables under APP_ENV=production too", () => {
    expect(() => assertProductionConfig(src({ APP_ENV: "production" }))).toThrow(/DATABASE_URL/);
  });

  it("requires nothing outside production", () => {
    expect(() => assertProductionConfig(src({}))).not.toThrow();
  });
});

describe("getSecret outside production", () => {
  it("generates a non-empty value when the variable is missing", () => {
    const source = src({ DATA_DIR: freshDataDir() });
    const value = getSecret("CRON_SECRET", source);
    expect(typeof value).toBe("string");
    expect(value.length).toBeGreaterThanOrEqual(32);
  });

  it("returns the same value on a second call", () => {
    const source = src({ DATA_DIR: freshDataDir() });
    expect(getSecret("SESSION_SECRET", source)).toBe(getSecret("SESSION_SECRET", source));
  });

  it("generates a different value for each secret", () => {
    const source = src({ DATA_DIR: freshDataDir() });
    const values = GENERATED_SECRETS.map((name) => getSecret(name, source));
    expect(new Set(values).size).toBe(GENERATED_SECRETS.length);
  });

  it("generates ENCRYPTION_KEYS as a versioned 32-byte base64 key", () => {
    const value = getSecret("ENCRYPTION_KEYS", src({ DATA_DIR: freshDataDir() }));
    const match = /^1:([A-Za-z0-9+/=]+)$/.exec(value);
    expect(match).not.toBeNull();
    expect(Buffer.from(match?.[1] ?? "", "base64")).toHaveLength(32);
  });

  it("keeps the values in <DATA_DIR>/secrets.json with mode 0600", () => {
    const dir = freshDataDir();
    const value = getSecret("INTER_AGENT_SECRET", src({ DATA_DIR: dir }));
    const file = path.join(dir, "secrets.json");
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    expect(stored.INTER_AGENT_SECRET).toBe(value);
    for (const name of GENERATED_SECRETS) expect(stored[name]).toBeTruthy();
  });

  it("creates DATA_DIR when it does not exist yet", () => {
    const dir = path.join(freshDataDir(), "nested", "data");
    getSecret("CRON_SECRET", src({ DATA_DIR: dir }));
    expect(existsSync(path.join(dir, "secrets.json"))).toBe(true);
  });

  it("returns the same value after a fresh module load (read back from the file)", async () => {
    const source = src({ DATA_DIR: freshDataDir() });
    const first = getSecret("CRON_SECRET", source);
    vi.resetModules();
    const fresh = await import("@/env");
    expect(fresh.getSecret).not.toBe(getSecret);
    expect(fresh.getSecret("CRON_SECRET", source)).toBe(first);
  });

  it("uses values already present in secrets.json and fills in only the missing ones", async () => {
    const dir = freshDataDir();
    const file = path.join(dir, "secrets.json");
    writeFileSync(file, JSON.stringify({ CRON_SECRET: "pre-existing-cron-secret" }));
    vi.resetModules();
    const fresh = await import("@/env");
    expect(fresh.getSecret("CRON_SECRET", src({ DATA_DIR: dir }))).toBe("pre-existing-cron-secret");
    const session = fresh.getSecret("SESSION_SECRET", src({ DATA_DIR: dir }));
    const stored = JSON.parse(readFileSync(file, "utf8")) as Record<string, string>;
    expect(stored.CRON_SECRET).toBe("pre-existing-cron-secret");
    expect(stored.SESSION_SECRET).toBe(session);
  });

  it("gives two different DATA_DIRs different values (nothing is a built-in constant)", () => {
    const a = freshDataDir();
    const b = freshDataDir();
    for (const name of GENERATED_SECRETS) {
      expect(getSecret(name, src({ DATA_DIR: a }))).not.toBe(getSecret(name, src({ DATA_DIR: b })));
    }
  });

  it("prefers a value from the environment over the generated one", () => {
    const dir = freshDataDir();
    const generated = getSecret("CRON_SECRET", src({ DATA_DIR: dir }));
    expect(getSecret("CRON_SECRET", src({ DATA_DIR: dir, CRON_SECRET: "from-the-env" }))).toBe("from-the-env");
    expect(getSecret("CRON_SECRET", src({ DATA_DIR: dir, CRON_SECRET: "  padded  " }))).toBe("padded");
    expect(generated).not.toBe("from-the-env");
  });

  it("does not write secrets.json when the environment provides the value", () => {
    const dir = freshDataDir();
    getSecret("CRON_SECRET", src({ DATA_DIR: dir, CRON_SECRET: "from-the-env" }));
    expect(existsSync(path.join(dir, "secrets.json"))).toBe(false);
  });

  it("treats a blank environment value as missing and generates one", () => {
    const value = getSecret("CRON_SECRET", src({ DATA_DIR: freshDataDir(), CRON_SECRET: "   " }));
    expect(value.trim()).not.toBe("");
    expect(value.length).toBeGreaterThanOrEqual(32);
  });
});

describe("getSecret in production", () => {
  it.each(GENERATED_SECRETS)("throws a ConfigError naming %s when it is missing", (name) => {
    const dir = freshDataDir();
    const error = thrown(() => getSecret(name, src({ VERCEL: "1", DATA_DIR: dir })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain(name);
    expect(existsSync(path.join(dir, "secrets.json"))).toBe(false);
  });

  it("throws under APP_ENV=production as well, even for a blank value", () => {
    expect(() =>
      getSecret("SESSION_SECRET", src({ APP_ENV: "production", SESSION_SECRET: " ", DATA_DIR: freshDataDir() })),
    ).toThrow(ConfigError);
  });

  it("ignores a generated development value kept in the same DATA_DIR", () => {
    const dir = freshDataDir();
    getSecret("CRON_SECRET", src({ DATA_DIR: dir }));
    expect(() => getSecret("CRON_SECRET", src({ VERCEL: "1", DATA_DIR: dir }))).toThrow(/CRON_SECRET/);
  });

  it("returns the environment value when set", () => {
    expect(getSecret("CRON_SECRET", src({ VERCEL: "1", CRON_SECRET: "prod-cron" }))).toBe("prod-cron");
  });
});

describe("readEnv", () => {
  it("applies defaults for PORT, MAX_BODY_BYTES and LOG_LEVEL", () => {
    const env = readEnv(src({}));
    expect(env.PORT).toBe(3000);
    expect(env.MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(env.LOG_LEVEL).toBe("info");
  });

  it("coerces a valid PORT to a number and accepts a valid DATABASE_DRIVER", () => {
    const env = readEnv(src({ PORT: "8080", DATABASE_DRIVER: "neon" }));
    expect(env.PORT).toBe(8080);
    expect(env.DATABASE_DRIVER).toBe("neon");
  });

  it.each(["abc", "0", "70000", "80.5"])("rejects PORT=%s with a ConfigError naming PORT", (port) => {
    const error = thrown(() => readEnv(src({ PORT: port })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/\bPORT\b/);
  });

  it("rejects an unknown DATABASE_DRIVER with a ConfigError naming it", () => {
    const error = thrown(() => readEnv(src({ DATABASE_DRIVER: "mysql" })));
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toContain("DATABASE_DRIVER");
    expect((error as ConfigError).message).not.toMatch(/\bPORT\b/);
  });

  it("names every invalid variable at once", () => {
    const message = (thrown(() => readEnv(src({ PORT: "x", DATABASE_DRIVER: "mysql", LOG_LEVEL: "loud" }))) as Error)
      .message;
    expect(message).toContain("PORT");
    expect(message).toContain("DATABASE_DRIVER");
    expect(message).toContain("LOG_LEVEL");
  });

  it("trims optional strings and turns blank ones into undefined", () => {
    const env = readEnv(src({ DATABASE_URL: "  postgres://h/db  ", ADMIN_API_KEY: "   " }));
    expect(env.DATABASE_URL).toBe("postgres://h/db");
    expect(env.ADMIN_API_KEY).toBeUndefined();
  });
});

describe("chooseDriver", () => {
  it("uses PGlite when there is no DATABASE_URL", () => {
    expect(chooseDriver(undefined)).toBe("pglite");
    expect(chooseDriver("")).toBe("pglite");
  });

  it("uses the Neon driver for a *.neon.tech host", () => {
    expect(chooseDriver("postgres://u:p@ep-cool-123.eu-central-1.aws.neon.tech/db")).toBe("neon");
    expect(chooseDriver("postgresql://u:p@ep-cool-123-pooler.eu-central-1.aws.neon.tech:5432/db?sslmode=require")).toBe(
      "neon",
    );
  });

  it("uses node-postgres for any other host", () => {
    expect(chooseDriver("postgres://postgres@127.0.0.1:5432/x")).toBe("pg");
    expect(chooseDriver("postgres://u:p@db.example.com/app")).toBe("pg");
  });

  it("does not mistake a host that merely contains neon.tech for Neon", () => {
    expect(chooseDriver("postgres://u:p@ep-x.neon.tech.evil.example/db")).toBe("pg");
  });

  it("lets a forced driver win over the URL", () => {
    expect(chooseDriver("postgres://u:p@ep-cool-123.eu-central-1.aws.neon.tech/db", "pg")).toBe("pg");
    expect(chooseDriver("postgres://postgres@127.0.0.1:5432/x", "neon")).toBe("neon");
    expect(chooseDriver(undefined, "pg")).toBe("pg");
  });

  it("throws a clear error for an unparsable URL, without echoing it (it may hold a password)", () => {
    for (const url of ["not a url", "postgres://u:hunter2@host:99999/db"]) {
      const error = thrown(() => chooseDriver(url)) as Error;
      expect(error.message).toMatch(/DATABASE_URL is not a valid URL/);
      expect(error.message).not.toContain("hunter2");
    }
  });
});

describe("deploymentKind", () => {
  it("is local without VERCEL or APP_ENV, self-hosted with APP_ENV=production", () => {
    expect(deploymentKind(src({}))).toBe("local");
    expect(deploymentKind(src({ NODE_ENV: "production" }))).toBe("local");
    expect(deploymentKind(src({ APP_ENV: "production" }))).toBe("self-hosted");
  });

  it("is production on Vercel with VERCEL_ENV unset or production, preview for any other VERCEL_ENV", () => {
    expect(deploymentKind(src({ VERCEL: "1" }))).toBe("production");
    expect(deploymentKind(src({ VERCEL: "1", VERCEL_ENV: "production" }))).toBe("production");
    expect(deploymentKind(src({ VERCEL: "1", VERCEL_ENV: "preview" }))).toBe("preview");
    expect(deploymentKind(src({ VERCEL: "1", VERCEL_ENV: "development" }))).toBe("preview");
  });

  it("keeps a preview production-like (required secrets, tick route)", () => {
    expect(isProduction(src({ VERCEL: "1", VERCEL_ENV: "preview" }))).toBe(true);
    expect(() => assertProductionConfig(src({ VERCEL: "1", VERCEL_ENV: "preview" }))).toThrow(/CRON_SECRET/);
  });

  it("accepts the Vercel variables in the schema", () => {
    const env = readEnv(
      src({
        VERCEL_ENV: "preview",
        VERCEL_URL: "app-git-x.vercel.app",
        VERCEL_PROJECT_PRODUCTION_URL: "app.example.com",
        VERCEL_AUTOMATION_BYPASS_SECRET: " bypass ",
      }),
    );
    expect(env).toMatchObject({
      VERCEL_ENV: "preview",
      VERCEL_URL: "app-git-x.vercel.app",
      VERCEL_PROJECT_PRODUCTION_URL: "app.example.com",
      VERCEL_AUTOMATION_BYPASS_SECRET: "bypass",
    });
  });
});

describe("publicBaseUrl", () => {
  const vercel = {
    VERCEL: "1",
    VERCEL_URL: "app-abc123-team.vercel.app",
    VERCEL_PROJECT_PRODUCTION_URL: "app.example.com",
  };

  it("1. PUBLIC_BASE_URL wins, without its trailing slashes", () => {
    expect(
      publicBaseUrl(src({ ...vercel, VERCEL_ENV: "production", PUBLIC_BASE_URL: "https://orders.example.com//" })),
    ).toBe("https://orders.example.com");
    expect(publicBaseUrl(src({ PUBLIC_BASE_URL: " http://127.0.0.1:4000 " }))).toBe("http://127.0.0.1:4000");
  });

  it("2. then https://$VERCEL_PROJECT_PRODUCTION_URL in production", () => {
    expect(publicBaseUrl(src({ ...vercel, VERCEL_ENV: "production" }))).toBe("https://app.example.com");
    expect(publicBaseUrl(src(vercel))).toBe("https://app.example.com");
  });

  it("3. then https://$VERCEL_URL", () => {
    expect(
      publicBaseUrl(src({ VERCEL: "1", VERCEL_ENV: "production", VERCEL_URL: "app-abc123-team.vercel.app" })),
    ).toBe("https://app-abc123-team.vercel.app");
  });

  it("4. then, outside production only, http://localhost:$PORT", () => {
    expect(publicBaseUrl(src({}))).toBe("http://localhost:3000");
    expect(publicBaseUrl(src({ PORT: "4123" }))).toBe("http://localhost:4123");
    expect(publicBaseUrl(src({ PORT: "nonsense" }))).toBe("http://localhost:3000");
    expect(publicBaseUrl(src({ VERCEL: "1" }))).toBeUndefined();
    expect(publicBaseUrl(src({ APP_ENV: "production" }))).toBeUndefined();
  });

  it("tolerates a scheme or a trailing slash in Vercel's host variables", () => {
    expect(publicBaseUrl(src({ VERCEL: "1", VERCEL_PROJECT_PRODUCTION_URL: "https://app.example.com/" }))).toBe(
      "https://app.example.com",
    );
    expect(publicBaseUrl(src({ VERCEL: "1", VERCEL_URL: " app-abc.vercel.app/ " }))).toBe("https://app-abc.vercel.app");
  });

  it("on a preview: its own deployment URL, never the production host", () => {
    expect(publicBaseUrl(src({ ...vercel, VERCEL_ENV: "preview" }))).toBe("https://app-abc123-team.vercel.app");
    expect(publicBaseUrl(src({ ...vercel, VERCEL_ENV: "development" }))).toBe("https://app-abc123-team.vercel.app");
    // A preview without VERCEL_URL has no base URL rather than production's.
    expect(
      publicBaseUrl(src({ VERCEL: "1", VERCEL_ENV: "preview", VERCEL_PROJECT_PRODUCTION_URL: "app.example.com" })),
    ).toBeUndefined();
  });

  it("on a preview: PUBLIC_BASE_URL is used, unless it names the production host", () => {
    expect(
      publicBaseUrl(src({ ...vercel, VERCEL_ENV: "preview", PUBLIC_BASE_URL: "https://staging.example.com" })),
    ).toBe("https://staging.example.com");
    expect(publicBaseUrl(src({ ...vercel, VERCEL_ENV: "preview", PUBLIC_BASE_URL: "https://APP.example.com/" }))).toBe(
      "https://app-abc123-team.vercel.app",
    );
  });

  it("never resolves to the production host outside a production deployment", () => {
    expect(publicBaseUrl(src({ VERCEL_PROJECT_PRODUCTION_URL: "app.example.com" }))).toBe("http://localhost:3000");
    expect(publicBaseUrl(src({ APP_ENV: "production", VERCEL_PROJECT_PRODUCTION_URL: "app.example.com" }))).toBe(
      "https://app.example.com",
    );
  });
});
