/**
 * The steps of workflows/platform_backup.yaml: the work is in src/backups/. Each action takes the
 * backup's id (the run's id). A missing key or destination, or a backup that is no longer running
 * (failed, or interrupted by a restore) is refused (422: the step fails at once, retrying cannot
 * help); anything else (the database, a destination's I/O) is retried.
 */
import { z } from "zod";
import { exportChunk, failBackup, finishBackup, planBackup, verifyBackup } from "@/backups/backup";
import { runRestoreDrill } from "@/backups/drill";
import { CodedError } from "@/errors";
import { ActionRejected, defineAction } from "../framework";

const backupId = z.guid();

const chunkSchema = z.strictObject({
  family: z.string().min(1).max(200),
  part: z.number().int().nonnegative(),
  after: z.string().max(10_000).nullable(),
  until: z.string().max(10_000).nullable(),
});

/** A configuration or state problem is final: the step fails without burning its retries. */
async function refusing<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CodedError && (error.status < 500 || error.code === "not_configured"))
      throw new ActionRejected(error.message, error.details);
    throw error;
  }
}

export const backupPlanAction = defineAction({
  description:
    "Records a backup and cuts every table of the platform into chunks (families of tables, keyset ranges of their root) that each fit a step.",
  input: z.strictObject({
    backupId,
    trigger: z.string().min(1).max(50),
    requestedBy: z.string().max(200).nullable().optional(),
  }),
  output: z.strictObject({
    backupId,
    schemaVersion: z.string(),
    tables: z.number().int(),
    phases: z.array(z.array(chunkSchema)),
  }),
  timeoutMs: 45_000,
  handler: (input, ctx) => refusing(() => planBackup(ctx.db, input)),
});

export const backupExportChunkAction = defineAction({
  description:
    "Exports one chunk of a family of tables (one snapshot) as gzip NDJSON parts encrypted with the backup key, to every destination.",
  input: z.strictObject({ backupId, chunk: chunkSchema }),
  output: z.strictObject({
    family: z.string(),
    part: z.number().int(),
    rows: z.number().int(),
    bytes: z.number().int(),
  }),
  timeoutMs: 45_000,
  handler: ({ backupId: id, chunk }, ctx) => refusing(() => exportChunk(ctx.db, id, chunk)),
});

export const backupFinishAction = defineAction({
  description: "Writes the backup's manifest (schema version, row counts, SHA-256 of every part) to every destination.",
  input: z.strictObject({ backupId }),
  output: z.strictObject({
    backupId,
    tables: z.number().int(),
    rows: z.number().int(),
    bytes: z.number().int(),
    parts: z.number().int(),
    manifestSha256: z.string(),
  }),
  timeoutMs: 45_000,
  handler: ({ backupId: id }, ctx) => refusing(() => finishBackup(ctx.db, id)),
});

export const backupVerifyAction = defineAction({
  description:
    "Reads every copy of the backup back (manifest HMAC, every part's SHA-256, decryption, row counts), then applies retention.",
  input: z.strictObject({ backupId }),
  output: z.strictObject({
    backupId,
    verified: z.boolean(),
    destinations: z.number().int(),
    pruned: z.array(z.string()),
  }),
  timeoutMs: 45_000,
  handler: ({ backupId: id }, ctx) => refusing(() => verifyBackup(ctx.db, id)),
});

export const backupFailAction = defineAction({
  description: "The backup's error handler: marks a running backup failed and removes its partial copies.",
  input: z.strictObject({ backupId, reason: z.unknown().optional() }),
  output: z.strictObject({ status: z.string() }),
  timeoutMs: 30_000,
  handler: ({ backupId: id, reason }, ctx) =>
    failBackup(ctx.db, id, typeof reason === "string" ? reason : JSON.stringify(reason ?? "a step failed")),
});

export const backupDrillAction = defineAction({
  description:
    "Restores the newest verified backup into a scratch database (PGlite in a temporary folder), checking every checksum and row count, and records the drill. A failed drill is recorded, then refused (422).",
  input: z.strictObject({}),
  output: z.strictObject({
    drillId: z.guid(),
    backupId: z.guid().nullable(),
    status: z.literal("succeeded"),
    tables: z.number().int(),
    rows: z.number().int(),
    durationMs: z.number().int(),
    error: z.null(),
  }),
  timeoutMs: 45_000,
  handler: async (_input, ctx) => {
    const result = await runRestoreDrill(ctx.db);
    if (result.status !== "succeeded")
      throw new ActionRejected(`The restore drill failed: ${result.error}`, { drillId: result.drillId });
    return { ...result, status: "succeeded" as const, error: null };
  },
});
