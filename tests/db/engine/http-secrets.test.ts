/**
 * Secret references of http steps end to end: the value reaches the receiver, yet no database
 * row (definition, run, step, attempt, event) holds it; an unknown name is refused at
 * registration, and fails the step clearly (no retry) when it disappears after registration.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { queryRows } from "@/db/client";
import { DefinitionError, parseDefinition } from "@/engine/definition";
import { startRun } from "@/engine/start-run";
import { describeDb } from "../../helpers/db";
import { register, runUntilDone, stepOf } from "../../helpers/engine";

const SECRET = "sk_test_Zq8Lr3Vt6Np1Xw4Yb7Hc0Jd";
let server: Server;
let base = "";
const seen: { authorization?: string; path: string }[] = [];

beforeAll(async () => {
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  process.env.HTTP_SECRET_PARTNER_TOKEN = SECRET;
  server = createServer((req, res) => {
    seen.push({ authorization: req.headers.authorization, path: req.url ?? "" });
    // A careless receiver that echoes what it got, and an error page that quotes it.
    const status = req.url?.startsWith("/fail") ? 400 : 200;
    res
      .writeHead(status, { "content-type": "application/json" })
      .end(JSON.stringify({ youSent: req.headers.authorization }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  delete process.env.HTTP_SECRET_PARTNER_TOKEN;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const definition = (name: string, path: string, retries = 3) => `
name: ${name}
steps:
  - name: call_partner
    retry: { max_attempts: ${retries}, initial_interval: 10ms }
    http:
      url: ${base}${path}/{{ input.order }}
      method: POST
      headers:
        Authorization: "Bearer \${secret:PARTNER_TOKEN}"
      body: { order: "{{ input.order }}" }
`;

describeDb("http step secret references", (suite) => {
  const db = () => suite.db();

  async function rowsMentioning(text: string): Promise<string[]> {
    const found: string[] = [];
    for (const table of ["workflow_definitions", "runs", "steps", "step_attempts", "events"]) {
      const rows = await queryRows<{ row: string }>(
        db(),
        sql`select row_to_json(t)::text as row from ${sql.identifier(table)} t`,
      );
      for (const { row } of rows) if (row.includes(text)) found.push(`${table}: ${row.slice(0, 200)}`);
    }
    return found;
  }

  it("sends the secret to the receiver and stores it in no row", async () => {
    await register(db(), definition("secret_ok", "/orders"));
    const { id } = await startRun(db(), { workflow: "secret_ok", input: { order: "A1" } });
    const run = await runUntilDone(db(), id);
    expect(run.status).toBe("succeeded");
    expect(seen.find((s) => s.path === "/orders/A1")?.authorization).toBe(`Bearer ${SECRET}`);
    expect(stepOf(run, "call_partner").output).toEqual({
      status: 200,
      body: { youSent: "Bearer [secret:PARTNER_TOKEN]" },
    });

    await register(db(), definition("secret_fail", "/fail", 1));
    const failed = await runUntilDone(
      db(),
      (await startRun(db(), { workflow: "secret_fail", input: { order: "B2" } })).id,
    );
    expect(failed.status).toBe("failed");
    expect(seen.find((s) => s.path === "/fail/B2")?.authorization).toBe(`Bearer ${SECRET}`);

    expect(await rowsMentioning(SECRET)).toEqual([]);
    // The reference itself is what the definition and the step's input keep.
    expect((await rowsMentioning("${secret:PARTNER_TOKEN}")).length).toBeGreaterThan(0);
  });

  it("refuses at registration a reference to an unset secret, a templated secret header, or a templated host", () => {
    const issues = (yaml: string) => {
      try {
        parseDefinition(yaml);
        return [];
      } catch (error) {
        if (!(error instanceof DefinitionError)) throw error;
        return error.issues.map((i) => `${i.path}: ${i.message}`);
      }
    };
    expect(issues(definition("x", "/orders").replace("PARTNER_TOKEN", "MISSING_TOKEN"))).toEqual([
      'steps[0].http.headers.Authorization: unknown secret "MISSING_TOKEN": set the environment variable HTTP_SECRET_MISSING_TOKEN',
    ]);
    expect(
      issues(
        definition("x", "/orders").replace(
          '"Bearer ${secret:PARTNER_TOKEN}"',
          '"{{ input.kind }} ${secret:PARTNER_TOKEN}"',
        ),
      )[0],
    ).toMatch(/headers\.Authorization: a header with a secret reference must be plain text/);
    expect(
      issues(definition("x", "/orders").replace(`url: ${base}/orders/{{ input.order }}`, 'url: "{{ input.url }}"')),
    ).toEqual([
      "steps[0].http.url: a step that sends a secret must write its URL's scheme and host out (templates only after the host), so no input can send the secret elsewhere",
    ]);
  });

  it("fails the step at once, naming the variable, when the secret is unset after registration", async () => {
    await register(db(), definition("secret_gone", "/orders"));
    delete process.env.HTTP_SECRET_PARTNER_TOKEN;
    try {
      const before = seen.length;
      const run = await runUntilDone(
        db(),
        (await startRun(db(), { workflow: "secret_gone", input: { order: "C3" } })).id,
      );
      expect(run.status).toBe("failed");
      const step = stepOf(run, "call_partner");
      expect(step.attempts).toBe(1);
      expect(JSON.stringify(step.error)).toContain(
        'unknown secret \\"PARTNER_TOKEN\\": set the environment variable HTTP_SECRET_PARTNER_TOKEN',
      );
      expect(seen.length).toBe(before);
    } finally {
      process.env.HTTP_SECRET_PARTNER_TOKEN = SECRET;
    }
  });
});
