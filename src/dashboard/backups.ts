"use client";
/**
 * The dashboard's read of backups (`GET /api/backups`, viewer): its schema and its hook, kept
 * beside the other resources' (schemas.ts, hooks.ts) in their style.
 */
import { z } from "zod";
import { getJson } from "./fetcher";
import { useResource } from "./hooks";

export const backupSchema = z.object({
  id: z.string(),
  status: z.string(),
  trigger: z.string(),
  requestedBy: z.string().nullable(),
  schemaVersion: z.string(),
  tables: z.number(),
  rows: z.number(),
  bytes: z.number(),
  parts: z.number(),
  durationMs: z.number().nullable(),
  destinations: z.array(
    z.object({ name: z.string(), kind: z.string(), location: z.string(), prunedAt: z.string().nullable().optional() }),
  ),
  verification: z.string(),
  verifiedAt: z.string().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Backup = z.infer<typeof backupSchema>;

export const drillSchema = z.object({
  id: z.string(),
  backupId: z.string().nullable(),
  status: z.string(),
  tables: z.number(),
  rows: z.number(),
  durationMs: z.number().nullable(),
  error: z.string().nullable(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});
export type Drill = z.infer<typeof drillSchema>;

export const backupsSchema = z.object({
  backups: z.array(backupSchema),
  nextCursor: z.string().nullable(),
  lastBackup: backupSchema.nullable(),
  lastDrill: drillSchema.nullable(),
  latestDrill: drillSchema.nullable(),
  thresholds: z.object({ backupHours: z.number().nullable(), drillHours: z.number().nullable() }),
});
export type Backups = z.infer<typeof backupsSchema>;

export const BACKUPS_URL = "/api/backups?limit=5";

export function useBackups() {
  return useResource<typeof backupsSchema>(BACKUPS_URL, () => getJson(BACKUPS_URL, backupsSchema));
}

/** Hours since an instant, or null. */
export function hoursSince(at: string | null | undefined, now: number): number | null {
  return at ? (now - Date.parse(at)) / 3_600_000 : null;
}
