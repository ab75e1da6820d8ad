/**
 * The operators' dashboard in a real browser (headless Chromium through playwright-core, see
 * tests/helpers/browser.ts)
 * against the running app (`npm start`, through tests/helpers/app-process.ts, which builds once
 * and reuses the build while the sources are unchanged): sign in with an API key, watch a run
 * that the test started move to succeeded without a reload, open its detail, cancel a sleeping
 * run, acknowledge the alert a failing workflow fires, see stale data marked when the API is
 * unreachable, use it on a phone, and sign out. Signed out (or in a fresh browser) there is no
 * data: the sign-in form only, and the APIs answer 401. A viewer sees but cannot act; the sign-in
 * works without JavaScript. Screenshots go to test-results/dashboard-*.png (git-ignored).
 *
 * The page refreshes its panels every 10 s on its own clock (SWR's timers): the test installs
 * Playwright's clock in the page and moves it past the next refresh when it expects a change
 * (`refreshUntil`), instead of waiting for the page's cadence.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { REFRESH_MS } from "@/dashboard/hooks";
import { startApp, type RunningApp } from "../helpers/app-process";
import { launchBrowser } from "../helpers/browser";

const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const DASHBOARD = "/core-platform-dashboard";
const CRON_SECRET = "e2e-dashboard-cron-secret-0123456789abcdef";
/** Real time allowed for a change to reach the page, however many refreshes it takes. */
const REFRESH_WAIT = 25_000;

let app: RunningApp;
let browser: Browser;
let admin: string;
const keys: { operator?: { id: string; key: string }; viewer?: { id: string; key: string } } = {};

async function api<T = unknown>(
  method: string,
  urlPath: string,
  options: { key?: string; body?: unknown; contentType?: string } = {},
): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { authorization: `Bearer ${options.key ?? admin}` };
  if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
  const res = await fetch(`${app.base}${urlPath}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

async function registerWorkflow(definition: { name: string; steps: unknown[] }): Promise<void> {
  const res = await api("PUT", `/api/workflows/${definition.name}`, { body: definition });
  expect([200, 201], JSON.stringify(res.body)).toContain(res.status);
}

async function startRun(workflow: string): Promise<string> {
  const res = await api<{ id: string }>("POST", `/api/workflows/${workflow}`, { key: keys.operator!.key, body: {} });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body.id;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Until `done` holds (at most `timeoutMs` of real time): moves the page's clock past its next
 * refresh, then looks for a while (the refresh's fetches take real time), and again.
 */
async function refreshUntil(
  page: Page,
  what: string,
  done: () => Promise<boolean>,
  timeoutMs = REFRESH_WAIT,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await page.clock.fastForward(REFRESH_MS);
    const lookUntil = Date.now() + 1_500;
    while (Date.now() < lookUntil && !(await done())) await new Promise((r) => setTimeout(r, 100));
  }
}

const shown = (locator: Locator) => async () => (await locator.count()) > 0;

const runStatus = async (id: string) =>
  (await api<{ status: string }>("GET", `/api/orchestration/runs/${id}`)).body.status;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  app = await startApp({ env: { STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET: "", CRON_SECRET } });
  admin = app.adminKey();
  for (const role of ["operator", "viewer"] as const) {
    const res = await api<{ id: string; key: string }>("POST", "/api/keys", {
      body: { name: `dashboard e2e ${role}`, role },
    });
    expect(res.status).toBe(201);
    keys[role] = { id: res.body.id, key: res.body.key };
  }
  // A run that takes a few seconds (so the page, refreshed at once, sees it before it ends), one
  // that sleeps for an hour (to cancel), and one whose only step always fails (the agent refuses
  // its input: no retry).
  await registerWorkflow({
    name: "e2e_quick",
    steps: [
      { name: "greet", emit: { topic: "e2e.greeted", data: { hello: "dashboard" } } },
      { name: "pause", depends_on: "greet", sleep: "5s" },
      { name: "done", depends_on: ["pause"], emit: { topic: "e2e.done", data: { run: "{{ run.id }}" } } },
    ],
  });
  await registerWorkflow({ name: "e2e_sleepy", steps: [{ name: "long_nap", sleep: "1h" }] });
  await registerWorkflow({
    name: "e2e_failing",
    steps: [
      {
        name: "verify",
        agent: "automation",
        action: "verify_deployment",
        input: { slug: "no-such-site-for-e2e" },
        retry: { max_attempts: 1 },
      },
    ],
  });
  browser = await launchBrowser();
}, 9 * 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(RESULTS, `dashboard-${name}.png`), fullPage: true });

/**
 * Console errors and page exceptions. Expected: the favicon and Vercel's analytics script (404s
 * locally), and the 401s this test provokes itself by calling the API while signed out.
 */
function watchErrors(page: Page): { errors: string[]; paused: boolean } {
  const state = { errors: [] as string[], paused: false };
  const expected404 = /\/favicon\.ico$|\/_vercel\/insights\/script\.js$/;
  page.on("pageerror", (error) => state.errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() !== "error" || state.paused || expected404.test(message.location().url)) return;
    if (/status of 401/.test(message.text()) && PROBED.has(new URL(message.location().url).pathname)) return;
    state.errors.push(`${message.text()} (${message.location().url})`);
  });
  return state;
}

async function signIn(page: Page, key: string): Promise<void> {
  await page.getByLabel("API key").fill(key);
  await Promise.all([
    page.waitForURL(`${app.base}${DASHBOARD}`),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

/** The sign-in form and nothing else: no panel, no run, no number. */
async function expectSignInOnly(page: Page): Promise<void> {
  await page.getByLabel("API key").waitFor();
  expect(await page.getByLabel("API key").getAttribute("type")).toBe("password");
  expect(await page.getByRole("button", { name: "Sign in" }).count()).toBe(1);
  expect(await page.locator(".dash-panel").count()).toBe(0);
  expect(await page.getByRole("heading", { name: "Runs" }).count()).toBe(0);
  expect(await page.getByRole("button", { name: "Sign out" }).count()).toBe(0);
}

/** Paths this test calls from the page to prove they answer 401 without a session. */
const PROBED = new Set<string>();

async function apiStatusFromPage(page: Page, urlPath: string): Promise<number> {
  PROBED.add(new URL(urlPath, "http://x").pathname);
  return page.evaluate(async (p) => (await fetch(p, { credentials: "same-origin" })).status, urlPath);
}

it("signs in, follows a run to succeeded without a reload, opens it, cancels a sleeping run, acknowledges an alert, marks stale data, works on a phone, and signs out", async () => {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  const page = await context.newPage();
  await page.clock.install();
  const watched = watchErrors(page);

  // Signed out: the form only, and a wrong key gets an inline error.
  const first = await page.goto(`${app.base}${DASHBOARD}`);
  expect(first?.status()).toBe(200);
  await expectSignInOnly(page);
  expect(await apiStatusFromPage(page, "/api/orchestration/runs")).toBe(401);
  await page.getByLabel("API key").fill("aok_not-a-real-key-not-a-real-key-not-a-real-k");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("This API key is unknown or revoked.").waitFor();
  expect(await page.getByLabel("API key").getAttribute("aria-invalid")).toBe("true");
  await shot(page, "0-sign-in-error");

  await signIn(page, keys.operator!.key);
  const cookie = (await context.cookies()).find((c) => c.name === "orchestrator_session");
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Lax", path: "/" });
  expect(cookie!.value).not.toContain(keys.operator!.key);
  expect(await page.getByText(`key:${keys.operator!.id}`).count()).toBe(1);
  // A marker that a reload would wipe: the run below must change state in this same document.
  await page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));

  // A run started by the test appears, not yet finished, then turns succeeded on its own.
  const quick = await startRun("e2e_quick");
  const quickRow = page.locator(`[data-run-id="${quick}"]`);
  await refreshUntil(page, "the run to appear", shown(quickRow));
  const seenFirst = await quickRow.getAttribute("data-status");
  expect(["queued", "running", "waiting"]).toContain(seenFirst);
  await refreshUntil(
    page,
    "the run to succeed",
    shown(page.locator(`[data-run-id="${quick}"][data-status="succeeded"]`)),
  );
  expect(await quickRow.locator(".dash-status").innerText()).toMatch(/succeeded/i);
  expect(await page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload)).toBe(true);

  // Its detail: every step with its attempts, and the timeline's bars.
  await quickRow.getByRole("button").click();
  const detail = page.locator(`[data-run-detail="${quick}"]`);
  await detail.waitFor();
  expect(await page.getByRole("heading", { name: `Run ${quick.slice(0, 8)}` }).count()).toBe(1);
  expect(await detail.locator(".dash-step").count()).toBe(3);
  expect(await detail.locator(".dash-gantt-rows > li").count()).toBe(3);
  expect(await detail.locator(".dash-gantt-bar").count()).toBeGreaterThanOrEqual(3);
  // The sleep is the longest bar: 5 s of a run of about 5 s.
  const widths = await detail
    .locator(".dash-gantt-rows > li")
    .evaluateAll((rows) =>
      rows.map((r) => (r.querySelector(".dash-gantt-bar") as HTMLElement | null)?.style.width ?? ""),
    );
  expect(parseFloat(widths[1]!)).toBeGreaterThan(80);
  await detail.locator('[data-step="greet"] summary').click();
  const greet = detail.locator('[data-step="greet"]');
  expect(await greet.getByRole("heading", { name: "Input" }).count()).toBe(1);
  expect(await greet.getByRole("heading", { name: "Output" }).count()).toBe(1);
  expect(await greet.locator("pre").first().innerText()).toContain("e2e.greeted");
  expect(await greet.getByRole("table", { name: "Attempts" }).locator("tbody tr").count()).toBe(1);
  expect(await detail.getByRole("button", { name: "Cancel run" }).count()).toBe(0); // it has ended
  await shot(page, "1-run-detail");

  // Cancel a sleeping run, found by its full id.
  const sleepy = await startRun("e2e_sleepy");
  await waitFor("the sleeping run to wait", async () => ((await runStatus(sleepy)) === "waiting" ? true : undefined));
  await page.getByLabel("Run id").fill(sleepy);
  await page.getByLabel("Run id").press("Enter");
  const sleepyDetail = page.locator(`[data-run-detail="${sleepy}"]`);
  await sleepyDetail.waitFor();
  await sleepyDetail.getByRole("button", { name: "Cancel run" }).click();
  await page.getByText("Run cancelled.").waitFor();
  await page.locator(`[data-run-detail="${sleepy}"][data-status="cancelled"]`).waitFor();
  expect(await runStatus(sleepy)).toBe("cancelled");
  expect(await sleepyDetail.getByRole("button", { name: "Cancel run" }).count()).toBe(0);
  await page.getByLabel("Run id").fill("");

  // A failing workflow fires the failed-runs alert; acknowledge it from the page.
  const failing = await startRun("e2e_failing");
  await waitFor("the failing run to fail", async () => ((await runStatus(failing)) === "failed" ? true : undefined));
  const evaluated = await fetch(`${app.base}/api/alerts/evaluate`, {
    headers: { authorization: `Bearer ${CRON_SECRET}` },
  });
  expect(evaluated.status).toBe(200);
  const active = await api<{ alerts: { id: string; ruleName: string }[] }>("GET", "/api/alerts?state=active");
  const alert = active.body.alerts.find((a) => a.ruleName === "Failed runs");
  expect(alert, JSON.stringify(active.body)).toBeDefined();
  const alertItem = page.locator(`[data-alert-id="${alert!.id}"]`);
  await refreshUntil(page, "the alert to appear", shown(alertItem));
  expect(await alertItem.innerText()).toContain("Failed runs");
  await shot(page, "2-laptop");
  await alertItem.getByRole("button", { name: /^Acknowledge alert Failed runs/ }).click();
  await page.getByText("Acknowledged “Failed runs”.").waitFor();
  await alertItem.waitFor({ state: "detached" });
  const acknowledged = await api<{ alerts: { id: string; acknowledgedBy: string | null }[] }>(
    "GET",
    "/api/alerts?state=acknowledged",
  );
  expect(acknowledged.body.alerts.find((a) => a.id === alert!.id)?.acknowledgedBy).toBe(`key:${keys.operator!.id}`);

  // The failed run's detail offers Retry; the charts and panels are all there.
  expect(await page.getByRole("heading", { name: "Agent latency and throughput" }).count()).toBe(1);
  expect(await page.locator(".dash-chart-svg").count()).toBe(2);
  await page.getByRole("radio", { name: "6 hours" }).check();
  await page.getByLabel("Agent", { exact: true }).selectOption("automation");
  expect(await page.locator(".dash-agent").count()).toBeGreaterThanOrEqual(5);
  expect(await page.locator(".dash-score-value").innerText()).toMatch(/^\d{1,3}$/);
  expect(watched.errors).toEqual([]);

  // The API becomes unreachable: every panel keeps its data, marked stale; then it recovers.
  watched.paused = true;
  await page.route("**/api/**", (route) => route.abort("connectionrefused"));
  await refreshUntil(page, "stale data to be marked", shown(page.getByText(/Stale — last updated \d\d:\d\d:\d\d/)));
  // Each panel notices at its own next refresh: health, queue, alerts, runs, run, charts, gateway
  // tuning, result cache, retention, backups, outbox, events, failed Shopify deliveries.
  expect(await page.locator(".dash-panel").count()).toBe(13);
  await refreshUntil(
    page,
    "every panel to be marked stale",
    async () => (await page.locator('.dash-panel[data-stale="true"]').count()) === 13,
  );
  expect(await page.locator(`[data-run-id="${quick}"]`).count()).toBe(1); // the data is still shown
  await shot(page, "3-stale");
  await page.unroute("**/api/**");
  await refreshUntil(
    page,
    "every panel to be fresh again",
    async () => (await page.locator('.dash-panel[data-stale="true"]').count()) === 0,
  );
  watched.paused = false;

  // On a phone: nothing wider than the screen, buttons at least 40 px tall.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator(`[data-run-id="${failing}"] button`).click();
  const failedDetail = page.locator(`[data-run-detail="${failing}"]`);
  await failedDetail.waitFor();
  await failedDetail.getByRole("button", { name: "Retry run" }).waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  for (const button of await page.locator("main button:visible").all()) {
    const box = await button.boundingBox();
    expect(box?.height ?? 0, (await button.innerText()) || "a button").toBeGreaterThanOrEqual(40);
  }
  await shot(page, "4-phone");
  // What a phone shows at once: the top of the page, and the run's detail.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: path.join(RESULTS, "dashboard-5-phone-top.png") });
  await failedDetail.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(RESULTS, "dashboard-5-phone-run.png") });

  // Sign out: the form only, and the cookie no longer opens the API.
  await page.setViewportSize({ width: 1366, height: 900 });
  await Promise.all([
    page.waitForURL(`${app.base}${DASHBOARD}`),
    page.getByRole("button", { name: "Sign out" }).click(),
  ]);
  await expectSignInOnly(page);
  expect((await context.cookies()).some((c) => c.name === "orchestrator_session" && c.value !== "")).toBe(false);
  expect(await apiStatusFromPage(page, "/api/orchestration/runs")).toBe(401);
  expect(await apiStatusFromPage(page, "/api/health/agents")).toBe(401);
  expect(await apiStatusFromPage(page, "/api/session")).toBe(401);
  await shot(page, "6-signed-out");
  expect(watched.errors).toEqual([]);
  await context.close();
}, 240_000);

it("shows no data to a fresh browser: the sign-in form only, and every API the page reads answers 401", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${app.base}${DASHBOARD}`);
  await expectSignInOnly(page);
  const html = await page.content();
  expect(html).not.toMatch(/e2e_quick|e2e_sleepy|Failed runs/);
  for (const p of [
    "/api/health/agents",
    "/api/system/monitoring",
    "/api/orchestration/runs",
    "/api/workflows",
    "/api/metrics?name=agent.call.duration",
    "/api/alerts?state=active",
    "/api/outbox",
    "/api/events",
    "/api/session",
  ]) {
    expect(await apiStatusFromPage(page, p), p).toBe(401);
  }
  await context.close();
}, 60_000);

it("lets a viewer see everything but act on nothing", async () => {
  const context: BrowserContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.clock.install();
  await page.goto(`${app.base}${DASHBOARD}`);
  await signIn(page, keys.viewer!.key);
  expect(await page.locator(".dash-role").innerText()).toMatch(/viewer/i);
  // An unfinished run, which an operator could cancel: the viewer gets its detail, not the button.
  const sleepy = await startRun("e2e_sleepy");
  const row = page.locator(`[data-run-id="${sleepy}"]`);
  await refreshUntil(page, "the run to appear", shown(row));
  await row.getByRole("button").click();
  await page.locator(`[data-run-detail="${sleepy}"]`).waitFor();
  expect(await page.locator(`[data-run-detail="${sleepy}"] .dash-step`).count()).toBe(1);
  expect(await page.getByRole("button", { name: /Cancel run|Retry run|Acknowledge/ }).count()).toBe(0);
  // The API agrees: a viewer's session cannot cancel, even from the page's own scripts.
  const status = await page.evaluate(async () => {
    const res = await fetch("/api/orchestration/runs/00000000-0000-4000-8000-000000000000/cancel", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-Requested-With": "dashboard" },
    });
    return res.status;
  });
  expect(status).toBe(403);
  // The operations panels (issue 17) read viewer-level APIs: each shows its data, none is stale.
  for (const title of ["Adaptive timeouts and throttling", "Agent result cache", "Retention", "Backups"]) {
    const panel = page.locator("section.dash-panel", { has: page.getByRole("heading", { name: title, exact: true }) });
    await panel.waitFor();
    await refreshUntil(
      page,
      `the ${title} panel to load`,
      async () => (await panel.getByText(/^Loading /).count()) === 0,
    );
    expect(await panel.getAttribute("data-stale"), title).toBe("false");
  }
  await shot(page, "7-viewer");
  await context.close();
}, 60_000);

it("signs in and out without JavaScript (server actions as plain form posts)", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${app.base}${DASHBOARD}`);
  await page.getByLabel("API key").fill("aok_wrong-wrong-wrong-wrong-wrong-wrong-wrong-wro");
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  await page.getByText("This API key is unknown or revoked.").waitFor();
  await page.getByLabel("API key").fill(keys.viewer!.key);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Sign in" }).click(),
  ]);
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  expect(await page.getByRole("heading", { name: "Core platform" }).count()).toBe(1);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Sign out" }).click(),
  ]);
  await expectSignInOnly(page);
  await context.close();
}, 60_000);
