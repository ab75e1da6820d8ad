/**
 * The 399 EUR order end to end below the browser: the order API (test mode starts the run at
 * once; bad input 400; rate limit 429; a wrong token 404), the site_generation workflow run by
 * the engine with every agent for real (the site published, verified over HTTP, checked, ad
 * drafts, the client's email kept in the outbox), a failure that alerts the admin (the client's
 * page saying so in neutral words, not the step's error) and an operator retry that resumes
 * from the failed stage, and the Stripe path (signature, paid
 * session starts the run once, wrong amount refused).
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import Stripe from "stripe";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { agentPost } from "@/http/agent-route";
import { GET as projectStatus } from "@/app/api/projects/[id]/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { POST as stripeWebhook } from "@/app/api/webhooks/stripe/route";
import { GET as siteGet, HEAD as siteHead } from "@/app/sites/[slug]/[[...path]]/route";
import { queryRows, type Db } from "@/db/client";
import { registerDefinition } from "@/engine/registry";
import { parseDefinition } from "@/engine/definition";
import { getRun, retryRun } from "@/engine/runs";
import { verifyStripeSignature } from "@/integrations/stripe";
import { OUTBOX_CONTEXT } from "@/notifications/personal";
import { decryptField } from "@/privacy/crypto";
import { CLIENT_RUN_ERROR, CLIENT_STAGE_ERROR, type ProjectStatus } from "@/projects/service";
import { startAppServer, type AppServer } from "../helpers/app-server";
import { describeDb } from "../helpers/db";
import { runUntilDone, stepOf } from "../helpers/engine";
import { callJson } from "../helpers/http";

const FORM = {
  businessName: "Boulangerie Lune",
  industry: "bakery",
  audience: "families in the neighbourhood",
  tone: "friendly",
  pages: ["home", "about", "contact"],
  contactEmail: "claire@boulangerie-lune.example",
  language: "fr",
  brandColor: "#b5542c",
  tagline: "Du pain chaud chaque matin",
};

const WEBHOOK_SECRET = "whsec_test_secret_for_the_site_order_test";
// A copy of ../shared/fixtures/stripe (byte for byte: the signature covers the exact bytes).
const FIXTURE_DIR = new URL("../fixtures/stripe/", import.meta.url);

let server: AppServer;
/** Agent actions answer 422 while listed here (over the http transport): a forced failure. */
const refusing = new Set<string>();

beforeAll(async () => {
  const refusable = (agent: string) => {
    const real = agentPost(agent);
    return Object.assign(
      async (req: Request, ctx?: { params?: Promise<Record<string, string | string[] | undefined>> }) => {
        const action = String((await ctx?.params)?.action ?? "");
        if (refusing.has(`${agent}/${action}`))
          return Response.json({ error: { code: "unprocessable", message: "refused for the test" } }, { status: 422 });
        return real(req, ctx);
      },
      real,
    );
  };
  server = await startAppServer([
    { pattern: /^\/sites\/(?<slug>[^/]+)(?:\/(?<path>.*?))?\/?$/, handlers: { GET: siteGet, HEAD: siteHead } },
    ...["design-ia", "automation", "ads", "core"].map((agent) => ({
      pattern: new RegExp(`^/api/agents/${agent}/(?<action>[^/]+)$`),
      handlers: { POST: refusable(agent) },
    })),
  ]);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  refusing.clear();
});

async function registerSiteWorkflow(db: Db): Promise<void> {
  await registerDefinition(db, {
    definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
    source: "test",
  });
}

function useServer(): void {
  vi.stubEnv("PUBLIC_BASE_URL", server.base);
  vi.stubEnv("STRIPE_SECRET_KEY", "");
  vi.stubEnv("SMTP_URL", "");
}

const post = (body: unknown, ip = "203.0.113.7") =>
  callJson<{
    id: string;
    token: string;
    statusPath: string;
    nextUrl: string;
    testMode: boolean;
    error?: { code: string; details?: { path: string }[] };
  }>(createProjectRoute, "/api/projects", {
    method: "POST",
    body,
    headers: { "x-forwarded-for": ip },
  });
const status = (id: string, token: string) =>
  callJson<ProjectStatus & { error?: { code: string } }>(projectStatus, `/api/projects/${id}?token=${token}`, {
    params: { id },
  });

describeDb("the site order", (suite) => {
  beforeAll(async () => {
    await registerSiteWorkflow(suite.db());
  });

  describe("in test mode", () => {
    it("creates a project, starts its run at once, and the run publishes, verifies and checks the site, drafts ads and keeps the client's email", async () => {
      useServer();
      const db = suite.db();
      const created = await post(FORM);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ testMode: true });
      expect(created.body.nextUrl).toBe(created.body.statusPath);
      const before = await status(created.body.id, created.body.token);
      expect(before.body.stages.map((s) => s.key)).toEqual([
        "brief",
        "design",
        "content",
        "build",
        "publish",
        "verify",
        "campaigns",
        "qa",
        "notify",
      ]);

      const [project] = await queryRows<{ run_id: string }>(
        db,
        sql`select run_id from projects where id = ${created.body.id}`,
      );
      const run = await runUntilDone(db, project!.run_id, 60_000);
      expect(run.status).toBe("succeeded");
      const output = run.output as {
        siteUrl: string;
        sitePath: string;
        verified: boolean;
        qa: { passed: boolean; score: number };
        campaigns: { headlines: string[] }[];
      };
      expect(output.sitePath).toMatch(/^\/sites\/boulangerie-lune\/$/);
      expect(output.siteUrl).toBe(`${server.base}${output.sitePath}`);
      expect(output.verified, JSON.stringify(stepOf(run, "verify").output)).toBe(true);
      expect(output.qa).toMatchObject({ passed: true, score: 100 });
      expect(output.campaigns.length).toBeGreaterThanOrEqual(2);
      expect(stepOf(run, "content").output).toHaveLength(3);
      for (const step of run.steps.filter((s) => !s.name.includes("alert")))
        expect(step.startedAt && step.finishedAt, step.name).toBeTruthy();

      const home = await fetch(`${server.base}${output.sitePath}`);
      expect(home.status).toBe(200);
      const html = await home.text();
      expect(html).toContain("Boulangerie Lune");
      expect(html).toContain('lang="fr"');

      const [mail] = await queryRows<{ recipient: string; subject: string; status: string; body: string }>(
        db,
        sql`select recipient, subject, status, body from outbox where channel = 'email' and dedupe_key = ${`${run.id}:notify`}`,
      );
      expect(mail).toMatchObject({ status: "kept", subject: "Your website for Boulangerie Lune is live" });
      // Stored encrypted: the client's address and the body are personal data.
      expect(decryptField(mail!.recipient, OUTBOX_CONTEXT.recipient)).toBe(FORM.contactEmail);
      expect(decryptField(mail!.body, OUTBOX_CONTEXT.body)).toContain(output.siteUrl);

      const after = await status(created.body.id, created.body.token);
      expect(after.body).toMatchObject({
        status: "done",
        site: { path: output.sitePath },
        qa: { passed: true, score: 100 },
      });
      expect(after.body.stages.every((s) => s.status === "done" && s.durationMs !== null)).toBe(true);
    }, 120_000);

    it("answers a wrong or missing token like an unknown project (404)", async () => {
      useServer();
      const created = await post({ ...FORM, businessName: "Token Test" }, "203.0.113.8");
      expect((await status(created.body.id, "wrong")).status).toBe(404);
      expect((await status(created.body.id, "")).status).toBe(404);
      expect((await status("00000000-0000-4000-8000-000000000000", created.body.token)).status).toBe(404);
      expect((await status(created.body.id, created.body.token)).status).toBe(200);
    });

    it("refuses an invalid order with 400 naming each field, and limits orders per address (429 with Retry-After)", async () => {
      useServer();
      const bad = await post({ ...FORM, contactEmail: "not-an-email", pages: [], tone: "angry" }, "198.51.100.1");
      expect(bad.status).toBe(400);
      expect(bad.body.error?.details?.map((d) => d.path).sort()).toEqual(["contactEmail", "pages", "tone"]);
      const ip = "198.51.100.2";
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await post({ ...FORM, businessName: `Limit ${i}` }, ip)).status);
      expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
      const limited = await post({ ...FORM, businessName: "Limit 7" }, ip);
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    });

    it("a failing stage alerts the admin, the client page says what happened, and an operator retry resumes from that stage", async () => {
      useServer();
      vi.stubEnv("AGENT_TRANSPORT", "http");
      const db = suite.db();
      refusing.add("automation/deploy_site");
      const created = await post({ ...FORM, businessName: "Fail Then Retry" }, "203.0.113.9");
      const [project] = await queryRows<{ run_id: string }>(
        db,
        sql`select run_id from projects where id = ${created.body.id}`,
      );
      const failed = await runUntilDone(db, project!.run_id, 60_000);
      expect(failed.status).toBe("failed");
      expect(stepOf(failed, "publish").status).toBe("failed");
      expect(stepOf(failed, "alert_admin").status).toBe("succeeded");
      const [alert] = await queryRows<{ subject: string }>(
        db,
        sql`select subject from outbox where subject like ${`%Site generation failed at publish (run ${failed.id})%`}`,
      );
      expect(alert).toBeDefined();
      const page = await status(created.body.id, created.body.token);
      expect(page.body.status).toBe("failed");
      // Anyone with the link sees this page: a neutral sentence, never the step's own error (the operator reads it on the dashboard).
      expect(page.body.stages.find((s) => s.key === "publish")).toMatchObject({
        status: "failed",
        error: CLIENT_STAGE_ERROR,
      });
      expect(page.body.error).toBe(CLIENT_RUN_ERROR);
      expect(JSON.stringify(page.body)).not.toContain("refused for the test");
      expect((stepOf(failed, "publish").error as { message: string }).message).toContain("refused for the test");
      const buildAttempts = stepOf(failed, "build").attempts;

      refusing.clear();
      await retryRun(db, failed.id);
      const done = await runUntilDone(db, failed.id, 60_000);
      expect(done.status).toBe("succeeded");
      expect(stepOf(done, "build").attempts).toBe(buildAttempts); // not re-run
      expect(stepOf(done, "publish").status).toBe("succeeded");
      expect((await status(created.body.id, created.body.token)).body.status).toBe("done");
    }, 120_000);
  });

  describe("with Stripe", () => {
    const sign = (payload: string) => Stripe.webhooks.generateTestHeaderString({ payload, secret: WEBHOOK_SECRET });
    const deliver = (payload: string, signature = sign(payload)) =>
      callJson<{ received?: boolean; started?: boolean; reason?: string; error?: { code: string } }>(
        stripeWebhook,
        "/api/webhooks/stripe",
        {
          method: "POST",
          body: payload,
          headers: { "content-type": "application/json", "stripe-signature": signature },
        },
      );
    const event = (id: string, session: Record<string, unknown>) =>
      JSON.stringify({
        id,
        object: "event",
        type: "checkout.session.completed",
        data: {
          object: {
            object: "checkout.session",
            payment_status: "paid",
            amount_total: 39_900,
            currency: "eur",
            ...session,
          },
        },
      });

    async function awaitingProject(db: Db): Promise<string> {
      const [row] = await queryRows<{ id: string }>(
        db,
        sql`insert into projects (token_hash, brief, payment_status) values ('x', ${JSON.stringify(FORM)}::jsonb, 'awaiting_payment') returning id`,
      );
      return row!.id;
    }
    const runsOf = async (db: Db, projectId: string) =>
      queryRows<{ id: string; idempotency_key: string }>(
        db,
        sql`select id, idempotency_key from runs where workflow = 'site_generation' and input->>'projectId' = ${projectId}`,
      );

    it("sends the client to a Checkout session of 399.00 EUR carrying the project, and starts nothing before payment", async () => {
      useServer();
      const requests: { path: string; body: URLSearchParams; idempotencyKey: string | null }[] = [];
      const fake = createServer((req, res) => {
        let body = "";
        req.on("data", (c: Buffer) => (body += c.toString()));
        req.on("end", () => {
          requests.push({
            path: req.url ?? "",
            body: new URLSearchParams(body),
            idempotencyKey: (req.headers["idempotency-key"] as string | undefined) ?? null,
          });
          res.writeHead(200, { "content-type": "application/json" }).end(
            JSON.stringify({
              id: "cs_test_fake_1",
              object: "checkout.session",
              url: "https://checkout.stripe.test/c/pay/cs_test_fake_1",
            }),
          );
        });
      });
      await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
      try {
        vi.stubEnv("STRIPE_SECRET_KEY", "sk_test_fake_key_for_the_test");
        vi.stubEnv("STRIPE_API_URL", `http://127.0.0.1:${(fake.address() as AddressInfo).port}`);
        const created = await post({ ...FORM, businessName: "Paying Client" }, "203.0.113.20");
        expect(created.status).toBe(201);
        expect(created.body).toMatchObject({
          testMode: false,
          nextUrl: "https://checkout.stripe.test/c/pay/cs_test_fake_1",
        });
        expect(requests).toHaveLength(1);
        const { path, body, idempotencyKey } = requests[0]!;
        expect(path).toBe("/v1/checkout/sessions");
        expect(idempotencyKey).toBe(`checkout:${created.body.id}`);
        expect(Object.fromEntries(body)).toMatchObject({
          mode: "payment",
          client_reference_id: created.body.id,
          "metadata[project_id]": created.body.id,
          customer_email: FORM.contactEmail,
          "line_items[0][quantity]": "1",
          "line_items[0][price_data][currency]": "eur",
          "line_items[0][price_data][unit_amount]": "39900",
        });
        const [project] = await queryRows<{
          payment_status: string;
          checkout_session_id: string;
          run_id: string | null;
        }>(
          suite.db(),
          sql`select payment_status, checkout_session_id, run_id from projects where id = ${created.body.id}`,
        );
        expect(project).toEqual({
          payment_status: "awaiting_payment",
          checkout_session_id: "cs_test_fake_1",
          run_id: null,
        });
        expect((await status(created.body.id, created.body.token)).body.status).toBe("waiting_for_payment");
      } finally {
        await new Promise((resolve) => fake.close(resolve));
      }
    });

    it("checks the fixture's signature over the exact bytes, within the tolerance", () => {
      vi.stubEnv("STRIPE_WEBHOOK_SECRET", "whsec_TEST_FIXTURE_SECRET_not_a_real_secret");
      const raw = readFileSync(new URL("checkout-session-completed.json", FIXTURE_DIR), "utf8");
      const headers = JSON.parse(readFileSync(new URL("headers.json", FIXTURE_DIR), "utf8")) as Record<
        string,
        { "Stripe-Signature": string; _t: number }
      >;
      const { "Stripe-Signature": signature, _t: t } = headers["checkout-session-completed.json"]!;
      expect(() => verifyStripeSignature(raw, signature, { receivedAt: t })).not.toThrow();
      expect(() => verifyStripeSignature(raw, signature, { receivedAt: t + 300 })).not.toThrow();
      expect(() => verifyStripeSignature(raw.replace("39900", "100"), signature, { receivedAt: t })).toThrow(
        /signature/,
      );
      expect(() => verifyStripeSignature(raw, signature, { receivedAt: t + 301 })).toThrow(/signature/); // older than 300 s
      expect(() => verifyStripeSignature(raw, null, { receivedAt: t })).toThrow(/missing/);
    });

    it("starts the paid project's run once, however often the event is delivered, and refuses a bad signature (400) or another amount", async () => {
      useServer();
      vi.stubEnv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET);
      const db = suite.db();
      const projectId = await awaitingProject(db);
      const paid = event("evt_paid_1", {
        id: "cs_test_paid_1",
        client_reference_id: projectId,
        metadata: { project_id: projectId },
      });

      const forged = await deliver(
        paid,
        sign(paid).replace(/.$/, (c) => (c === "0" ? "1" : "0")),
      );
      expect(forged.status).toBe(400);
      expect(await runsOf(db, projectId)).toHaveLength(0);

      const first = await deliver(paid);
      expect(first).toMatchObject({ status: 200, body: { received: true, started: true } });
      const again = await deliver(paid);
      expect(again).toMatchObject({ status: 200, body: { started: false, reason: "duplicate" } });
      const otherEventSameSession = await deliver(
        event("evt_paid_2", {
          id: "cs_test_paid_1",
          client_reference_id: projectId,
          metadata: { project_id: projectId },
        }),
      );
      expect(otherEventSameSession.body).toMatchObject({ started: false, reason: "duplicate" });
      const runs = await runsOf(db, projectId);
      expect(runs).toEqual([{ id: expect.any(String) as string, idempotency_key: "cs_test_paid_1" }]);
      const [project] = await queryRows<{ payment_status: string; run_id: string }>(
        db,
        sql`select payment_status, run_id from projects where id = ${projectId}`,
      );
      expect(project).toEqual({ payment_status: "paid", run_id: runs[0]!.id });
      await runUntilDone(db, runs[0]!.id, 60_000);

      const cheap = await awaitingProject(db);
      const wrongAmount = await deliver(
        event("evt_cheap", { id: "cs_test_cheap", client_reference_id: cheap, amount_total: 100 }),
      );
      expect(wrongAmount.body).toMatchObject({ started: false, reason: "wrong_amount" });
      const dollars = await deliver(
        event("evt_usd", { id: "cs_test_usd", client_reference_id: cheap, currency: "usd" }),
      );
      expect(dollars.body).toMatchObject({ started: false, reason: "wrong_amount" });
      const unpaid = await deliver(
        event("evt_unpaid", { id: "cs_test_unpaid", client_reference_id: cheap, payment_status: "unpaid" }),
      );
      expect(unpaid.body).toMatchObject({ started: false, reason: "unpaid" });
      expect(await runsOf(db, cheap)).toHaveLength(0);
      expect((await getRun(db, runs[0]!.id)).status).toBe("succeeded");
    }, 120_000);
  });
});
