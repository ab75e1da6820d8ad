/**
 * Site orders: `POST /api/projects` as clients do (public, each from its own address: the
 * route's rate limit is per client), in test mode (no Stripe keys in production here), all in
 * flight at once; each project's run must end `succeeded`, its progress route say `done`, and
 * its site be served at /sites/<slug>/.
 */
import { PAGE_KEYS, TONES } from "../../../src/agents/schemas";
import { RehearsalFailure } from "../util";
import { awaitRuns, mapLimit, type WorkloadContext, type WorkloadResult } from "./context";

/** Progress pages and sites checked over HTTP (all of them in the short form). */
const CHECKED_OVER_HTTP = 20;

/** A client address in 198.18.0.0/15 (the benchmarking range), one per project. */
function clientIp(i: number): string {
  return `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export async function siteOrders(ctx: WorkloadContext): Promise<WorkloadResult> {
  const n = ctx.options.sites;
  const started = performance.now();
  const created = await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    50,
    async (i) => {
      const form = {
        businessName: `Rehearsal Bakery ${i}`,
        industry: "Bakery",
        audience: "Neighbours who like fresh bread in the morning",
        tone: TONES[i % TONES.length],
        pages: PAGE_KEYS.slice(0, 2 + (i % 3)),
        contactEmail: `owner${i}@example.com`,
        language: "en",
      };
      const res = await ctx.client.expect("/api/projects", [201], {
        body: form,
        admin: false,
        headers: { "x-rehearsal-client-ip": clientIp(i) },
      });
      const body = res.json as { id: string; token: string; testMode: boolean };
      if (!body.testMode) throw new RehearsalFailure("POST /api/projects did not run in test mode (Stripe keys set?)");
      return body;
    },
  );
  const projects = await ctx.db.query<{ id: string; run_id: string | null }>(
    `select id, run_id from projects where id = any($1::uuid[])`,
    [created.map((p) => p.id)],
  );
  const noRun = projects.filter((p) => !p.run_id);
  if (noRun.length > 0)
    throw new RehearsalFailure(`site orders: ${noRun.length} projects have no run (site_generation not registered?)`);
  const runs = await awaitRuns(
    ctx,
    "site orders",
    projects.map((p) => p.run_id!),
  );
  const ms = Math.round(performance.now() - started);

  const sites: string[] = [];
  for (const project of created.slice(0, CHECKED_OVER_HTTP)) {
    const res = await ctx.client.expect(
      `/api/projects/${project.id}?token=${encodeURIComponent(project.token)}`,
      [200],
      { admin: false },
    );
    const view = res.json as { status: string; site: { url: string; path: string } | null };
    if (view.status !== "done" || !view.site)
      throw new RehearsalFailure(
        `site orders: project ${project.id} reports ${view.status}, site ${JSON.stringify(view.site)}`,
      );
    const path = new URL(view.site.path, "http://x").pathname;
    const page = await ctx.client.call(path, { admin: false });
    if (page.status !== 200 || !/<html/i.test(page.text))
      throw new RehearsalFailure(`site orders: ${path} answered ${page.status}`);
    sites.push(path);
  }
  // A POST whose server was killed under it is sent again, as a client would: it may have created a project already.
  const [all] = await ctx.db.query<{ n: number }>(`select count(*)::int as n from projects`);
  const durations = runs.map((r) => (r.finished_at ? r.finished_at.getTime() - r.created_at.getTime() : 0));
  return {
    name: "site orders",
    ms,
    runs: runs.length,
    details: {
      projects: n,
      projectsStored: all!.n,
      servedChecked: sites.length,
      sample: sites[0],
      runMsMax: Math.max(...durations),
      runMsMin: Math.min(...durations),
    },
  };
}
