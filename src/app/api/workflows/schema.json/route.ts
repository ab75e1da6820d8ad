import { definitionJsonSchema } from "@/engine/definition/json-schema";
import { withPublic } from "@/http/wrappers";

let schema: Record<string, unknown> | undefined;

// GET /api/workflows/schema.json — the JSON Schema of the workflow definition format (public; the
// same document as workflows/schema.json). A static segment: Next.js matches it before /api/workflows/[name].
export const GET = withPublic(async () => {
  schema ??= definitionJsonSchema();
  return Response.json(schema, {
    headers: { "Content-Type": "application/schema+json", "Cache-Control": "public, max-age=3600" },
  });
});
