/**
 * Who owns a site's address. Every slug ever used is a row of `site_slugs`: allocated once per
 * project (before its site is built, so the sitemap already names the final address) or taken
 * when first published: by a project that had none (a run started by hand with a project id),
 * or, for a site published without a project (an operator's manual deploy), owned by nobody.
 * A slug is never given twice: allocation only ever inserts, and `sites.slug` references this
 * table, so a published site always has its row.
 *
 * Publishing checks the owner in the publishing transaction (`claimForPublish`, row locked):
 * a project publishes only its own slug, and a publication without a project never touches a
 * slug a project owns. So an order for "Boulangerie Emile Fils" gets `boulangerie-emile-fils-2`
 * and can never replace the pages of the paid-for "Boulangerie Émile & Fils".
 */
import { randomBytes } from "node:crypto";
import { eq, inArray } from "drizzle-orm";
import type { Db } from "@/db/client";
import { siteSlugs } from "@/db/schema";
import { ConflictError } from "@/errors";
import { SITE_SLUG } from "./urls";

const SLUG_MAX = 48;
/** base, base-2 … base-9 first (readable), then random suffixes: a name ordered ten times still gets an address at once. */
const NUMBERED_CANDIDATES = 9;
const RANDOM_CANDIDATES = 8;

/** Publishing a slug its caller does not own. */
export class SiteSlugTakenError extends ConflictError {
  constructor(slug: string, projectId: string | null) {
    super(
      projectId
        ? `The address /sites/${slug}/ is not the one allocated to project ${projectId}: a project publishes only at its own address.`
        : `The address /sites/${slug}/ belongs to a client's project: it cannot be published without that project.`,
      { slug, projectId },
    );
  }
}

/** `base` with `-suffix`, the base cut (at no trailing hyphen) so the whole stays a valid slug. */
function withSuffix(base: string, suffix: string): string {
  const room = SLUG_MAX - suffix.length - 1;
  return `${base.slice(0, room).replace(/-+$/, "")}-${suffix}`;
}

/** The addresses tried for `base`, in order: itself, numbered, then random. */
export function slugCandidates(base: string): string[] {
  if (!SITE_SLUG.test(base)) throw new Error(`Not a valid site slug: ${JSON.stringify(base)}`);
  const numbered = Array.from({ length: NUMBERED_CANDIDATES - 1 }, (_, i) => withSuffix(base, String(i + 2)));
  const random = Array.from({ length: RANDOM_CANDIDATES }, () =>
    withSuffix(base, randomBytes(4).readUInt32BE(0).toString(36).padStart(6, "0").slice(-6)),
  );
  return [base, ...numbered, ...random];
}

/** The slug allocated to a project, or null. */
export async function allocatedSlug(db: Db, projectId: string): Promise<string | null> {
  const [row] = await db.select({ slug: siteSlugs.slug }).from(siteSlugs).where(eq(siteSlugs.projectId, projectId));
  return row?.slug ?? null;
}

/**
 * The project's slug: the one it already has (allocation happens once per project, so a
 * duplicate Stripe delivery or a retry gets the same address), else the first free candidate
 * of `base`, inserted with its owner. Insert-or-nothing, no read-then-write race: two orders
 * of one name at the same instant get two addresses, and nothing aborts the caller's
 * transaction.
 */
export async function allocateSiteSlug(db: Db, projectId: string, base: string): Promise<string> {
  const existing = await allocatedSlug(db, projectId);
  if (existing) return existing;
  const candidates = slugCandidates(base);
  const taken = new Set(
    (await db.select({ slug: siteSlugs.slug }).from(siteSlugs).where(inArray(siteSlugs.slug, candidates))).map(
      (r) => r.slug,
    ),
  );
  for (const slug of candidates.filter((c) => !taken.has(c))) {
    const inserted = await db
      .insert(siteSlugs)
      .values({ slug, projectId })
      .onConflictDoNothing()
      .returning({ slug: siteSlugs.slug });
    if (inserted.length > 0) return slug;
    // Taken meanwhile, by another order or by this project's own concurrent allocation.
    const mine = await allocatedSlug(db, projectId);
    if (mine) return mine;
  }
  throw new ConflictError(`No free address was found for "${base}".`, { base });
}

/**
 * Inside the publishing transaction: locks the slug's row and checks the caller may publish
 * there. With a project: the slug must be the one allocated to it; a project that has none (a
 * run started by hand with only a project id) takes the slug now if nobody has it. Without a
 * project: a slug nobody owns (a new one is recorded as such); never one a project owns.
 * @throws SiteSlugTakenError
 */
export async function claimForPublish(tx: Db, slug: string, projectId: string | null): Promise<void> {
  // Does nothing when the slug exists, or when the project already has another one (unique).
  await tx.insert(siteSlugs).values({ slug, projectId }).onConflictDoNothing();
  const [row] = await tx
    .select({ projectId: siteSlugs.projectId })
    .from(siteSlugs)
    .where(eq(siteSlugs.slug, slug))
    .for("update");
  if (!row || row.projectId !== projectId) throw new SiteSlugTakenError(slug, projectId);
}

/** The same check without a lock or a write: lets a publisher refuse before uploading anything (the transaction checks again). */
export async function assertMayPublish(db: Db, slug: string, projectId: string | null): Promise<void> {
  const [row] = await db.select({ projectId: siteSlugs.projectId }).from(siteSlugs).where(eq(siteSlugs.slug, slug));
  const allowed = row
    ? row.projectId === projectId
    : projectId === null || (await allocatedSlug(db, projectId)) === null;
  if (!allowed) throw new SiteSlugTakenError(slug, projectId);
}

/** Who owns a slug: a project id, null (no project), or undefined (never used). */
export async function slugOwner(db: Db, slug: string): Promise<string | null | undefined> {
  const [row] = await db.select({ projectId: siteSlugs.projectId }).from(siteSlugs).where(eq(siteSlugs.slug, slug));
  return row === undefined ? undefined : row.projectId;
}
