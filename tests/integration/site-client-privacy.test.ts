/**
 * A site client's personal data, end to end: a 399 EUR order with a recognisable contact email
 * and brief runs through the whole site_generation workflow, then every table of the database is
 * scanned for the email in clear (none), the project and the run input for the brief as typed
 * (none); the email still reaches the client (decrypted at send time, kept encrypted in the
 * outbox); the address the client chose to publish is on the site; viewers see addresses masked
 * in the run API; and an admin erases the client (by email, through its search hash), audited,
 * leaving the published site.
 */
import { readFileSync } from "node:fs";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { GET as getRunRoute } from "@/app/api/orchestration/runs/[id]/route";
import { GET as listRunsRoute } from "@/app/api/orchestration/runs/route";
import { POST as eraseRoute } from "@/app/api/privacy/site-clients/erasures/route";
import { GET as projectStatus } from "@/app/api/projects/[id]/route";
import { POST as createProjectRoute } from "@/app/api/projects/route";
import { GET as siteGet, HEAD as siteHead } from "@/app/sites/[slug]/[[...path]]/route";
import { createApiKey } from "@/auth/api-keys";
import { queryRows } from "@/db/client";
import { parseDefinition } from "@/engine/definition";
import { registerDefinition } from "@/engine/registry";
import { agentPost } from "@/http/agent-route";
import { OUTBOX_CONTEXT } from "@/notifications/personal";
import { decryptField } from "@/privacy/crypto";
import type { ProjectStatus } from "@/projects/service";
import { startAppServer, type AppServer } from "../helpers/app-server";
import { describeDb } from "../helpers/db";
import { runUntilDone } from "../helpers/engine";
import { callJson } from "../helpers/http";
import { personalDataFound } from "../helpers/privacy";

/** Recognisable: found in a dump only if it is stored in clear. */
const EMAIL = "zephyrine.quillfeather@privacy-scan.example";
const PUBLIC_EMAIL = "bonjour@lune-publique.example";
const AUDIENCE = "amateurs de brioche zephyrienne du quai";
const FORM = {
  businessName: "Boulangerie Quillfeather",
  industry: "bakery",
  audience: AUDIENCE,
  tone: "friendly",
  pages: ["home", "contact"],
  contactEmail: EMAIL,
  publicEmail: PUBLIC_EMAIL,
  language: "fr",
};

let server: AppServer;
beforeAll(async () => {
  server = await startAppServer([
    { pattern: /^\/sites\/(?<slug>[^/]+)(?:\/(?<path>.*?))?\/?$/, handlers: { GET: siteGet, HEAD: siteHead } },
    ...["design-ia", "automation", "ads", "core"].map((agent) => ({
      pattern: new RegExp(`^/api/agents/${agent}/(?<action>[^/]+)$`),
      handlers: { POST: agentPost(agent) },
    })),
  ]);
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describeDb("a site client's personal data", (suite) => {
  const keys = { viewer: "", operator: "", admin: "" };
  let projectId = "";
  let token = "";
  let runId = "";
  let sitePath = "";

  beforeAll(async () => {
    await registerDefinition(suite.db(), {
      definition: parseDefinition(readFileSync("workflows/site_generation.yaml", "utf8")),
      source: "test",
    });
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(suite.db(), { name: `privacy ${role}`, role })).key;
  });

  it("runs a site order end to end and no table holds the client's email in clear, nor the project or the run its brief as typed", async () => {
    vi.stubEnv("PUBLIC_BASE_URL", server.base);
    vi.stubEnv("STRIPE_SECRET_KEY", "");
    vi.stubEnv("SMTP_URL", "");
    const db = suite.db();
    const created = await callJson<{ id: string; token: string }>(createProjectRoute, "/api/projects", {
      method: "POST",
      body: FORM,
      headers: { "x-forwarded-for": "203.0.113.70" },
    });
    expect(created.status).toBe(201);
    ({ id: projectId, token } = created.body);
    const [project] = await queryRows<{ run_id: string }>(db, sql`select run_id from projects where id = ${projectId}`);
    runId = project!.run_id;
    const run = await runUntilDone(db, runId, 60_000);
    expect(run.status).toBe("succeeded");
    sitePath = (run.output as { sitePath: string }).sitePath;

    // The whole database: the contact email nowhere in clear (not even its local part).
    expect(await personalDataFound(db, [EMAIL, EMAIL.split("@")[0]!])).toEqual([]);
    // The order as typed is not in the project nor in the run's input (the run carries the id only).
    const [row] = await queryRows<{ dump: string }>(
      db,
      sql`select p::text as dump from projects p where id = ${projectId}`,
    );
    expect(row!.dump).not.toContain(AUDIENCE);
    expect(row!.dump).not.toContain(FORM.businessName);
    expect(run.input).toMatchObject({ projectId });
    expect(run.input).not.toHaveProperty("brief");
    expect(JSON.stringify(run.input)).not.toContain(AUDIENCE);

    // The client still gets the email: the address decrypted at send time, stored encrypted again.
    const [mail] = await queryRows<{ recipient: string; body: string }>(
      db,
      sql`select recipient, body from outbox where dedupe_key = ${`${runId}:notify`}`,
    );
    expect(decryptField(mail!.recipient, OUTBOX_CONTEXT.recipient)).toBe(EMAIL);
    // The client's own page names their business.
    const page = await callJson<ProjectStatus>(projectStatus, `/api/projects/${projectId}?token=${token}`, {
      params: { id: projectId },
    });
    expect(page.body.businessName).toBe(FORM.businessName);

    // The site publishes the address chosen for it, never the private contact email.
    const contact = await (await fetch(`${server.base}${sitePath}contact/`)).text();
    expect(contact).toContain(PUBLIC_EMAIL);
    expect(contact).not.toContain(EMAIL);
  }, 120_000);

  it("masks email addresses in the run API for viewers, and shows them to operators", async () => {
    const asViewer = await callJson<unknown>(getRunRoute, `/api/orchestration/runs/${runId}`, {
      key: keys.viewer,
      params: { id: runId },
    });
    expect(asViewer.status).toBe(200);
    const viewerText = JSON.stringify(asViewer.body);
    expect(viewerText).not.toContain(PUBLIC_EMAIL);
    expect(viewerText).toContain("b***@lune-publique.example");
    const asOperator = await callJson<unknown>(getRunRoute, `/api/orchestration/runs/${runId}`, {
      key: keys.operator,
      params: { id: runId },
    });
    expect(JSON.stringify(asOperator.body)).toContain(PUBLIC_EMAIL);
    const list = await callJson<unknown>(listRunsRoute, "/api/orchestration/runs?workflow=site_generation", {
      key: keys.viewer,
    });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain(PUBLIC_EMAIL);
  });

  it("lets only an admin erase a site client, by email through its search hash, audited without the email; the published site stays", async () => {
    const db = suite.db();
    const erase = (body: unknown, key = keys.admin) =>
      callJson<{ projectIds?: string[]; alreadyErased?: string[]; messages?: number; error?: { code: string } }>(
        eraseRoute,
        "/api/privacy/site-clients/erasures",
        { method: "POST", key, body },
      );
    expect((await erase({ email: EMAIL }, keys.operator)).status).toBe(403);
    expect((await erase({ email: "not an email" })).status).toBe(400);
    expect((await erase({ email: EMAIL, projectId })).status).toBe(400);
    expect((await erase({ projectId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);

    // By email, in another case: the search hash normalises it.
    const done = await erase({ email: EMAIL.toUpperCase() });
    expect(done).toMatchObject({ status: 200, body: { projectIds: [projectId], alreadyErased: [], messages: 1 } });
    const [project] = await queryRows<{
      brief: unknown;
      brief_sealed: string | null;
      contact_email_hash: string | null;
      erased: boolean;
    }>(
      db,
      sql`select brief, brief_sealed, contact_email_hash, erased_at is not null as erased from projects where id = ${projectId}`,
    );
    expect(project).toEqual({ brief: null, brief_sealed: null, contact_email_hash: null, erased: true });
    const [mail] = await queryRows<{ recipient: string; body: string; rich: string | null }>(
      db,
      sql`select recipient, body, rich from outbox where dedupe_key = ${`${runId}:notify`}`,
    );
    expect(mail).toEqual({ recipient: "[erased]", body: "[erased]", rich: null });
    const [audit] = await queryRows<{ actor: string; outcome: number; details: unknown }>(
      db,
      sql`select actor, outcome, details from audit_log where action = 'privacy.site_client.erase' and outcome = 200`,
    );
    expect(audit!.details).toMatchObject({ by: "email", projectIds: [projectId] });
    const auditText = JSON.stringify(await queryRows(db, sql`select * from audit_log`)).toLowerCase();
    expect(auditText).not.toContain(EMAIL);

    // Idempotent: nothing left to erase, said so.
    expect((await erase({ projectId })).body).toMatchObject({
      projectIds: [],
      alreadyErased: [projectId],
      messages: 0,
    });
    // The client's page no longer names anyone; the business's published site is still served.
    const page = await callJson<ProjectStatus>(projectStatus, `/api/projects/${projectId}?token=${token}`, {
      params: { id: projectId },
    });
    expect(page.body).toMatchObject({ status: "done", businessName: "" });
    const site = await fetch(`${server.base}${sitePath}contact/`);
    expect(site.status).toBe(200);
    expect(await site.text()).toContain(PUBLIC_EMAIL);
  });
});
