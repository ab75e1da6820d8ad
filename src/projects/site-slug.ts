/**
 * A project's site address: allocated once, when its run starts (paid, or at once in test
 * mode), so an unpaid order reserves no address; from the business name, with a suffix when
 * the name's address is taken (src/sites/slugs.ts).
 */
import { createHash } from "node:crypto";
import type { Db } from "@/db/client";
import { NotFoundError } from "@/errors";
import { allocatedSlug, allocateSiteSlug } from "@/sites/slugs";
import { slugify, words } from "@/util/slug";
import { readOrderForm } from "./personal";

/**
 * The address a business name asks for: the brief's slug ("Boulangerie Émile & Fils" →
 * `boulangerie-emile-fils`). A name with no Latin letter or digit (Japanese, Greek, emoji…)
 * would give the same `site` for everyone, so it gets `site-` and 8 hex digits of its hash
 * instead: distinct names, distinct addresses (the same name twice: a suffix, as for any name).
 */
export function siteSlugBase(businessName: string): string {
  const name = businessName.normalize("NFC").trim();
  if (words(name).length > 0) return slugify(name);
  return `site-${createHash("sha256").update(name, "utf8").digest("hex").slice(0, 8)}`;
}

/** The project's address: the one it has, or a new one from its business name. */
export async function ensureProjectSiteSlug(db: Db, projectId: string): Promise<string> {
  const existing = await allocatedSlug(db, projectId);
  if (existing) return existing;
  return allocateSiteSlug(db, projectId, siteSlugBase(await businessNameOf(db, projectId)));
}

/**
 * The business name, or (the client's data erased before the run started) a name made of the
 * project id. Decision: still allocate and start, rather than fail the payment webhook (which
 * Stripe would retry for days): the run then stops at its brief and the operator is alerted.
 */
async function businessNameOf(db: Db, projectId: string): Promise<string> {
  try {
    return (await readOrderForm(db, projectId)).businessName;
  } catch (error) {
    if (error instanceof NotFoundError) return `site ${projectId.slice(0, 8)}`;
    throw error;
  }
}
