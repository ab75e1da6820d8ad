/**
 * automation/deploy_site with Vercel Blob: with BLOB_READ_WRITE_TOKEN set, every file of the
 * site is uploaded (through the real @vercel/blob SDK, pointed at a loopback fake of the Blob
 * API by VERCEL_BLOB_API_URL) under a prefix per deployment before the Postgres transaction;
 * the output says `storage: "blob"` with the Blob URL of index.html, the site is still served
 * from Postgres, a failed upload leaves the previous deployment whole and never echoes the
 * token, and without the token nothing reaches Blob.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, beforeEach, expect, it, vi } from "vitest";
import type { z } from "zod";
import { automation } from "@/agents/automation";
import { deploymentSchema, siteSchema, type Site } from "@/agents/schemas";
import { GET } from "@/app/sites/[slug]/[[...path]]/route";
import { queryRows, type Db } from "@/db/client";
import { BLOB_UPLOAD_CONCURRENCY } from "@/sites/blob";
import { describeDb } from "../../helpers/db";
import { actionContext } from "../../helpers/agents";
import { brief, design, pages } from "../../unit/agents/automation-fixtures";

const { build_site: buildAction, deploy_site: deployAction } = automation.actions;
const BASE = "https://platform.example.com";
const STORE_ID = "fakestore";
const TOKEN = `vercel_blob_rw_${STORE_ID}_${randomBytes(12).toString("hex")}`;
const BLOB_ORIGIN = `https://${STORE_ID}.public.blob.vercel-storage.com`;

interface BlobPut {
  method: string;
  pathname: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the fake answers for a pathname: the SDK's success body, or an error status and body. */
type Answer = { status: 200 } | { status: number; body: unknown };

interface FakeBlobApi {
  base: string;
  puts: BlobPut[];
  /** The most uploads seen in flight at once. */
  maxInFlight: number;
  answer: (pathname: string) => Answer;
  close(): Promise<void>;
}

/**
 * The part of the Blob API that `put()` uses: `PUT /?pathname=<pathname>` with the token as a
 * Bearer, options as `x-*` headers, the file as the body; it answers the blob's JSON
 * description. Each upload is held 15 ms so that parallel uploads overlap.
 */
async function startFakeBlobApi(): Promise<FakeBlobApi> {
  const fake: FakeBlobApi = {
    base: "",
    puts: [],
    maxInFlight: 0,
    answer: () => ({ status: 200 }),
    close: async () => undefined,
  };
  let inFlight = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const pathname = new URL(req.url ?? "/", "http://fake").searchParams.get("pathname") ?? "";
      fake.puts.push({
        method: req.method ?? "",
        pathname,
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      inFlight += 1;
      fake.maxInFlight = Math.max(fake.maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        const answer = fake.answer(pathname);
        const url = `${BLOB_ORIGIN}/${pathname}`;
        const body =
          "body" in answer
            ? answer.body
            : {
                url,
                downloadUrl: `${url}?download=1`,
                pathname,
                contentType: req.headers["x-content-type"],
                contentDisposition: `inline; filename="${pathname.split("/").at(-1) ?? ""}"`,
                etag: '"fake-etag"',
              };
        res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(body));
      }, 15);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}

async function buildSite(slug: string): Promise<Site> {
  const input = buildAction.input.parse({ brief: { ...brief, slug }, design, pages, baseUrl: BASE });
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

async function storedFiles(db: Db, slug: string): Promise<{ path: string; body: string }[]> {
  return queryRows<{ path: string; body: string }>(
    db,
    sql`select path, body from site_files where slug = ${slug} order by path`,
  );
}

async function deploymentIdOf(db: Db, slug: string): Promise<string | undefined> {
  const [row] = await queryRows<{ deployment_id: string }>(
    db,
    sql`select deployment_id from sites where slug = ${slug}`,
  );
  return row?.deployment_id;
}

describeDb("automation agent: deploy_site with Vercel Blob", (suite) => {
  let fake: FakeBlobApi;
  beforeAll(async () => {
    fake = await startFakeBlobApi();
  });
  afterAll(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.puts = [];
    fake.maxInFlight = 0;
    fake.answer = () => ({ status: 200 });
    vi.stubEnv("VERCEL_BLOB_API_URL", fake.base);
    vi.stubEnv("BLOB_READ_WRITE_TOKEN", TOKEN);
    // The SDK retries a 5xx up to 10 times with backoff from 1 s: the failure tests want the first answer.
    vi.stubEnv("VERCEL_BLOB_RETRIES", "0");
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("uploads every file once, with its content type, under sites/<slug>/<deploymentId>/, the token as Bearer; answers storage blob and the index's Blob URL", async () => {
    const site = await buildSite("blob-upload");
    const deployment = await deploy(suite.db(), site);
    const prefix = `sites/blob-upload/${deployment.deploymentId}/`;

    expect(fake.puts).toHaveLength(site.files.length);
    expect(fake.puts.map((p) => p.pathname).sort()).toEqual(site.files.map((f) => `${prefix}${f.path}`).sort());
    for (const file of site.files) {
      const upload = fake.puts.find((p) => p.pathname === `${prefix}${file.path}`);
      expect(upload, file.path).toMatchObject({
        method: "PUT",
        body: file.content,
        headers: expect.objectContaining({
          authorization: `Bearer ${TOKEN}`,
          "x-content-type": file.contentType,
          "x-vercel-blob-access": "public",
          "x-add-random-suffix": "0",
        }) as unknown,
      });
    }
    expect(deployment).toMatchObject({
      slug: "blob-upload",
      path: "/sites/blob-upload/",
      url: `${BLOB_ORIGIN}/${prefix}index.html`,
      fileCount: site.files.length,
      storage: "blob",
    });
    expect(await deploymentIdOf(suite.db(), "blob-upload")).toBe(deployment.deploymentId);
  });

  it("uploads in parallel, never more than BLOB_UPLOAD_CONCURRENCY at once", async () => {
    const site = await buildSite("blob-parallel");
    expect(site.files.length).toBeGreaterThan(BLOB_UPLOAD_CONCURRENCY);
    await deploy(suite.db(), site);
    expect(fake.maxInFlight).toBeGreaterThan(1);
    expect(fake.maxInFlight).toBeLessThanOrEqual(BLOB_UPLOAD_CONCURRENCY);
  });

  it("the site is still stored in and served from Postgres: /sites/<slug>/… answers the same files", async () => {
    const site = await buildSite("blob-served");
    await deploy(suite.db(), site);
    expect(await storedFiles(suite.db(), "blob-served")).toEqual(
      site.files.map((f) => ({ path: f.path, body: f.content })).sort((a, b) => (a.path < b.path ? -1 : 1)),
    );
    for (const [path, segments, file] of [
      ["/sites/blob-served/", [], "index.html"],
      ["/sites/blob-served/about/", ["about"], "about/index.html"],
      ["/sites/blob-served/styles.css", ["styles.css"], "styles.css"],
    ] as const) {
      const res = await GET(new Request(`http://localhost:3000${path}`), {
        params: Promise.resolve({ slug: "blob-served", ...(segments.length > 0 ? { path: [...segments] } : {}) }),
      });
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(site.files.find((f) => f.path === file)?.content);
    }
  });

  it("a failed upload (500) fails the action with an Error and leaves the previous deployment's files unchanged", async () => {
    const first = await buildSite("blob-failure");
    const previous = await deploy(suite.db(), first);
    const filesBefore = await storedFiles(suite.db(), "blob-failure");
    const changed: Site = {
      ...first,
      files: first.files.map((f) => (f.path === "styles.css" ? { ...f, content: `${f.content}\n/* v2 */\n` } : f)),
    };
    fake.puts = [];
    fake.answer = (pathname) =>
      pathname.endsWith("/styles.css")
        ? { status: 500, body: { error: { code: "internal_server_error", message: "disk on fire" } } }
        : { status: 200 };

    const failure = deploy(suite.db(), changed);
    await expect(failure).rejects.toThrow(/Uploading styles\.css to Vercel Blob failed/);
    await expect(failure).rejects.not.toHaveProperty("code");
    expect(fake.puts.filter((p) => p.pathname.endsWith("/styles.css"))).toHaveLength(1);
    expect(await deploymentIdOf(suite.db(), "blob-failure")).toBe(previous.deploymentId);
    expect(await storedFiles(suite.db(), "blob-failure")).toEqual(filesBefore);
  });

  it("the thrown error never echoes the token, even when the Blob API does", async () => {
    const site = await buildSite("blob-secret");
    fake.answer = () => ({
      status: 400,
      body: { error: { code: "bad_request", message: `the token ${TOKEN} is not valid for this store` } },
    });
    const error = await deploy(suite.db(), site).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    const text = JSON.stringify({
      message: (error as Error).message,
      stack: (error as Error).stack,
      cause: String((error as Error).cause),
    });
    expect(text).toContain("is not valid for this store");
    expect(text).toContain("[redacted]");
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(TOKEN.slice(-24));
    expect(await storedFiles(suite.db(), "blob-secret")).toEqual([]);
  });

  it.each([
    ["unset", undefined],
    ["blank", "  "],
  ])(
    "without the token (%s) nothing is sent to Blob: storage postgres, the URL on this platform",
    async (_name, value) => {
      vi.stubEnv("BLOB_READ_WRITE_TOKEN", value);
      const site = await buildSite("blob-off");
      const deployment = await deploy(suite.db(), site);
      expect(fake.puts).toEqual([]);
      expect(deployment).toMatchObject({ storage: "postgres", url: `${BASE}/sites/blob-off/` });
      expect(await storedFiles(suite.db(), "blob-off")).toHaveLength(site.files.length);
    },
  );
});
