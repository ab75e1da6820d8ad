/**
 * Site addresses and their owners (src/sites/slugs.ts, src/sites/store.ts): allocated once per
 * project, never twice, with a suffix on collision (concurrent orders included); publishing
 * refuses an address that belongs to another project, and changes nothing; a site published
 * without a project keeps its address and no project is ever given it.
 */
import { sql } from "drizzle-orm";
import { expect, it } from "vitest";
import { queryRows, type Db } from "@/db/client";
import { allocateSiteSlug, SiteSlugTakenError, slugOwner } from "@/sites/slugs";
import { publishSite } from "@/sites/store";
import { SITE_SLUG } from "@/sites/urls";
import { describeDb } from "../../helpers/db";

async function newProject(db: Db): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    db,
    sql`insert into projects (token_hash, brief, payment_status) values ('x', '{}'::jsonb, 'test_mode') returning id`,
  );
  return row!.id;
}

const page = (text: string) => [
  { path: "index.html", contentType: "text/html; charset=utf-8", content: `<!doctype html><title>${text}</title>` },
];

async function storedHome(db: Db, slug: string): Promise<string | undefined> {
  const [row] = await queryRows<{ body: string }>(
    db,
    sql`select body from site_files where slug = ${slug} and path = 'index.html'`,
  );
  return row?.body;
}

describeDb("site addresses", (suite) => {
  it("allocates once per project, and a second project of the same name gets a suffix", async () => {
    const db = suite.db();
    const [a, b] = [await newProject(db), await newProject(db)];
    expect(await allocateSiteSlug(db, a, "maison-lune")).toBe("maison-lune");
    expect(await allocateSiteSlug(db, b, "maison-lune")).toBe("maison-lune-2");
    // A retry or a duplicate payment event: the same address, whatever base is asked for.
    expect(await allocateSiteSlug(db, a, "something-else")).toBe("maison-lune");
    expect(await slugOwner(db, "maison-lune")).toBe(a);
    expect(await slugOwner(db, "maison-lune-2")).toBe(b);
  });

  it("concurrent orders of one name get distinct addresses, each project one", async () => {
    const db = suite.db();
    const projects = await Promise.all(Array.from({ length: 12 }, () => newProject(db)));
    const slugs = await Promise.all(projects.map((p) => allocateSiteSlug(db, p, "rush-hour")));
    expect(new Set(slugs).size).toBe(projects.length);
    for (const slug of slugs) expect(slug).toMatch(SITE_SLUG);
    expect(slugs).toContain("rush-hour");
    const rows = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from site_slugs where slug like 'rush-hour%'`,
    );
    expect(Number(rows[0]!.n)).toBe(projects.length);
  });

  it("publishing refuses an address that belongs to another project, with or without a project, and leaves the site unchanged", async () => {
    const db = suite.db();
    const [owner, intruder] = [await newProject(db), await newProject(db)];
    const slug = await allocateSiteSlug(db, owner, "paid-for");
    const published = await publishSite(db, { slug, files: page("the client's site"), projectId: owner });
    await allocateSiteSlug(db, intruder, "paid-for");

    await expect(publishSite(db, { slug, files: page("taken over"), projectId: intruder })).rejects.toBeInstanceOf(
      SiteSlugTakenError,
    );
    await expect(publishSite(db, { slug, files: page("taken over") })).rejects.toBeInstanceOf(SiteSlugTakenError);
    expect(await storedHome(db, slug)).toBe("<!doctype html><title>the client's site</title>");
    const [site] = await queryRows<{ deployment_id: string }>(
      db,
      sql`select deployment_id from sites where slug = ${slug}`,
    );
    expect(site!.deployment_id).toBe(published.deploymentId);
    // The owner still republishes its own address.
    await publishSite(db, { slug, files: page("the client's new version"), projectId: owner });
    expect(await storedHome(db, slug)).toContain("new version");
  });

  it("a project may not publish at an address it was not allocated, even a free one", async () => {
    const db = suite.db();
    const project = await newProject(db);
    await allocateSiteSlug(db, project, "own-address");
    await expect(
      publishSite(db, { slug: "free-address", files: page("x"), projectId: project }),
    ).rejects.toBeInstanceOf(SiteSlugTakenError);
    expect(await slugOwner(db, "free-address")).toBeUndefined();
  });

  it("a project without an address (a run started by hand) takes a free one when publishing, never a taken one, and only one", async () => {
    const db = suite.db();
    const [owner, unallocated] = [await newProject(db), await newProject(db)];
    const taken = await allocateSiteSlug(db, owner, "corner-shop");
    await expect(
      publishSite(db, { slug: taken, files: page("taken over"), projectId: unallocated }),
    ).rejects.toBeInstanceOf(SiteSlugTakenError);
    expect(await slugOwner(db, taken)).toBe(owner);
    await publishSite(db, { slug: "corner-shop-annex", files: page("its own"), projectId: unallocated });
    expect(await slugOwner(db, "corner-shop-annex")).toBe(unallocated);
    await expect(
      publishSite(db, { slug: "corner-shop-third", files: page("a second one"), projectId: unallocated }),
    ).rejects.toBeInstanceOf(SiteSlugTakenError);
  });

  it("a site published without a project keeps its address: no project is given it, and none may publish there", async () => {
    const db = suite.db();
    await publishSite(db, { slug: "older-bakery", files: page("published before owners") });
    expect(await slugOwner(db, "older-bakery")).toBeNull();
    const project = await newProject(db);
    expect(await allocateSiteSlug(db, project, "older-bakery")).toBe("older-bakery-2");
    await expect(
      publishSite(db, { slug: "older-bakery", files: page("taken over"), projectId: project }),
    ).rejects.toBeInstanceOf(SiteSlugTakenError);
    expect(await storedHome(db, "older-bakery")).toBe("<!doctype html><title>published before owners</title>");
    // Without a project (an operator's manual deploy), the unowned site can still be replaced.
    await publishSite(db, { slug: "older-bakery", files: page("republished by an operator") });
    expect(await storedHome(db, "older-bakery")).toContain("operator");
  });
});
