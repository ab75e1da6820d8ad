import { listLatestDefinitions } from "@/engine/registry";
import { withApiKey } from "@/http/wrappers";

// GET /api/workflows — the latest version of every workflow, by name.
export const GET = withApiKey({ role: "viewer" }, async ({ db }) => {
  const workflows = (await listLatestDefinitions(db)).map(({ name, version, definition, source }) => ({
    name,
    version,
    description: definition.description ?? null,
    trigger: definition.trigger,
    source,
  }));
  return Response.json({ workflows });
});
