/**
 * A client orders a site in a real browser (headless Chromium through playwright-core, see
 * tests/helpers/browser.ts)
 * against the running app (`npm start`, test mode: no Stripe keys): the /start form with its
 * server-side errors, the live progress page until done, the published site and its pages;
 * then the same form with JavaScript off (plain form posts to the server action).
 * Screenshots go to test-results/ (git-ignored).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startApp, type RunningApp } from "../helpers/app-process";
import { launchBrowser } from "../helpers/browser";

const RESULTS = fileURLToPath(new URL("../../test-results/", import.meta.url));
const PROGRESS_URL = /\/projects\/[0-9a-f-]{36}\?token=[\w-]+$/;

let app: RunningApp;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  app = await startApp({ env: { STRIPE_SECRET_KEY: "", STRIPE_WEBHOOK_SECRET: "" } });
  browser = await launchBrowser();
}, 9 * 60_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(RESULTS, `site-order-${name}.png`), fullPage: true });

interface Order {
  businessName: string;
  industry: string;
  audience: string;
  tone: string;
  language: string;
  extraPages: string[];
  email: string;
  brandColour?: string;
  tagline?: string;
}

/** Ticked when the form opens (home is always part of the site). */
const PRESELECTED_PAGES = ["About", "Services", "Contact"];

async function fillOrder(page: Page, order: Order): Promise<void> {
  await page.getByLabel("Business name").fill(order.businessName);
  await page.getByLabel("Industry").fill(order.industry);
  await page.getByLabel("Audience").fill(order.audience);
  await page.getByLabel("Tone").selectOption(order.tone);
  await page.getByLabel("Language").selectOption(order.language);
  // The form opens with the usual set ticked (issue 15): the order's pages are exactly these.
  for (const label of PRESELECTED_PAGES) {
    expect(await page.getByLabel(label, { exact: true }).isChecked(), `${label} is ticked when the form opens`).toBe(
      true,
    );
    if (!order.extraPages.includes(label)) await page.getByLabel(label, { exact: true }).uncheck();
  }
  for (const label of order.extraPages) await page.getByLabel(label, { exact: true }).check();
  await page.getByLabel("Contact email").fill(order.email);
  if (order.brandColour) await page.getByLabel("Brand colour").fill(order.brandColour);
  if (order.tagline) await page.getByLabel("Tagline").fill(order.tagline);
}

/** The error message the field's aria-describedby points at. */
async function fieldError(page: Page, label: string): Promise<string> {
  const field = page.getByLabel(label);
  expect(await field.getAttribute("aria-invalid")).toBe("true");
  const ids = (await field.getAttribute("aria-describedby"))?.split(" ") ?? [];
  const errorId = ids.find((id) => id.endsWith("-error"));
  expect(errorId, `${label} names no error element`).toBeDefined();
  return (await page.locator(`#${errorId}`).innerText()).replace(/^⚠\s*/, "");
}

it("orders a site through /start, follows it to done and visits every page of the published site", async () => {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  // Hydration mismatches and client exceptions show up here. Not ours to judge: the app has no
  // favicon, and @vercel/analytics' script exists only on Vercel.
  const browserErrors: string[] = [];
  const expected404 = /\/favicon\.ico$|\/_vercel\/insights\/script\.js$/;
  page.on("pageerror", (error) => browserErrors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !expected404.test(message.location().url))
      browserErrors.push(`${message.text()} (${message.location().url})`);
  });
  const order: Order = {
    businessName: "Harbour Lights Bakery",
    industry: "Artisan bakery",
    audience: "Families and office workers in the old port looking for fresh bread and pastries",
    tone: "friendly",
    language: "en",
    extraPages: ["About", "Services", "Contact", "FAQ"],
    email: "not-an-email",
    brandColour: "#b5532a",
    tagline: "Baked before sunrise, every day",
  };

  const start = await page.goto(`${app.base}/start`);
  expect(start?.status()).toBe(200);
  // Issue 15: app pages cannot be framed and load scripts from the app only (as built and served).
  const pageCsp = (await start?.allHeaders())?.["content-security-policy"] ?? "";
  expect(pageCsp).toContain("frame-ancestors 'none'");
  expect(await page.locator("html").getAttribute("lang")).toBe("en");
  expect(await page.locator("h1").count()).toBe(1);
  expect(await page.getByText("Test mode: no payment is taken; your site is generated at once.").count()).toBe(1);
  expect(await page.getByLabel("Home", { exact: true }).isChecked()).toBe(true);
  await fillOrder(page, order);
  await shot(page, "1-form");

  // Invalid email: the server's message next to the field, every value kept.
  await page.getByRole("button", { name: "Create my website" }).click();
  await page.waitForSelector("#contactEmail-error");
  expect(await fieldError(page, "Contact email")).toBe("Enter a valid email address");
  expect(await page.getByLabel("Business name").inputValue()).toBe(order.businessName);
  expect(await page.getByLabel("Tone").inputValue()).toBe("friendly");
  expect(await page.getByLabel("FAQ", { exact: true }).isChecked()).toBe(true);
  expect(await page.getByLabel("Brand colour").inputValue()).toBe(order.brandColour);
  expect(page.url()).toBe(`${app.base}/start`);
  await shot(page, "2-form-invalid-email");

  await page.getByLabel("Contact email").fill("owner@harbour-lights.example");
  await Promise.all([
    page.waitForURL(PROGRESS_URL, { timeout: 30_000 }),
    page.getByRole("button", { name: "Create my website" }).click(),
  ]);
  const progressUrl = page.url();
  expect(await page.locator("h1").innerText()).toBe(order.businessName);
  expect(await page.getByText("Test mode", { exact: true }).count()).toBe(1);

  // SWR polls until the run is final.
  await page.getByRole("heading", { name: "Your website is ready" }).waitFor({ timeout: 90_000 });
  expect(await page.getByText("9 of 9 stages done").count()).toBe(1);
  const stageStatuses = await page.locator(".stage-status").allInnerTexts();
  expect(stageStatuses).toHaveLength(9);
  for (const text of stageStatuses) expect(text).toMatch(/^Done · \d+\.\d{1,2} s$/);
  expect(await page.getByText(/^Score \d+\/100/).count()).toBe(1);
  const summary = page.locator("details.campaigns summary");
  expect(await summary.innerText()).toMatch(/^[23] campaign drafts/);
  await summary.click();
  expect(await page.locator("details.campaigns li").count()).toBeGreaterThanOrEqual(6);
  await shot(page, "3-progress-done");

  expect(browserErrors).toEqual([]);

  const siteLink = page.getByRole("link", { name: "Open your website" });
  const sitePath = await siteLink.getAttribute("href");
  expect(sitePath).toMatch(/^\/sites\/[a-z0-9-]+\/$/);
  await Promise.all([page.waitForURL(`${app.base}${sitePath}`), siteLink.click()]);
  expect(await page.locator("body").innerText()).toContain(order.businessName);
  expect(await page.locator("h1").count()).toBe(1);
  await shot(page, "4-generated-home");

  const navLinks = [
    ...new Set(await page.locator("nav a").evaluateAll((links) => links.map((a) => (a as HTMLAnchorElement).href))),
  ];
  expect(navLinks.length).toBeGreaterThanOrEqual(5);
  for (const href of navLinks) {
    const res = await page.goto(href);
    expect(res?.status(), href).toBe(200);
    // A generated site is sandboxed: it shares the app's origin, so it must not act as it.
    expect((await res?.allHeaders())?.["content-security-policy"], href).toContain("sandbox");
    expect((await page.title()).trim(), href).not.toBe("");
  }

  // The progress page with a wrong or missing token is a 404, like an unknown project.
  const projectPath = new URL(progressUrl).pathname;
  expect((await page.goto(`${app.base}${projectPath}?token=wrong`))?.status()).toBe(404);
  expect((await page.goto(`${app.base}${projectPath}`))?.status()).toBe(404);

  // A cancelled Stripe checkout comes back to a friendly message.
  await page.goto(`${app.base}/start?cancelled=1`);
  expect(await page.getByText("Payment cancelled: nothing was charged.").count()).toBe(1);

  // On a phone: nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${app.base}/start`);
  expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(page, "5-form-phone");
  await context.close();
}, 180_000);

it("works without JavaScript: the server renders the field errors and redirects to the progress page", async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const order: Order = {
    businessName: "Plain Post Plumbing",
    industry: "Plumbing",
    audience: "Home owners who need a reliable plumber",
    tone: "professional",
    language: "fr",
    extraPages: ["Contact"],
    email: "still not an email",
  };
  await page.goto(`${app.base}/start`);
  await fillOrder(page, order);
  await Promise.all([
    page.waitForLoadState("load"),
    page.waitForResponse((r) => r.request().method() === "POST"),
    page.getByRole("button", { name: "Create my website" }).click(),
  ]);
  await page.waitForSelector("#contactEmail-error");
  expect(await fieldError(page, "Contact email")).toBe("Enter a valid email address");
  expect(await page.getByLabel("Business name").inputValue()).toBe(order.businessName);
  expect(await page.getByLabel("Language").inputValue()).toBe("fr");
  expect(await page.getByLabel("Contact", { exact: true }).isChecked()).toBe(true);
  expect(await page.getByLabel("About", { exact: true }).isChecked()).toBe(false);
  await shot(page, "6-nojs-invalid-email");

  await page.getByLabel("Contact email").fill("hello@plain-post.example");
  await Promise.all([
    page.waitForURL(PROGRESS_URL, { timeout: 30_000 }),
    page.getByRole("button", { name: "Create my website" }).click(),
  ]);
  expect(await page.locator("h1").innerText()).toBe(order.businessName);
  expect(await page.getByText("Test mode", { exact: true }).count()).toBe(1);
  expect(await page.getByRole("heading", { name: "Stages" }).count()).toBe(1);
  await context.close();
}, 60_000);
