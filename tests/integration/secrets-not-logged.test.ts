/**
 * Secrets never reach the logs: a run of calls that carry every kind of secret (API keys, the
 * admin key, the cron secret, signed calls) in headers, bodies and even in a failing handler's
 * error message; then the captured log must contain none of them.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { GET as listAudit } from "@/app/api/audit/route";
import { GET as listKeys, POST as createKey } from "@/app/api/keys/route";
import { signRequest } from "@/auth/signature";
import { getSecret } from "@/env";
import { withCron, withSignedCall } from "@/http/wrappers";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";

const ADMIN_KEY = "aok_adminkeyfromenvironment_0123456789abcdefghij";
const CRON_SECRET = "cron-secret-for-the-log-test-5f2a9c";

const captured: string[] = [];
const originals = { out: process.stdout.write.bind(process.stdout), err: process.stderr.write.bind(process.stderr) };

beforeAll(() => {
  process.env.ADMIN_API_KEY = ADMIN_KEY;
  process.env.CRON_SECRET = CRON_SECRET;
  process.env.LOG_LEVEL = "debug";
  const capture = (chunk: string | Uint8Array) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
});

afterAll(() => {
  process.stdout.write = originals.out;
  process.stderr.write = originals.err;
  delete process.env.ADMIN_API_KEY;
  delete process.env.CRON_SECRET;
  process.env.LOG_LEVEL = "error";
});

describeDb("secrets in logs", () => {
  it("no key, cron secret or signing secret appears in the captured log", async () => {
    const secrets: string[] = [ADMIN_KEY, CRON_SECRET, getSecret("INTER_AGENT_SECRET")];

    const created = await callJson<{ key: string }>(createKey, "/api/keys", {
      method: "POST",
      key: ADMIN_KEY,
      body: { name: "log test", role: "viewer" },
    });
    expect(created.status).toBe(201);
    secrets.push(created.body.key);
    await call(listKeys, "/api/keys", { key: created.body.key });
    await call(listAudit, "/api/audit?limit=5", { key: ADMIN_KEY });
    await call(createKey, "/api/keys", { method: "POST", key: ADMIN_KEY, body: `{"name": "${ADMIN_KEY}",` });
    await call(listKeys, "/api/keys", { key: created.body.key.slice(0, -1) + "x" });

    const cron = withCron(async () => {
      throw new Error(`crashed while holding ${CRON_SECRET} and ${ADMIN_KEY}`);
    });
    expect((await call(cron, "/api/cron/test", { key: CRON_SECRET })).status).toBe(500);
    expect((await call(cron, "/api/cron/test", { key: "wrong" })).status).toBe(401);

    const signed = withSignedCall(async ({ json }) => Response.json(await json(z.object({ secret: z.string() }))));
    const body = JSON.stringify({ secret: getSecret("INTER_AGENT_SECRET") });
    const ok = await call(signed, "/api/agents/x", {
      method: "POST",
      body,
      headers: {
        "x-orchestrator-signature": signRequest(getSecret("INTER_AGENT_SECRET"), {
          method: "POST",
          path: "/api/agents/x",
          body,
        }),
      },
    });
    expect(ok.status).toBe(200);

    const log = captured.join("");
    expect(log).toContain('"msg":"request"');
    expect(log).toContain("crashed while holding");
    for (const secret of secrets) expect(log, "a secret leaked into the log").not.toContain(secret);
  });
});
