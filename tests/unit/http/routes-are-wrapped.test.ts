import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { WRAPPED } from "@/http/wrappers";
import { APP_DIR, exportedMethods, importRoute, routeFiles } from "../../helpers/routes";

// A wrapper call, an alias of a handler defined in the file, or a factory of wrapped handlers
// shared by several route files (the agents' routes: src/http/agent-route.ts).
const WRAPPER_CALL =
  /^export const (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\s*=\s*(with(Public|ApiKey|Cron|SignedCall|SignedCallOrApiKey|Webhook)\(|agent(Get|Post)\(|\w+;)/m;

describe("every route handler goes through a wrapper", () => {
  const files = routeFiles();

  it("finds the route files", () => {
    expect(files).toContain("api/health/route.ts");
  });

  it.each(files)("%s exports only wrapped handlers", async (file) => {
    const mod = await importRoute(file);
    const methods = exportedMethods(mod);
    expect(methods.length).toBeGreaterThan(0);
    for (const method of methods) {
      const handler = mod[method] as { [WRAPPED]?: string } | undefined;
      expect(typeof handler, `${file} ${method}`).toBe("function");
      expect(handler?.[WRAPPED], `${file} exports ${method} without a wrapper`).toBeDefined();
    }
  });

  it.each(files)("%s declares no handler as a plain function", (file) => {
    const text = readFileSync(path.join(APP_DIR, file), "utf8");
    expect(text).not.toMatch(/export\s+(async\s+)?function\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/);
    expect(text).not.toMatch(/export\s*\{[^}]*\bas\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/);
    for (const line of text
      .split("\n")
      .filter((l) => /^export const (GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/.test(l))) {
      expect(line, `${file}: ${line}`).toMatch(WRAPPER_CALL);
    }
  });
});
