import { createApiKey, listApiKeys } from "@/auth/api-keys";
import { createApiKeyInput, keyCursor, pageQuery } from "@/auth/schema";
import { withApiKey } from "@/http/wrappers";

// GET /api/keys — every key, newest first, without secrets.
export const GET = withApiKey({ role: "admin" }, async ({ db, query }) => {
  const { limit, cursor } = query(pageQuery);
  const page = await listApiKeys(db, { limit, cursor: cursor === undefined ? undefined : keyCursor.parse(cursor) });
  return Response.json(page);
});

// POST /api/keys {name, role} — 201 with the key; the only time it is ever shown.
export const POST = withApiKey({ role: "admin", action: "keys.create" }, async ({ db, json, principal, audit }) => {
  const input = await json(createApiKeyInput);
  const { apiKey, key } = await createApiKey(db, { ...input, createdBy: principal.actor });
  audit.target = apiKey.id;
  audit.details = { name: apiKey.name, role: apiKey.role };
  return Response.json({ ...apiKey, key }, { status: 201, headers: { "Cache-Control": "no-store" } });
});
