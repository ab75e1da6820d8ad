/**
 * automation/deploy_site and verify_deployment, and the route that serves published sites:
 * a deployment replaces a site's files atomically, the route answers like a static host
 * (content types, ETag revalidation, folder redirects, the site's own 404 page, no way out of
 * the site), and verification over real HTTP finds the pages and links that do not answer.
 */
import { createHash } from "node:crypto";
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { z } from "zod";
import { automation } from "@/agents/automation";
import { verificationSchema } from "@/agents/automation/verify-deployment";
import { deploymentSchema, siteSchema, type PageContent, type Site } from "@/agents/schemas";
import { GET, HEAD } from "@/app/sites/[slug]/[[...path]]/route";
import { queryRows, type Db } from "@/db/client";
import type { RouteHandler } from "@/http/wrappers";
import { SITE_CACHE_CONTROL, SITE_CSP } from "@/sites/response";
import { describeDb } from "../../helpers/db";
import { actionContext } from "../../helpers/agents";
import { brief, design, pages } from "../../unit/agents/automation-fixtures";

const { build_site: buildAction, deploy_site: deployAction, verify_deployment: verifyAction } = automation.actions;
const BASE = "https://platform.example.com";

async function buildSite(slug: string, sitePages: PageContent[] = pages): Promise<Site> {
  const input = buildAction.input.parse({ brief: { ...brief, slug }, design, pages: sitePages, baseUrl: BASE });
  return siteSchema.parse(await buildAction.handler(input, actionContext("automation", "build_site")));
}

async function deploy(db: Db, site: Site): Promise<z.output<typeof deploymentSchema>> {
  return deploymentSchema.parse(
    await deployAction.handler(
      deployAction.input.parse({ site, baseUrl: BASE }),
      actionContext("automation", "deploy_site", { db }),
    ),
  );
}

async function verify(db: Db, slug: string, baseUrl: string): Promise<z.output<typeof verificationSchema>> {
  return verificationSchema.parse(
    await verifyAction.handler(
      verifyAction.input.parse({ slug, baseUrl }),
      actionContext("automation", "verify_deployment", { db }),
    ),
  );
}

/** Calls the route like Next does: the path decoded into segments, params as a promise. */
async function get(path: string, init: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  const [, slug = "", rest = ""] = /^\/sites\/([^/]*)\/?(.*)$/.exec(path.split("?")[0]!) ?? [];
  const segments = rest
    .split("/")
    .filter((s) => s !== "")
    .map(decodeURIComponent);
  const method = init.method ?? "GET";
  const handler: RouteHandler = method === "HEAD" ? HEAD : GET;
  return handler(new Request(`http://localhost:3000${path}`, { method, headers: init.headers }), {
    params: Promise.resolve({ slug: decodeURIComponent(slug), ...(segments.length > 0 ? { path: segments } : {}) }),
  });
}

async function storedPaths(db: Db, slug: string): Promise<string[]> {
  const rows = await queryRows<{ path: string }>(
    db,
    sql`select path from site_files where slug = ${slug} order by path`,
  );
  return rows.map((r) => r.path);
}

/** A loopback server that turns each request into a `Request` for the site route, as Next would. */
async function startSiteServer(): Promise<{ base: string; server: Server }> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const response =
      req.method === "GET" || req.method === "HEAD"
        ? await get(req.url ?? "/", { method: req.method, headers: req.headers as Record<string, string> })
        : new Response(null, { status: 405 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    void serve(req, res).catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** A raw HTTP GET whose path is sent exactly as written (fetch would resolve `..` first). */
function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${base}/`, { path }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on("error", reject);
    req.end();
  });
}

describeDb("automation agent: deploy, serve, verify", (suite) => {
  let server: { base: string; server: Server };
  beforeAll(async () => {
    // verify_deployment calls a base URL that is not our own origin under the outbound policy: the loopback site server is listed.
    process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
    server = await startSiteServer();
  });
  afterAll(async () => {
    delete process.env.HTTP_STEP_ALLOWED_HOSTS;
    await new Promise((resolve) => server.server.close(resolve));
  });

  it("deploy_site stores every file with its content type, a sha256 ETag and its UTF-8 size, and answers the site's URL", async () => {
    const site = await buildSite("deploy-stores");
    const deployment = await deploy(suite.db(), site);
    const bytes = site.files.reduce((n, f) => n + Buffer.byteLength(f.content, "utf8"), 0);
    expect(deployment).toMatchObject({
      slug: "deploy-stores",
      path: "/sites/deploy-stores/",
      url: `${BASE}/sites/deploy-stores/`,
      fileCount: site.files.length,
      bytes,
      storage: "postgres",
    });
    const rows = await queryRows<{ path: string; content_type: string; body: string; etag: string; bytes: number }>(
      suite.db(),
      sql`select path, content_type, body, etag, bytes from site_files where slug = 'deploy-stores'`,
    );
    expect(rows).toHaveLength(site.files.length);
    for (const f of site.files) {
      const row = rows.find((r) => r.path === f.path);
      expect(row, f.path).toMatchObject({
        content_type: f.contentType,
        body: f.content,
        bytes: Buffer.byteLength(f.content, "utf8"),
      });
      expect(row?.etag).toBe(`"${createHash("sha256").update(f.content).digest("base64url")}"`);
    }
    const [siteRow] = await queryRows<{ deployment_id: string; file_count: number; bytes: number }>(
      suite.db(),
      sql`select * from sites where slug = 'deploy-stores'`,
    );
    expect(siteRow).toMatchObject({ deployment_id: deployment.deploymentId, file_count: site.files.length, bytes });
  });

  it("a redeploy replaces the files: the old ones are gone and the deployment id is new", async () => {
    const first = await deploy(suite.db(), await buildSite("redeploy"));
    expect(await storedPaths(suite.db(), "redeploy")).toContain("services/index.html");
    const smaller = pages
      .filter((p) => p.page !== "services")
      .map((p) => (p.page === "about" ? { ...p, ctas: [{ label: "Write", href: "/contact/" }] } : p));
    const second = await deploy(suite.db(), await buildSite("redeploy", smaller));
    expect(second.deploymentId).not.toBe(first.deploymentId);
    const paths = await storedPaths(suite.db(), "redeploy");
    expect(paths).not.toContain("services/index.html");
    expect(paths).toEqual([
      "404.html",
      "about/index.html",
      "contact/index.html",
      "favicon.svg",
      "index.html",
      "robots.txt",
      "sitemap.xml",
      "styles.css",
    ]);
    const [row] = await queryRows<{ deployment_id: string; file_count: number }>(
      suite.db(),
      sql`select * from sites where slug = 'redeploy'`,
    );
    expect(row).toMatchObject({ deployment_id: second.deploymentId, file_count: 8 });
    expect((await get("/sites/redeploy/services/")).status).toBe(404);
  });

  it("a deployment that fails half-way leaves the previous one whole (one transaction)", async () => {
    const first = await deploy(suite.db(), await buildSite("atomic"));
    const site = await buildSite("atomic");
    // Postgres text cannot hold NUL: the insert of the files fails after the delete ran.
    const broken: Site = {
      ...site,
      files: site.files.map((f) => (f.path === "robots.txt" ? { ...f, content: "User-agent: *\u0000" } : f)),
    };
    await expect(deploy(suite.db(), broken)).rejects.toThrow();
    const [row] = await queryRows<{ deployment_id: string }>(
      suite.db(),
      sql`select deployment_id from sites where slug = 'atomic'`,
    );
    expect(row?.deployment_id).toBe(first.deploymentId);
    expect(await storedPaths(suite.db(), "atomic")).toHaveLength(site.files.length);
  });

  it.each([
    [
      "two files with one path",
      (s: Site) => ({ ...s, files: [...s.files, s.files[0]!] }),
      /two files have the path index\.html/,
    ],
    ["no index.html", (s: Site) => ({ ...s, files: s.files.filter((f) => f.path !== "index.html") }), /no index\.html/],
    [
      "a content type that is not a media type",
      (s: Site) => ({ ...s, files: s.files.map((f) => ({ ...f, contentType: "text/html\r\nSet-Cookie: a=b" })) }),
      /not a media type/,
    ],
  ])("deploy_site refuses a site with %s, and writes nothing", async (_name, damage, message) => {
    const site = damage(await buildSite("refused"));
    await expect(deploy(suite.db(), site)).rejects.toMatchObject({
      code: "unprocessable",
      message: expect.stringMatching(message),
    });
    expect(await storedPaths(suite.db(), "refused")).toEqual([]);
  });

  it("serves each file with its content type, a strong ETag, revalidation caching, nosniff and the strict CSP", async () => {
    const site = await buildSite("served");
    await deploy(suite.db(), site);
    for (const [path, file, type] of [
      ["/sites/served/", "index.html", "text/html; charset=utf-8"],
      ["/sites/served/about/", "about/index.html", "text/html; charset=utf-8"],
      ["/sites/served/styles.css", "styles.css", "text/css; charset=utf-8"],
      ["/sites/served/sitemap.xml", "sitemap.xml", "application/xml; charset=utf-8"],
      ["/sites/served/robots.txt", "robots.txt", "text/plain; charset=utf-8"],
      ["/sites/served/favicon.svg", "favicon.svg", "image/svg+xml"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe(type);
      expect(res.headers.get("etag")).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(res.headers.get("cache-control")).toBe(SITE_CACHE_CONTROL);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("content-security-policy")).toBe(SITE_CSP);
      expect(await res.text()).toBe(site.files.find((f) => f.path === file)?.content);
    }
  });

  it("If-None-Match with the current ETag (alone, weak or in a list) answers 304 without a body; another tag gets 200", async () => {
    await deploy(suite.db(), await buildSite("etags"));
    const etag = (await get("/sites/etags/about/")).headers.get("etag")!;
    for (const header of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const res = await get("/sites/etags/about/", { headers: { "if-none-match": header } });
      expect(res.status, header).toBe(304);
      expect(res.headers.get("etag")).toBe(etag);
      expect(await res.text()).toBe("");
    }
    expect((await get("/sites/etags/about/", { headers: { "if-none-match": '"stale"' } })).status).toBe(200);
  });

  it("HEAD answers the headers of GET without a body", async () => {
    const site = await buildSite("heads");
    await deploy(suite.db(), site);
    const res = await get("/sites/heads/styles.css", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(res.headers.get("content-length")).toBe(
      String(Buffer.byteLength(site.files.find((f) => f.path === "styles.css")!.content)),
    );
    expect(await res.text()).toBe("");
    const missing = await get("/sites/heads/nope/", { method: "HEAD" });
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe("");
  });

  it("a folder without its slash redirects (308) to the slash form, the site root included", async () => {
    await deploy(suite.db(), await buildSite("folders"));
    for (const [path, location] of [
      ["/sites/folders/about", "/sites/folders/about/"],
      ["/sites/folders", "/sites/folders/"],
      ["/sites/folders/contact?ref=mail", "/sites/folders/contact/?ref=mail"],
    ] as const) {
      const res = await get(path);
      expect(res.status, path).toBe(308);
      expect(res.headers.get("location")).toBe(location);
    }
  });

  it("an unknown file answers 404 with the site's own 404 page, its links moved to the depth of the request", async () => {
    const site = await buildSite("missing");
    await deploy(suite.db(), site);
    const shallow = await get("/sites/missing/no-such-page.html");
    expect(shallow.status).toBe(404);
    expect(shallow.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await shallow.text()).toBe(site.files.find((f) => f.path === "404.html")?.content);
    const deep = await get("/sites/missing/a/b/");
    expect(deep.status).toBe(404);
    const html = await deep.text();
    expect(html).toContain('<link rel="stylesheet" href="../../styles.css">');
    expect(html).toContain('<a href="../../about/">');
  });

  it("an unknown slug answers 404 with a small HTML page for people, not JSON", async () => {
    const res = await get("/sites/nobody-here/");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain("<h1>Page not found</h1>");
    expect((await get("/sites/Not_A_Slug/")).status).toBe(404);
  });

  it("path traversal, plain or encoded, never leaves the site: 404", async () => {
    await deploy(suite.db(), await buildSite("traversal"));
    await deploy(suite.db(), await buildSite("neighbour"));
    for (const path of [
      "/sites/traversal/../neighbour/index.html",
      "/sites/traversal/%2e%2e/neighbour/index.html",
      "/sites/traversal/..%2fneighbour%2findex.html",
      "/sites/traversal/%252e%252e/neighbour/",
      "/sites/traversal/about/../index.html",
      "/sites/traversal/./index.html",
      "/sites/traversal/about%5c..%5cindex.html",
    ]) {
      const res = await get(path);
      expect(res.status, path).toBe(404);
    }
    for (const path of [
      "/sites/traversal/%2e%2e/neighbour/index.html",
      "/sites/traversal/..%2F..%2Fpackage.json",
      "/sites/traversal/../../../etc/passwd",
    ]) {
      const res = await rawGet(server.base, path);
      expect(res.status, path).toBe(404);
      expect(res.body).not.toContain('"name": "agent-orchestrator"');
    }
  });

  it("verify_deployment fetches every page and every internal link over HTTP and reports all ok", async () => {
    await deploy(suite.db(), await buildSite("verified"));
    const report = await verify(suite.db(), "verified", server.base);
    expect(report.pages.map((p) => [p.path, p.status, p.ok])).toEqual([
      ["/", 200, true],
      ["/about/", 200, true],
      ["/contact/", 200, true],
      ["/services/", 200, true],
    ]);
    expect(report.pages[1]).toMatchObject({
      url: `${server.base}/sites/verified/about/`,
      contentType: "text/html; charset=utf-8",
    });
    expect(report.brokenLinks).toEqual([]);
    expect(report.ok).toBe(true);
    expect(Date.now() - Date.parse(report.checkedAt)).toBeLessThan(60_000);
  });

  it("verify_deployment reports the links to a file deleted from the store as broken", async () => {
    await deploy(suite.db(), await buildSite("broken-link"));
    await suite.db().execute(sql`delete from site_files where slug = 'broken-link' and path = 'contact/index.html'`);
    const report = await verify(suite.db(), "broken-link", server.base);
    expect(report.ok).toBe(false);
    expect(report.pages.map((p) => p.path)).not.toContain("/contact/");
    expect(report.brokenLinks).toEqual(
      expect.arrayContaining([
        { from: "/", href: "contact/", status: 404 },
        { from: "/about/", href: "../contact/", status: 404 },
      ]),
    );
    expect(report.brokenLinks.every((l) => l.status === 404 && l.href.includes("contact/"))).toBe(true);
  });

  it("verify_deployment counts a page that cannot be reached as not ok (status 0) without failing", async () => {
    await deploy(suite.db(), await buildSite("unreachable"));
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const report = await verify(suite.db(), "unreachable", `http://127.0.0.1:${port}`);
    expect(report.ok).toBe(false);
    expect(report.pages.length).toBeGreaterThan(0);
    expect(report.pages.every((p) => p.status === 0 && !p.ok && p.contentType === null)).toBe(true);
  });

  it("verify_deployment refuses an unknown slug", async () => {
    await expect(verify(suite.db(), "never-published", server.base)).rejects.toMatchObject({ code: "unprocessable" });
  });
});
