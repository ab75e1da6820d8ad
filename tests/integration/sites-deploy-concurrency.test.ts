/**
 * Concurrent deployments of one site (real Postgres: separate connections racing): whichever
 * commits last wins whole. The stored files are exactly one version's files, and the `sites`
 * row names that version's deployment, never a mix of two.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { automation } from "@/agents/automation";
import { deploymentSchema, siteSchema, type Site } from "@/agents/schemas";
import { queryRows } from "@/db/client";
import { describeDb } from "../helpers/db";
import { actionContext } from "../helpers/agents";
import { brief, design, pages } from "../unit/agents/automation-fixtures";

const { build_site: buildAction, deploy_site: deployAction } = automation.actions;
const VERSIONS = 8;

async function version(n: number): Promise<Site> {
  const sitePages = pages.map((p) => ({ ...p, intro: `Version ${n}: ${p.intro}` }));
  const input = buildAction.input.parse({
    brief: { ...brief, slug: "raced" },
    design,
    pages: sitePages,
    baseUrl: "https://example.com",
  });
  return siteSchema.parse(await buildAction.handler(input, actionContext("automation", "deploy_site")));
}

describeDb("concurrent deployments of one site", (suite) => {
  it("leave exactly one version's files, and the sites row names that version's deployment", async () => {
    const sites = await Promise.all(Array.from({ length: VERSIONS }, (_, n) => version(n)));
    const deployments = await Promise.all(
      sites.map(async (site) =>
        deploymentSchema.parse(
          await deployAction.handler(
            deployAction.input.parse({ site }),
            actionContext("automation", "deploy_site", { db: suite.db() }),
          ),
        ),
      ),
    );
    const [row] = await queryRows<{ deployment_id: string; file_count: number }>(
      suite.db(),
      sql`select deployment_id, file_count from sites where slug = 'raced'`,
    );
    const winner = deployments.findIndex((d) => d.deploymentId === row?.deployment_id);
    expect(winner).toBeGreaterThanOrEqual(0);
    const stored = await queryRows<{ path: string; body: string }>(
      suite.db(),
      sql`select path, body from site_files where slug = 'raced' order by path`,
    );
    const expected = sites[winner]!.files.map((f) => ({ path: f.path, body: f.content })).sort((a, b) =>
      a.path < b.path ? -1 : 1,
    );
    expect(stored).toEqual(expected);
    expect(row?.file_count).toBe(stored.length);
  });
});
