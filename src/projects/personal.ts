/**
 * A site client's personal data: the order form as submitted (the contact email, and the brief
 * as the client typed it) is stored encrypted on the project (`brief_sealed`, AES-256-GCM bound
 * to `projects.brief`), with a keyed search hash of the contact email beside it for erasure by
 * email. Nothing else holds it: the site_generation run carries only the project id, and the
 * steps that need the brief or the email read the project here and decrypt it (normalize_brief
 * when it starts, notify_client when it hands the message to the (encrypting) outbox).
 *
 * Decision: what is the client's, what is the business's. The order's `contactEmail` is where
 * WE reach the client ("we send the link to your new site here"): personal, never published,
 * erased on request. The optional `publicEmail` is the address the client chose to PUBLISH on
 * the site: the business's public contact info, like its name and tagline. Those public fields
 * become the site (and the steps that produce it); an erasure does not unpublish them (see
 * src/projects/site-clients.ts).
 *
 * Legacy rows (before this encryption) hold the form in clear in `brief`; `openOrderForm` still
 * reads them, and `sealLegacySiteOrders` moves them into `brief_sealed` after the migrations.
 */
import { eq } from "drizzle-orm";
import type { Db } from "@/db/client";
import { projects } from "@/db/schema";
import { NotFoundError } from "@/errors";
import { decryptField, encryptField, searchHashOptional } from "@/privacy/crypto";
import { orderFormSchema, type OrderForm } from "./schema";

/** The encryption context of `projects.brief_sealed` (src/privacy/registry.ts registers it for rotation). */
export const PROJECT_BRIEF_CONTEXT = "projects.brief";

/** The stored, encrypted form of an order and the search hash of its contact email. */
export function sealOrderForm(form: OrderForm): { briefSealed: string; contactEmailHash: string | null } {
  return {
    briefSealed: encryptField(JSON.stringify(form), PROJECT_BRIEF_CONTEXT),
    contactEmailHash: searchHashOptional(form.contactEmail, "email"),
  };
}

/** What a project row stores about its order (either column may be null). */
export interface StoredOrder {
  briefSealed: string | null;
  /** Legacy rows only: the form in clear. */
  brief: unknown;
}

/**
 * The order form of a project, decrypted; null when it was erased (or never readable). A legacy
 * clear brief (shaped like `briefOf`'s output: the same fields) is read through the same schema.
 * Throws DecryptionError when a token cannot be read (a key left ENCRYPTION_KEYS): our fault.
 */
export function openOrderForm(stored: StoredOrder): OrderForm | null {
  const raw: unknown =
    stored.briefSealed !== null ? JSON.parse(decryptField(stored.briefSealed, PROJECT_BRIEF_CONTEXT)) : stored.brief;
  if (raw == null) return null;
  const parsed = orderFormSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

/**
 * A project's order form, for the steps that need it; NotFoundError for an unknown or erased
 * project. `lock`: hold the row (FOR SHARE) until the caller's transaction ends, so an erasure
 * (which takes it FOR UPDATE) cannot commit between this read and what the caller stores.
 */
export async function readOrderForm(db: Db, projectId: string, options: { lock?: boolean } = {}): Promise<OrderForm> {
  const query = db
    .select({ briefSealed: projects.briefSealed, brief: projects.brief })
    .from(projects)
    .where(eq(projects.id, projectId));
  const [row] = options.lock ? await query.for("share") : await query;
  const form = row ? openOrderForm(row) : null;
  if (!form)
    throw new NotFoundError(
      `Project ${projectId} has no order data (unknown project, or its client's data was erased).`,
    );
  return form;
}
