import { z } from "zod";
import { ROLES } from "./roles";

export const createApiKeyInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  role: z.enum(ROLES),
});

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});

export const uuidParam = z.uuid();

/** `createdAt|id` cursors of the key list. */
export const keyCursor = z
  .string()
  .regex(/^[^|]+\|[0-9a-f-]{36}$/i)
  .transform((s) => {
    const [createdAt, id] = s.split("|") as [string, string];
    return { createdAt, id };
  })
  .refine(
    (c) =>
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/.test(c.createdAt) && !Number.isNaN(Date.parse(c.createdAt)),
    "invalid cursor",
  );

export const auditCursor = z.coerce.number().int().positive();
