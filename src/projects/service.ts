/**
 * Site orders. A project is created from the order form; with Stripe configured it waits for
 * a paid Checkout session (the run starts from the verified webhook, keyed by the session id,
 * so duplicates and retries start nothing twice); without Stripe (test mode) its run starts
 * at once. The client follows it with an unguessable token (only its hash is stored).
 */
import { createHash, randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type Stripe from "stripe";
import { queryRows, type Db } from "@/db/client";
import { projects } from "@/db/schema";
import { publicBaseUrl } from "@/env";
import { NotConfiguredError, NotFoundError } from "@/errors";
import { kickTick } from "@/engine/kick";
import { getRun, type RunView } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { createCheckoutSession, stripeConfigured } from "@/integrations/stripe";
import { log } from "@/observability/log";
import { openOrderForm, sealOrderForm } from "./personal";
import { PRICE_CENTS, PRICE_CURRENCY, type OrderForm } from "./schema";
import { ensureProjectSiteSlug } from "./site-slug";

export const SITE_WORKFLOW = "site_generation";

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export interface CreatedProject {
  id: string;
  token: string;
  /** The client's progress page (relative). */
  statusPath: string;
  /** Where to send the client next: Stripe Checkout, or the progress page in test mode. */
  nextUrl: string;
  testMode: boolean;
}

export async function createProject(
  db: Db,
  form: OrderForm,
  options: { origin?: string } = {},
): Promise<CreatedProject> {
  const token = randomBytes(24).toString("base64url");
  const testMode = !stripeConfigured();
  const insert = (target: Db) =>
    target
      .insert(projects)
      // The order form only encrypted (src/projects/personal.ts): the contact email and the brief are the client's.
      .values({
        tokenHash: hashToken(token),
        ...sealOrderForm(form),
        paymentStatus: testMode ? "test_mode" : "awaiting_payment",
      })
      .returning({ id: projects.id });
  if (testMode) {
    // The project and its run together, or neither (e.g. the workflow is not registered).
    const id = await db.transaction(async (tx) => {
      const [row] = await insert(tx);
      await startProjectRun(tx, row!.id, `project:${row!.id}`);
      return row!.id;
    });
    await kickTick(db);
    const statusPath = `/projects/${id}?token=${token}`;
    return { id, token, statusPath, nextUrl: statusPath, testMode };
  }
  const [row] = await insert(db);
  const id = row!.id;
  const statusPath = `/projects/${id}?token=${token}`;
  const origin = options.origin ?? publicBaseUrl() ?? "";
  const session = await createCheckoutSession({
    projectId: id,
    email: form.contactEmail,
    businessName: form.businessName,
    amountCents: PRICE_CENTS,
    currency: PRICE_CURRENCY,
    successUrl: `${origin}${statusPath}`,
    cancelUrl: `${origin}/start?cancelled=1`,
  });
  await db.update(projects).set({ checkoutSessionId: session.id }).where(eq(projects.id, id));
  return { id, token, statusPath, nextUrl: session.url, testMode };
}

/**
 * Starts (once per key) the project's site_generation run and links it to the project. The run's
 * input is the project id and its site's address (public, src/sites/slugs.ts): the steps read the brief and the email from the project when
 * they need them (src/projects/personal.ts), so run and step rows never hold them in clear.
 */
async function startProjectRun(
  db: Db,
  projectId: string,
  idempotencyKey: string,
): Promise<{ runId: string; created: boolean }> {
  const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId));
  if (!project) throw new NotFoundError(`There is no project ${projectId}.`);
  // The site's address, allocated once per project (a duplicate delivery gets the same one).
  const siteSlug = await ensureProjectSiteSlug(db, projectId);
  let started;
  try {
    started = await startRun(db, {
      workflow: SITE_WORKFLOW,
      input: { projectId, siteSlug },
      idempotencyKey,
      trigger: { type: "project", projectId },
    });
  } catch (error) {
    // Not the client's fault: the deployment lacks its workflow.
    if (error instanceof NotFoundError)
      throw new NotConfiguredError(`The ${SITE_WORKFLOW} workflow is not registered.`);
    throw error;
  }
  await db.update(projects).set({ runId: started.id }).where(eq(projects.id, projectId));
  return { runId: started.id, created: started.created };
}

export type FulfilOutcome =
  | { started: true; projectId: string; runId: string }
  | {
      started: false;
      reason: "duplicate" | "unpaid" | "wrong_amount" | "unknown_project" | "ignored_event";
      projectId?: string;
    };

/**
 * `checkout.session.completed` (and `async_payment_succeeded`): starts the project's run when
 * the session is paid, for exactly 399.00 EUR, and names a known project. Safe to call any
 * number of times for one session: the session id is the run's idempotency key.
 */
export async function fulfilCheckout(db: Db, event: Stripe.Event): Promise<FulfilOutcome> {
  if (event.type !== "checkout.session.completed" && event.type !== "checkout.session.async_payment_succeeded")
    return { started: false, reason: "ignored_event" };
  const session = event.data.object;
  const projectId = session.metadata?.project_id ?? session.client_reference_id ?? "";
  const [project] = /^[0-9a-f-]{36}$/i.test(projectId)
    ? await db.select().from(projects).where(eq(projects.id, projectId))
    : [];
  if (!project) {
    log.warn("stripe: a paid session names no project of ours", { event: event.id, session: session.id });
    return { started: false, reason: "unknown_project" };
  }
  if (session.payment_status !== "paid") return { started: false, reason: "unpaid", projectId };
  if (session.amount_total !== PRICE_CENTS || session.currency !== PRICE_CURRENCY) {
    log.error("stripe: refused a session whose amount is not 399.00 EUR", {
      event: event.id,
      session: session.id,
      amountTotal: session.amount_total,
      currency: session.currency,
      projectId,
    });
    return { started: false, reason: "wrong_amount", projectId };
  }
  await db
    .update(projects)
    .set({
      paymentStatus: "paid",
      paidAt: sql`coalesce(${projects.paidAt}, now())`,
      checkoutSessionId: session.id,
      amountTotal: session.amount_total,
      currency: session.currency,
    })
    .where(eq(projects.id, projectId));
  const { runId, created } = await startProjectRun(db, projectId, session.id);
  if (created) await kickTick(db);
  return created ? { started: true, projectId, runId } : { started: false, reason: "duplicate", projectId };
}

/** The stages the client sees, in order, and the workflow steps behind each. */
export const STAGES = [
  { key: "brief", label: "Reading your brief", steps: ["brief"] },
  { key: "design", label: "Designing your look", steps: ["design"] },
  { key: "content", label: "Writing your pages", steps: ["content"] },
  { key: "build", label: "Building the site", steps: ["build"] },
  { key: "publish", label: "Publishing", steps: ["publish"] },
  { key: "verify", label: "Checking the published pages", steps: ["verify"] },
  { key: "campaigns", label: "Drafting ad campaigns", steps: ["campaigns"] },
  { key: "qa", label: "Quality report", steps: ["qa"] },
  { key: "notify", label: "Emailing you", steps: ["notify"] },
] as const;

export interface ProjectStatus {
  id: string;
  businessName: string;
  paymentStatus: string;
  testMode: boolean;
  /** waiting_for_payment, queued, running, done, failed, cancelled. */
  status: string;
  stages: {
    key: string;
    label: string;
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
    durationMs: number | null;
    error: string | null;
  }[];
  site: { url: string; path: string } | null;
  qa: { passed: boolean; score: number } | null;
  campaigns: unknown[] | null;
  error: string | null;
  createdAt: string;
}

/**
 * What the client's page says of a failure. Decision: never the step's error itself. Anyone
 * holding the link sees this page, and step errors are written for operators: hosts, internal
 * ids (another project's, for a refused address), agent and database messages. The operator
 * reads the real error on the dashboard (the run's steps, the admin alert).
 */
export const CLIENT_STAGE_ERROR = "This stage could not be completed. Our team has been alerted.";
export const CLIENT_RUN_ERROR =
  "Your website could not be finished. Our team has been alerted and will get back to you.";

/** The client's view of a project; a wrong or missing token is a 404, exactly like an unknown id. */
export async function getProjectStatus(db: Db, id: string, token: string): Promise<ProjectStatus> {
  const notFound = new NotFoundError("There is no such project.");
  if (!/^[0-9a-f-]{36}$/i.test(id) || !token) throw notFound;
  const [project] = await queryRows<{
    id: string;
    token_hash: string;
    brief: unknown;
    brief_sealed: string | null;
    payment_status: string;
    run_id: string | null;
    created_at: unknown;
  }>(
    db,
    sql`select id, token_hash, brief, brief_sealed, payment_status, run_id, created_at from projects where id = ${id}`,
  );
  if (!project || project.token_hash !== hashToken(token)) throw notFound;
  const run: RunView | null = project.run_id ? await getRun(db, project.run_id) : null;
  const stepOf = (name: string) => run?.steps.find((s) => s.name === name);
  const stages = STAGES.map((stage) => {
    const step = stepOf(stage.steps[0]);
    const startedAt = step?.startedAt ?? null;
    const finishedAt = step?.finishedAt ?? null;
    return {
      key: stage.key,
      label: stage.label,
      status: step ? (step.status === "succeeded" ? "done" : step.status) : "pending",
      startedAt,
      finishedAt,
      durationMs: startedAt && finishedAt ? new Date(finishedAt).getTime() - new Date(startedAt).getTime() : null,
      error: step?.status === "failed" ? CLIENT_STAGE_ERROR : null,
    };
  });
  const output = (run?.status === "succeeded" ? run.output : null) as {
    siteUrl?: string;
    sitePath?: string;
    qa?: { passed: boolean; score: number };
    campaigns?: unknown[];
  } | null;
  const status = !run
    ? project.payment_status === "awaiting_payment"
      ? "waiting_for_payment"
      : "queued"
    : run.status === "succeeded"
      ? "done"
      : run.status;
  return {
    id: project.id,
    // The client holds the token: they see their own business name (empty once their data was erased).
    businessName: openOrderForm({ briefSealed: project.brief_sealed, brief: project.brief })?.businessName ?? "",
    paymentStatus: project.payment_status,
    testMode: project.payment_status === "test_mode",
    status,
    stages,
    site: output?.siteUrl ? { url: output.siteUrl, path: output.sitePath ?? output.siteUrl } : null,
    qa: output?.qa ?? null,
    campaigns: output?.campaigns ?? null,
    error: run?.status === "failed" ? CLIENT_RUN_ERROR : null,
    createdAt: new Date(project.created_at as string).toISOString(),
  };
}
