/**
 * The migration that gives every existing site its owner (drizzle/0015_site_slugs_backfill.sql):
 * sites published before owners existed keep their address; the owner is the project whose run
 * published the current deployment, or nobody when that cannot be told; and from then on no new
 * project is given one of those addresses.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queryRows, type Db, type DbHandle } from "@/db/client";
import { defaultMigrationsFolder, migrate } from "@/db/migrate";
import { allocateSiteSlug, SiteSlugTakenError } from "@/sites/slugs";
import { publishSite } from "@/sites/store";
import { createTestDb, TEST_TARGETS } from "../../helpers/db";

const FIRST_WITH_OWNERS = "0014_site_slugs";

let folder: string;
beforeAll(async () => {
  // The real migrations up to (not including) the one that adds owners: the database as it was.
  folder = await mkdtemp(path.join(tmpdir(), "slug-backfill-"));
  await cp(defaultMigrationsFolder(), folder, { recursive: true });
  const journalPath = path.join(folder, "meta", "_journal.json");
  const journal = JSON.parse(await readFile(journalPath, "utf8")) as { entries: { tag: string }[] };
  const cut = journal.entries.findIndex((e) => e.tag === FIRST_WITH_OWNERS);
  expect(cut).toBeGreaterThan(0);
  await writeFile(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, cut) }));
});
afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** A project whose site_generation run's publish step published `deploymentId`. */
async function projectThatPublished(db: Db, deploymentId: string, slug: string): Promise<string> {
  const [run] = await queryRows<{ id: string }>(
    db,
    sql`insert into runs (workflow, version, status, trigger, steps_remaining) values ('site_generation', 1, 'succeeded', '{"type":"project"}'::jsonb, 0) returning id`,
  );
  await db.execute(sql`insert into steps (run_id, name, kind, status, max_attempts, timeout_ms, output)
    values (${run!.id}, 'publish', 'agent', 'succeeded', 3, 30000, ${JSON.stringify({ slug, deploymentId, path: `/sites/${slug}/` })}::jsonb)`);
  const [project] = await queryRows<{ id: string }>(
    db,
    sql`insert into projects (token_hash, brief, payment_status, run_id) values ('x', '{}'::jsonb, 'paid', ${run!.id}) returning id`,
  );
  return project!.id;
}

async function legacySite(db: Db, slug: string, deploymentId: string): Promise<void> {
  await db.execute(
    sql`insert into sites (slug, deployment_id, file_count, bytes) values (${slug}, ${deploymentId}, 1, 10)`,
  );
  await db.execute(
    sql`insert into site_files (slug, path, content_type, body, etag, bytes) values (${slug}, 'index.html', 'text/html', ${`<p>${slug}</p>`}, '"e"', 10)`,
  );
}

for (const target of TEST_TARGETS) {
  describe(`the site owners' backfill [${target}]`, () => {
    let handle: DbHandle;
    beforeAll(async () => {
      handle = await createTestDb(target, { empty: true });
      await migrate(handle.db, folder);
    });
    afterAll(async () => {
      await handle?.close();
    });

    it("keeps every existing site's address, owned by the project that published its current deployment, else by nobody; no new project gets one", async () => {
      const db = handle.db;
      const current = "11111111-1111-4111-8111-111111111111";
      const replaced = "22222222-2222-4222-8222-222222222222";
      // The incident: two clients, one slug; the second's deployment is the one online now.
      const victim = await projectThatPublished(db, replaced, "boulangerie-emile-fils");
      const second = await projectThatPublished(db, current, "boulangerie-emile-fils");
      await legacySite(db, "boulangerie-emile-fils", current);
      await legacySite(db, "manual-site", "33333333-3333-4333-8333-333333333333");

      const result = await migrate(db);
      expect(result.applied).toContain(FIRST_WITH_OWNERS);
      const owners = await queryRows<{ slug: string; project_id: string | null }>(
        db,
        sql`select slug, project_id from site_slugs order by slug`,
      );
      expect(owners).toEqual([
        { slug: "boulangerie-emile-fils", project_id: second },
        { slug: "manual-site", project_id: null },
      ]);

      // The victim re-ordering, or anyone else: never an existing address.
      expect(await allocateSiteSlug(db, victim, "boulangerie-emile-fils")).toBe("boulangerie-emile-fils-2");
      const newcomer = (
        await queryRows<{ id: string }>(
          db,
          sql`insert into projects (token_hash, brief, payment_status) values ('y', '{}'::jsonb, 'test_mode') returning id`,
        )
      )[0]!.id;
      expect(await allocateSiteSlug(db, newcomer, "manual-site")).toBe("manual-site-2");
      await expect(
        publishSite(db, {
          slug: "manual-site",
          files: [{ path: "index.html", contentType: "text/html", content: "x" }],
          projectId: newcomer,
        }),
      ).rejects.toBeInstanceOf(SiteSlugTakenError);
      const [files] = await queryRows<{ body: string }>(
        db,
        sql`select body from site_files where slug = 'manual-site'`,
      );
      expect(files!.body).toBe("<p>manual-site</p>");
      // And a site row can no longer exist without its owner row.
      await expect(
        db.execute(
          sql`insert into sites (slug, deployment_id, file_count, bytes) values ('no-owner-row', ${current}, 0, 0)`,
        ),
      ).rejects.toThrow();
    });
  });
}
