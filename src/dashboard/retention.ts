"use client";
/**
 * The dashboard's read of retention (`GET /api/system/retention`, viewer): its schema and its
 * hook, kept beside the other resources' (schemas.ts, hooks.ts) in their style.
 */
import { z } from "zod";
import { getJson } from "./fetcher";
import { useResource } from "./hooks";

export const retentionTableSchema = z.object({
  table: z.string(),
  label: z.string(),
  retentionDays: z.number().nullable(),
  setting: z.string().nullable(),
  why: z.string(),
  lastRunAt: z.string().nullable(),
  lastDurationMs: z.number().nullable(),
  lastDeleted: z.number(),
  lastDetail: z.record(z.string(), z.number()).nullable(),
  totalDeleted: z.number(),
  caughtUp: z.boolean(),
  cutoff: z.string().nullable(),
  oldestAt: z.string().nullable(),
  oldestPrunableAt: z.string().nullable(),
  behindHours: z.number(),
  note: z.string().nullable(),
  lastError: z.string().nullable(),
});
export type RetentionTable = z.infer<typeof retentionTableSchema>;

export const retentionStatusSchema = z.object({ passBudgetMs: z.number(), tables: z.array(retentionTableSchema) });
export type RetentionStatus = z.infer<typeof retentionStatusSchema>;

export const RETENTION_URL = "/api/system/retention";

export function useRetention() {
  return useResource<typeof retentionStatusSchema>(RETENTION_URL, () => getJson(RETENTION_URL, retentionStatusSchema));
}
