/**
 * verify_deployment under the outbound policy: a base URL that is not our own origin is refused
 * when the policy refuses it, and a link probe whose redirect leads to a refused address stops
 * there (the link counts as broken, status 0) without the hop being requested.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { automation } from "@/agents/automation";
import { verificationSchema } from "@/agents/automation/verify-deployment";
import { siteSchema } from "@/agents/schemas";
import { describeDb } from "../../helpers/db";
import { actionContext } from "../../helpers/agents";
import { brief, design, pages } from "../../unit/agents/automation-fixtures";

const { build_site: buildAction, deploy_site: deployAction, verify_deployment: verifyAction } = automation.actions;
let server: Server;
let port = 0;
const requested: string[] = [];

beforeAll(async () => {
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  // Every page links to three places: one fine, one redirecting to a link-local address, one to localhost.
  server = createServer((req, res) => {
    const path = req.url ?? "/";
    requested.push(path);
    if (path.endsWith("/ok/")) return res.writeHead(200, { "content-type": "text/html" }).end("<p>ok</p>");
    if (path.endsWith("/to-metadata/"))
      return res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end();
    if (path.endsWith("/to-localhost/"))
      return res.writeHead(302, { location: `http://localhost:${port}/secret-admin` }).end();
    if (path === "/secret-admin") return res.writeHead(200).end("admin");
    res
      .writeHead(200, { "content-type": "text/html; charset=utf-8" })
      .end('<a href="ok/">a</a><a href="to-metadata/">b</a><a href="to-localhost/">c</a>');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describeDb("verify_deployment under the outbound policy", (suite) => {
  const verify = async (slug: string, baseUrl: string) =>
    verificationSchema.parse(
      await verifyAction.handler(
        verifyAction.input.parse({ slug, baseUrl }),
        actionContext("automation", "verify_deployment", { db: suite.db() }),
      ),
    );

  beforeAll(async () => {
    const site = siteSchema.parse(
      await buildAction.handler(
        buildAction.input.parse({
          brief: { ...brief, slug: "probed" },
          design,
          pages,
          baseUrl: "https://platform.example.com",
        }),
        actionContext("automation", "build_site"),
      ),
    );
    await deployAction.handler(
      deployAction.input.parse({ site, baseUrl: "https://platform.example.com" }),
      actionContext("automation", "deploy_site", { db: suite.db() }),
    );
  });

  it("refuses a base URL on a refused address, naming the policy", async () => {
    await expect(verify("probed", "http://169.254.169.254")).rejects.toMatchObject({
      code: "unprocessable",
      message: expect.stringMatching(/^baseUrl: outbound policy: .*169\.254\.0\.0\/16/),
    });
    await expect(verify("probed", "http://100.100.100.200")).rejects.toMatchObject({ code: "unprocessable" });
  });

  it("stops a link probe at a redirect to a refused address: the link is broken, the hop never requested", async () => {
    requested.length = 0;
    const report = await verify("probed", `http://127.0.0.1:${port}`);
    const byHref = Object.fromEntries(report.brokenLinks.map((l) => [l.href, l.status]));
    expect(byHref).toEqual({ "to-metadata/": 0, "to-localhost/": 0 });
    expect(requested).not.toContain("/secret-admin");
  });
});
