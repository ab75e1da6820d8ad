/**
 * Site clients' personal data (the 399 EUR order): erasure on request, and the sealing of
 * projects stored before their order form was encrypted.
 *
 * What a site client's personal data is, and where it lives (src/projects/personal.ts): the
 * order form as submitted (contact email, brief) in `projects.brief_sealed` with the email's
 * search hash; the email to the client in the outbox (encrypted: recipient, body, HTML). Runs
 * and steps carry the project id only.
 *
 * Decision: erasure OVERWRITES (nulls the ciphertexts and the hash, blanks the outbox message),
 * it does not crypto-shred with per-client keys: the keyring is per version, not per person, and
 * one overwrite in one transaction is simple to verify (the tests scan every table afterwards).
 * Copies in backups age out with the backups' retention; we cannot reach into them.
 *
 * Decision: what the published site keeps. The site at /sites/<slug>/, and the step outputs
 * that produced it (design, page texts, built files, ad drafts), are the business's public
 * content: its name, its tagline, the address it chose to publish (`publicEmail`). They were
 * made to be public, by the client's order, and belong to the business, not to the person who
 * ordered; an erasure of that person does not unpublish the business. Taking a site down is a
 * separate, deliberate act. The private contact email was never published, so nothing there
 * needs erasing.
 *
 * Outside our database: the Stripe Checkout session (the email is sent to Stripe as the payer's
 * address) is Stripe's record, erased through Stripe.
 */
import { sql } from "drizzle-orm";
import { queryRows, type Db } from "@/db/client";
import { log } from "@/observability/log";
import { PROJECT_BRIEF_CONTEXT } from "./personal";
import { encryptField, searchHashes, searchHashOptional } from "@/privacy/crypto";
import { maskEmail } from "@/privacy/mask";
import { contactEmailOfForm } from "@/privacy/registry";

export type SiteClientTarget = { projectId: string } | { email: string };

export interface SiteClientErasure {
  /** The projects whose client data was erased now (ids only). */
  projectIds: string[];
  /** The projects that matched but had been erased before (nothing left to erase). */
  alreadyErased: string[];
  /** Personal outbox messages blanked. */
  messages: number;
}

/** Text placed in NOT NULL columns whose content was erased. */
export const ERASED = "[erased]";

/**
 * Erases a site client's personal data: by project id, or by contact email (through its keyed
 * search hashes under every key version, and, for a legacy row not yet sealed, its clear email).
 * One transaction: the projects' order forms and hashes, the clear legacy brief, the legacy
 * copies of the email in their runs' rows, and the personal outbox messages of their runs.
 * Idempotent: erasing again finds nothing and changes nothing.
 */
export async function eraseSiteClient(db: Db, target: SiteClientTarget): Promise<SiteClientErasure> {
  const hashes = "email" in target ? searchHashes(target.email, "email") : [];
  return db.transaction(async (tx) => {
    const match =
      "projectId" in target
        ? sql`id = ${target.projectId}`
        : sql`(contact_email_hash = any(${sql.param(hashes)}::text[]) or lower(trim(brief->>'contactEmail')) = ${target.email.trim().toLowerCase()})`;
    const matched = await queryRows<{
      id: string;
      run_id: string | null;
      legacy_email: string | null;
      erased: boolean;
    }>(
      tx,
      sql`select id, run_id, brief->>'contactEmail' as legacy_email, erased_at is not null as erased from projects
          where ${match} order by id for update`,
    );
    const rows = matched.filter((r) => !r.erased);
    let messages = 0;
    for (const row of rows) {
      await tx.execute(
        sql`update projects set brief = null, brief_sealed = null, contact_email_hash = null, erased_at = now() where id = ${row.id}`,
      );
      if (!row.run_id) continue;
      if (row.legacy_email) await scrubRunCopies(tx, row.run_id, row.legacy_email);
      messages += await blankPersonalMessages(tx, row.run_id);
    }
    return {
      projectIds: rows.map((r) => r.id),
      alreadyErased: matched.filter((r) => r.erased).map((r) => r.id),
      messages,
    };
  });
}

/**
 * The run's personal messages (those stored encrypted: the client's email; the operators'
 * alerts about the run are in clear and name no one) are blanked. One still waiting to be sent
 * is failed rather than sent to nobody.
 */
async function blankPersonalMessages(tx: Db, runId: string): Promise<number> {
  const rows = await queryRows<{ id: string }>(
    tx,
    sql`update outbox set recipient = ${ERASED}, body = ${ERASED}, rich = null,
          status = case when status = 'pending' then 'failed' else status end,
          last_error = case when status = 'pending' then 'the recipient''s data was erased' else last_error end,
          next_attempt_at = null
        where dedupe_key like ${`${runId}:%`} and recipient like 'enc:v%'
        returning id`,
  );
  return rows.length;
}

/**
 * Legacy runs (started with the brief in their input) hold the client's email in clear in their
 * input and in the steps that passed the brief on: every copy is replaced by its masked form.
 * The rest of the brief is the site's public content and stays (see the header).
 */
async function scrubRunCopies(tx: Db, runId: string, email: string): Promise<void> {
  // As typed, and as normalize_brief passed it on (trimmed, lower case).
  for (const copy of new Set([email, email.trim().toLowerCase()])) {
    const masked = maskEmail(copy);
    // The JSON text of an address (z.email: no quote, no backslash) is the address itself.
    const swap = (column: string) => sql`replace(${sql.identifier(column)}::text, ${copy}, ${masked})::jsonb`;
    const holds = (column: string) => sql`strpos(${sql.identifier(column)}::text, ${copy}) > 0`;
    await tx.execute(
      sql`update runs set input = ${swap("input")}, output = ${swap("output")} where id = ${runId} and (${holds("input")} or ${holds("output")})`,
    );
    await tx.execute(
      sql`update steps set input = ${swap("input")}, output = ${swap("output")}, item = ${swap("item")}
          where run_id = ${runId} and (${holds("input")} or ${holds("output")} or ${holds("item")})`,
    );
  }
}

/**
 * Projects stored before their order form was encrypted (`brief` in clear): each is sealed
 * (`brief_sealed`, `contact_email_hash`, `brief` cleared) and the copies of its email in its
 * run's rows are masked, in batches of short transactions (`skip locked`: a row in use is done
 * on a later pass). A project whose run is still in flight is left for a later pass, so the run
 * ends with the data it started with.
 *
 * Decision: done eagerly right after the migrations (`npm run db:migrate`, the local start, and
 * `npm run keys:rotate`), not lazily on read: a lazy path leaves every project nobody opens in
 * clear forever, and the SQL migration cannot do it (it has no key).
 * Returns the number of projects sealed.
 */
export async function sealLegacySiteOrders(db: Db, options: { batchSize?: number } = {}): Promise<number> {
  const batchSize = options.batchSize ?? 100;
  let sealed = 0;
  for (;;) {
    const done = await db.transaction(async (tx) => {
      const rows = await queryRows<{ id: string; run_id: string | null; brief: unknown }>(
        tx,
        sql`select p.id, p.run_id, p.brief from projects p
            where p.brief is not null
              and not exists (select 1 from runs r where r.id = p.run_id and r.status not in ('succeeded', 'failed', 'cancelled'))
            order by p.id limit ${batchSize} for update of p skip locked`,
      );
      for (const row of rows) {
        const json = JSON.stringify(row.brief);
        const email = contactEmailOfForm(json);
        await tx.execute(
          sql`update projects set brief_sealed = ${encryptField(json, PROJECT_BRIEF_CONTEXT)},
                contact_email_hash = ${searchHashOptional(email, "email")}, brief = null
              where id = ${row.id}`,
        );
        if (row.run_id && email) await scrubRunCopies(tx, row.run_id, email);
      }
      return rows.length;
    });
    sealed += done;
    if (done < batchSize) break;
  }
  if (sealed > 0) log.info("privacy: sealed site orders stored in clear", { projects: sealed });
  return sealed;
}
