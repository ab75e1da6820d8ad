/**
 * The dashboard's session over HTTP: POST/GET/DELETE /api/session, and the session cookie as a
 * credential of every API-key route (withApiKey), with its anti-CSRF header on mutations.
 */
import { sql } from "drizzle-orm";
import { afterEach, expect, it } from "vitest";
import { createApiKey, revokeApiKey } from "@/auth/api-keys";
import { listAudit } from "@/auth/audit";
import { DELETE as signOut, GET as whoAmI, POST as signIn } from "@/app/api/session/route";
import { GET as listRuns } from "@/app/api/orchestration/runs/route";
import { POST as cancelRun } from "@/app/api/orchestration/runs/[id]/cancel/route";
import { queryRows } from "@/db/client";
import type { RouteHandler } from "@/http/wrappers";
import { describeDb } from "../helpers/db";
import { call, callJson } from "../helpers/http";

const UNKNOWN_RUN = "00000000-0000-4000-8000-000000000000";
let addressCounter = 0;
/** Each test logs in from its own address, so the per-address login limit is the rate test's alone. */
const freshAddress = () => `198.51.100.${++addressCounter}`;

interface SessionBody {
  role: string;
  actor: string;
}

describeDb("dashboard session API", (suite) => {
  afterEach(() => {
    delete process.env.ADMIN_API_KEY;
  });

  async function login(apiKey: string, address = freshAddress()): Promise<{ res: Response; cookie: string | null }> {
    const res = await call(signIn, "/api/session", {
      method: "POST",
      body: { apiKey },
      headers: { "x-forwarded-for": address },
    });
    const setCookie = res.headers.get("set-cookie");
    return { res, cookie: setCookie ? setCookie.split(";")[0]! : null };
  }

  const withCookie = (
    handler: RouteHandler,
    path: string,
    cookie: string,
    init: { method?: string; headers?: Record<string, string>; params?: Record<string, string> } = {},
  ) => call(handler, path, { method: init.method, headers: { cookie, ...init.headers }, params: init.params });

  it("signs in with an API key: 200 {role, actor}, an httpOnly SameSite=Lax cookie, and neither the key nor the token in the body", async () => {
    const { key, apiKey } = await createApiKey(suite.db(), { name: "dash operator", role: "operator" });
    const { res, cookie } = await login(key);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ role: "operator", actor: `key:${apiKey.id}` });
    expect(text).not.toContain(key);
    const setCookie = res.headers.get("set-cookie")!;
    expect(setCookie).toMatch(
      /^orchestrator_session=[\w-]+\.[\w-]+\.[\w-]+; Path=\/; Max-Age=43200; HttpOnly; SameSite=Lax$/,
    );
    expect(setCookie).not.toContain(key);
    expect(text).not.toContain(cookie!.split("=")[1]);
    expect(res.headers.get("cache-control")).toBe("no-store");

    const me = await callJson<SessionBody>(whoAmI, "/api/session", { headers: { cookie: cookie! } });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ role: "operator", actor: `key:${apiKey.id}` });

    const audit = await listAudit(suite.db(), { limit: 10 });
    expect(
      audit.entries.some((e) => e.action === "session.login" && e.actor === `key:${apiKey.id}` && e.outcome === 200),
    ).toBe(true);
  });

  it("refuses an unknown key with a 401 JSON error and sets no cookie", async () => {
    const { res } = await login("aok_unknownunknownunknownunknownunknownunknown1");
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
  });

  it("lets the session cookie stand in for the key on API routes, and a tampered cookie does not", async () => {
    const { key } = await createApiKey(suite.db(), { name: "dash viewer", role: "viewer" });
    const { cookie } = await login(key);
    expect((await withCookie(listRuns, "/api/orchestration/runs", cookie!)).status).toBe(200);
    expect((await call(listRuns, "/api/orchestration/runs")).status).toBe(401);
    const tampered = cookie!.slice(0, -3) + (cookie!.endsWith("AAA") ? "BBB" : "AAA");
    expect((await withCookie(listRuns, "/api/orchestration/runs", tampered)).status).toBe(401);
    expect((await callJson(whoAmI, "/api/session", { headers: { cookie: tampered } })).status).toBe(401);
  });

  it("an Authorization header wins over the cookie: a bad bearer key is a 401 even with a valid session", async () => {
    const { key } = await createApiKey(suite.db(), { name: "dash viewer 2", role: "viewer" });
    const { cookie } = await login(key);
    const res = await withCookie(listRuns, "/api/orchestration/runs", cookie!, {
      headers: { authorization: "Bearer aok_unknownunknownunknownunknownunknownunknown1" },
    });
    expect(res.status).toBe(401);
  });

  it("ends the session as soon as its key is revoked", async () => {
    const { key, apiKey } = await createApiKey(suite.db(), { name: "to revoke", role: "operator" });
    const { cookie } = await login(key);
    expect((await withCookie(listRuns, "/api/orchestration/runs", cookie!)).status).toBe(200);
    await revokeApiKey(suite.db(), apiKey.id);
    expect((await withCookie(listRuns, "/api/orchestration/runs", cookie!)).status).toBe(401);
    expect((await callJson(whoAmI, "/api/session", { headers: { cookie: cookie! } })).status).toBe(401);
  });

  it("signs in with ADMIN_API_KEY, and the session ends when ADMIN_API_KEY changes", async () => {
    process.env.ADMIN_API_KEY = "env-admin-key-for-session-tests-0123456789";
    const { res, cookie } = await login(process.env.ADMIN_API_KEY);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ role: "admin", actor: "env:ADMIN_API_KEY" });
    expect(cookie).not.toContain(process.env.ADMIN_API_KEY);
    expect((await callJson<SessionBody>(whoAmI, "/api/session", { headers: { cookie: cookie! } })).body.role).toBe(
      "admin",
    );
    process.env.ADMIN_API_KEY = "env-admin-key-rotated-0123456789abcdefghij";
    expect((await callJson(whoAmI, "/api/session", { headers: { cookie: cookie! } })).status).toBe(401);
    delete process.env.ADMIN_API_KEY;
    expect((await withCookie(listRuns, "/api/orchestration/runs", cookie!)).status).toBe(401);
  });

  it("refuses a mutating call made with the cookie but without X-Requested-With: dashboard (403), and lets it through with it", async () => {
    const { key } = await createApiKey(suite.db(), { name: "dash operator csrf", role: "operator" });
    const { cookie } = await login(key);
    const path = `/api/orchestration/runs/${UNKNOWN_RUN}/cancel`;
    const forged = await withCookie(cancelRun, path, cookie!, { method: "POST", params: { id: UNKNOWN_RUN } });
    expect(forged.status).toBe(403);
    expect(((await forged.json()) as { error: { message: string } }).error.message).toMatch(/x-requested-with/i);
    const wrongValue = await withCookie(cancelRun, path, cookie!, {
      method: "POST",
      params: { id: UNKNOWN_RUN },
      headers: { "x-requested-with": "XMLHttpRequest" },
    });
    expect(wrongValue.status).toBe(403);
    const fromDashboard = await withCookie(cancelRun, path, cookie!, {
      method: "POST",
      params: { id: UNKNOWN_RUN },
      headers: { "x-requested-with": "dashboard" },
    });
    expect(fromDashboard.status).toBe(404); // authenticated and allowed: the run just does not exist
    // A bearer key needs no such header (no ambient credential, nothing to forge).
    expect((await call(cancelRun, path, { method: "POST", key, params: { id: UNKNOWN_RUN } })).status).toBe(404);
  });

  it("keeps roles: a viewer's session cannot act (403) even with the dashboard header", async () => {
    const { key } = await createApiKey(suite.db(), { name: "dash viewer act", role: "viewer" });
    const { cookie } = await login(key);
    const res = await withCookie(cancelRun, `/api/orchestration/runs/${UNKNOWN_RUN}/cancel`, cookie!, {
      method: "POST",
      params: { id: UNKNOWN_RUN },
      headers: { "x-requested-with": "dashboard" },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/operator/);
  });

  it("signs out: DELETE clears the cookie, and GET without a cookie is a 401", async () => {
    const res = await call(signOut, "/api/session", { method: "DELETE" });
    expect(res.status).toBe(200);
    expect(res.headers.get("set-cookie")).toMatch(/^orchestrator_session=; Path=\/; Max-Age=0; HttpOnly; SameSite=Lax/);
    const me = await callJson<{ error: { code: string } }>(whoAmI, "/api/session");
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe("unauthorized");
  });

  it("signing out revokes the token server-side: a copy of the cookie no longer works, for GET /api/session or any API call", async () => {
    const { key } = await createApiKey(suite.db(), { name: "dash signout", role: "viewer" });
    const { cookie } = await login(key);
    const other = await login(key);
    // A copy kept elsewhere (another tab, a stolen cookie) works before the sign-out...
    expect((await withCookie(whoAmI, "/api/session", cookie!)).status).toBe(200);
    expect((await withCookie(listRuns, "/api/orchestration/runs", cookie!)).status).toBe(200);
    const out = await withCookie(signOut, "/api/session", cookie!, { method: "DELETE" });
    expect(out.status).toBe(200);
    // ...and not after it.
    expect((await withCookie(whoAmI, "/api/session", cookie!)).status).toBe(401);
    const api = await withCookie(listRuns, "/api/orchestration/runs", cookie!);
    expect(api.status).toBe(401);
    expect(((await api.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
    // Another session of the same key is its own: it stays signed in.
    expect((await withCookie(whoAmI, "/api/session", other.cookie!)).status).toBe(200);
    const audit = await listAudit(suite.db(), { limit: 20 });
    expect(audit.entries.some((e) => e.action === "session.logout")).toBe(true);
  });

  it("signing out with a forged or foreign token records nothing", async () => {
    const before = await queryRows<{ n: number }>(suite.db(), sql`select count(*)::int as n from seen_signatures`);
    const res = await call(signOut, "/api/session", {
      method: "DELETE",
      headers: { cookie: "orchestrator_session=eyJhbGciOiJIUzI1NiJ9.e30.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" },
    });
    expect(res.status).toBe(200);
    const after = await queryRows<{ n: number }>(suite.db(), sql`select count(*)::int as n from seen_signatures`);
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("rate-limits login attempts per client address: after a burst of 10, a 429 with Retry-After; another address is not affected", async () => {
    const address = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++)
      statuses.push((await login("aok_wrongwrongwrongwrongwrongwrongwrongwrongwro", address)).res.status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
    const limited = await login("aok_wrongwrongwrongwrongwrongwrongwrongwrongwro", address);
    expect(limited.res.status).toBe(429);
    expect(Number(limited.res.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    // A right key from the limited address is refused too: the limit is on attempts, not failures.
    const { key } = await createApiKey(suite.db(), { name: "limited", role: "viewer" });
    expect((await login(key, address)).res.status).toBe(429);
    expect((await login(key)).res.status).toBe(200);
  });

  it("refuses a login body without an apiKey (400) and a non-JSON one (415)", async () => {
    const empty = await call(signIn, "/api/session", {
      method: "POST",
      body: { apiKey: "  " },
      headers: { "x-forwarded-for": freshAddress() },
    });
    expect(empty.status).toBe(400);
    const form = await call(signIn, "/api/session", {
      method: "POST",
      body: "apiKey=x",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": freshAddress() },
    });
    expect(form.status).toBe(415);
  });
});
