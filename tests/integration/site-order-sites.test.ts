/**
 * The site order's addresses and its release gates, through the real flow (the order API, the
 * engine, every agent, the sites route over loopback HTTP):
 * - every project gets its own address: two orders with one business name publish to two
 *   addresses and the first site is left as it was; names with no Latin letter get distinct,
 *   valid addresses;
 * - a site that fails its check after publishing, or scores under the QA threshold, is not
 *   announced: the run fails before the client's email, the operator is alerted with the reason,
 *   and the client's page says neither done nor live, and shows no internal error.
 */
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { gatewayInvoker } from "@/agents/gateway";
import type { Site } from "@/agents/schemas";
import { GET as projectStatus } from "@/app/api/projects/[id]/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { GET as siteGet, HEAD as siteHead } from "@/app/sites/[slug]/[[...path]]/route";
import { queryRows, type Db } from "@/db/client";
import { parseDefinition } from "@/engine/definition";
import { setAgentInvoker } from "@/engine/kinds/agent";
import { registerDefinition } from "@/engine/registry";
import type { RunView } from "@/engine/runs";
import { evaluateAlerts } from "@/operations/alerts/evaluate";
import { CLIENT_RUN_ERROR, CLIENT_STAGE_ERROR, type ProjectStatus } from "@/projects/service";
import { SITE_SLUG } from "@/sites/urls";
import { startAppServer, type AppServer } from "../helpers/app-server";
import { describeDb } from "../helpers/db";
import { runUntilDone, stepOf } from "../helpers/engine";
import { callJson } from "../helpers/http";

const FORM = {
  businessName: "Boulangerie Émile & Fils",
  industry: "bakery",
  audience: "families in the neighbourhood",
  tone: "friendly",
  pages: ["home", "about", "contact"],
  contactEmail: "emile@boulangerie.example",
  language: "fr",
};

let server: AppServer;
/** Published pages that answer 404 over HTTP while listed (`<slug>/<page path>`): a site broken after publishing. */
const brokenPages = new Set<string>();

beforeAll(async () => {
  const breakable = (handler: typeof siteGet) =>
    Object.assign(async (req: Request, ctx: { params: Promise<{ slug: string; path?: string[] }> }) => {
      const { pathname } = new URL(req.url);
      if (brokenPages.has(pathname.replace(/^\/sites\//, ""))) return new Response("gone", { status: 404 });
      return handler(req, ctx);
    }, handler);
  server = await startAppServer([
    {
      pattern: /^\/sites\/(?<slug>[^/]+)(?:\/(?<path>.*?))?\/?$/,
      handlers: { GET: breakable(siteGet), HEAD: breakable(siteHead) },
    },
  ]);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  brokenPages.clear();
  setAgentInvoker(undefined);
});

function useServer(): void {
  vi.stubEnv("PUBLIC_BASE_URL", server.base);
  vi.stubEnv("STRIPE_SECRET_KEY", "");
  vi.stubEnv("SMTP_URL", "");
  vi.stubEnv("SLACK_WEBHOOK_URL", "");
}

let nextAddress = 10;
/** Orders a site (test mode: its run starts at once); a new client address each time, clear of the rate limit. */
async function order(
  db: Db,
  form: Partial<typeof FORM> = {},
): Promise<{ id: string; token: string; runId: string; siteSlug: string }> {
  const created = await callJson<{ id: string; token: string }>(createProjectRoute, "/api/projects", {
    method: "POST",
    body: { ...FORM, ...form },
    headers: { "x-forwarded-for": `203.0.113.${nextAddress++}` },
  });
  expect(created.status).toBe(201);
  const [run] = await queryRows<{ id: string; site_slug: string }>(
    db,
    sql`select r.id, r.input->>'siteSlug' as site_slug from projects p join runs r on r.id = p.run_id where p.id = ${created.body.id}`,
  );
  return { id: created.body.id, token: created.body.token, runId: run!.id, siteSlug: run!.site_slug };
}

const status = async (id: string, token: string) =>
  (await callJson<ProjectStatus>(projectStatus, `/api/projects/${id}?token=${token}`, { params: { id } })).body;

/** Every page and file of a published site as a visitor gets it. */
async function siteSnapshot(db: Db, slug: string): Promise<{ deploymentId: string; files: Record<string, string> }> {
  const [site] = await queryRows<{ deployment_id: string }>(
    db,
    sql`select deployment_id from sites where slug = ${slug}`,
  );
  const paths = await queryRows<{ path: string }>(
    db,
    sql`select path from site_files where slug = ${slug} order by path`,
  );
  const files: Record<string, string> = {};
  for (const { path } of paths) {
    const res = await fetch(`${server.base}/sites/${slug}/${path}`);
    expect(res.status, path).toBe(200);
    files[path] = await res.text();
  }
  return { deploymentId: site!.deployment_id, files };
}

async function clientEmails(db: Db, run: RunView): Promise<number> {
  const rows = await queryRows<{ n: number }>(
    db,
    sql`select count(*)::int as n from outbox where dedupe_key = ${`${run.id}:notify`}`,
  );
  return Number(rows[0]!.n);
}

async function adminAlertText(db: Db, run: RunView): Promise<string> {
  const rows = await queryRows<{ subject: string; body: string }>(
    db,
    sql`select subject, body from outbox where dedupe_key like ${`${run.id}:alert_admin%`}`,
  );
  expect(rows.length, "an admin message was stored").toBeGreaterThan(0);
  return rows.map((r) => `${r.subject}\n${r.body}`).join("\n");
}

/** The client's page of a run stopped at `stage`: not done, nothing live, no internal error. */
function expectStoppedAt(page: ProjectStatus, stage: string, internalError: string): void {
  expect(page.status).toBe("failed");
  expect(page.site).toBeNull();
  expect(page.stages.find((s) => s.key === stage)).toMatchObject({ status: "failed", error: CLIENT_STAGE_ERROR });
  expect(page.stages.find((s) => s.key === "notify")?.status).not.toBe("done");
  expect(page.error).toBe(CLIENT_RUN_ERROR);
  expect(JSON.stringify(page)).not.toContain(internalError);
}

describeDb("the site order's addresses and release gates", (suite) => {
  beforeAll(async () => {
    await registerDefinition(suite.db(), {
      definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
      source: "test",
    });
  });

  describe("addresses", () => {
    it("two orders with the same business name publish to two different addresses, and the first site is unchanged", async () => {
      useServer();
      const db = suite.db();
      const first = await order(db);
      const firstRun = await runUntilDone(db, first.runId, 60_000);
      expect(firstRun.status).toBe("succeeded");
      expect(stepOf(firstRun, "publish").output).toMatchObject({
        slug: "boulangerie-emile-fils",
        path: "/sites/boulangerie-emile-fils/",
      });
      const before = await siteSnapshot(db, "boulangerie-emile-fils");
      expect(before.files["index.html"]).toContain("Boulangerie Émile &amp; Fils");

      // Another client, the same name but for the accents and the ampersand: the same slug asked for.
      const second = await order(db, {
        businessName: "Boulangerie Emile Fils",
        contactEmail: "other@example.com",
        pages: ["home", "faq"],
      });
      const secondRun = await runUntilDone(db, second.runId, 60_000);
      expect(secondRun.status).toBe("succeeded");
      const secondPath = (secondRun.output as { sitePath: string }).sitePath;
      expect(secondPath).toBe("/sites/boulangerie-emile-fils-2/");
      expect((await siteSnapshot(db, "boulangerie-emile-fils-2")).files["index.html"]).toContain(
        "Boulangerie Emile Fils",
      );

      expect(await siteSnapshot(db, "boulangerie-emile-fils")).toEqual(before);
      expect((await status(first.id, first.token)).site?.path).toBe("/sites/boulangerie-emile-fils/");
      expect((await status(second.id, second.token)).site?.path).toBe(secondPath);
      const owners = await queryRows<{ slug: string; project_id: string }>(
        db,
        sql`select slug, project_id from site_slugs where slug like 'boulangerie-emile-fils%' order by slug`,
      );
      expect(owners).toEqual([
        { slug: "boulangerie-emile-fils", project_id: first.id },
        { slug: "boulangerie-emile-fils-2", project_id: second.id },
      ]);
    }, 180_000);

    it("names with no Latin letter publish to distinct, valid addresses, the same name twice included", async () => {
      useServer();
      const db = suite.db();
      const names = ["パン屋さくら", "Αρτοποιείο Ήλιος", "مخبز الشمس", "パン屋さくら"];
      const orders = [];
      for (const businessName of names) orders.push(await order(db, { businessName, language: "en", pages: ["home"] }));
      const slugs = orders.map((o) => o.siteSlug);
      for (const slug of slugs) expect(slug).toMatch(SITE_SLUG);
      expect(new Set(slugs).size).toBe(names.length);
      expect(slugs).not.toContain("site");
      for (const o of orders) {
        const run = await runUntilDone(db, o.runId, 60_000);
        expect(run.status, JSON.stringify(run.error)).toBe("succeeded");
        expect((run.output as { sitePath: string }).sitePath).toBe(`/sites/${o.siteSlug}/`);
      }
    }, 240_000);
  });

  describe("release gates", () => {
    it("a site that fails its check after publishing is not announced: no client email, the operator alerted with the reason, the client's page neither done nor live", async () => {
      useServer();
      const db = suite.db();
      const broken = await order(db, { businessName: "Broken Links Bakery", contactEmail: "broken@example.com" });
      brokenPages.add(`${broken.siteSlug}/about/`);
      const run = await runUntilDone(db, broken.runId, 60_000);

      expect(run.status).toBe("failed");
      expect(stepOf(run, "publish").status).toBe("succeeded");
      expect(stepOf(run, "verify").status).toBe("failed");
      const reason = (stepOf(run, "verify").error as { message: string }).message;
      expect(reason).toContain("failed its check");
      expect(reason).toContain("/about/ (HTTP 404)");
      expect(stepOf(run, "notify").status).not.toBe("succeeded");
      expect(await clientEmails(db, run)).toBe(0);

      // The operator: the admin message says which stage and why; the dashboard's failed-runs alert fires.
      const text = await adminAlertText(db, run);
      expect(text).toContain("failed at verify");
      expect(text).toContain("/about/ (HTTP 404)");
      await evaluateAlerts(db);
      const alerts = await queryRows<{ condition: string; state: string }>(
        db,
        sql`select r.condition, a.state from alerts a join alert_rules r on r.id = a.rule_id where r.condition = 'failed_runs' and a.state <> 'resolved'`,
      );
      expect(alerts.length).toBeGreaterThan(0);

      expectStoppedAt(await status(broken.id, broken.token), "verify", reason);
    }, 120_000);

    it("a site scoring under the QA threshold is not announced: the run stops at QA before the client email, and the client's page is not done", async () => {
      useServer();
      const db = suite.db();
      // The generator gone wrong: every page loads a tracker from another origin (10 points each in QA).
      setAgentInvoker({
        async invoke(call) {
          const result = await gatewayInvoker.invoke(call);
          if (call.agent !== "automation" || call.action !== "build_site" || result.status !== "completed")
            return result;
          const site = result.output as Site;
          const files = site.files.map((f) =>
            f.path.endsWith(".html")
              ? {
                  ...f,
                  content: f.content.replace("</main>", '<img src="https://tracker.example/p.gif" alt=""></main>'),
                }
              : f,
          );
          return { ...result, output: { ...site, files } };
        },
      });
      const poor = await order(db, { businessName: "Tracker Bakery", contactEmail: "tracker@example.com" });
      const run = await runUntilDone(db, poor.runId, 60_000);

      expect(run.status).toBe("failed");
      expect(stepOf(run, "verify").status).toBe("succeeded");
      expect(stepOf(run, "qa").status).toBe("failed");
      const reason = (stepOf(run, "qa").error as { message: string }).message;
      expect(reason).toMatch(/^The site scored \d+\/100 in QA, under the required 90: \d+ external request\(s\)\.$/);
      expect(await clientEmails(db, run)).toBe(0);
      expect(await adminAlertText(db, run)).toContain("under the required 90");
      expectStoppedAt(await status(poor.id, poor.token), "qa", reason);
    }, 120_000);
  });
});
