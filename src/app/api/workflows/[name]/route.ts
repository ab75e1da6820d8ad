import { z } from "zod";
import { PRIORITIES } from "@/db/schema";
import { parseDefinition, type WorkflowDefinition } from "@/engine/definition";
import { kickTick } from "@/engine/kick";
import { getDefinition, registerDefinition } from "@/engine/registry";
import { getRun } from "@/engine/runs";
import { startRun } from "@/engine/start-run";
import { afterResponse } from "@/http/after-response";
import { parseJsonText } from "@/http/body";
import { withApiKey } from "@/http/wrappers";
import { ensureWired } from "@/runtime/wire";
import { ValidationError } from "@/errors";

const DEFINITION_TYPES = ["application/yaml", "text/yaml", "application/x-yaml", "application/json"] as const;

const versionQuery = z.strictObject({
  version: z.coerce.number().int().min(1).max(2_147_483_647).optional(),
});

const startRunInput = z.strictObject({
  input: z.unknown().optional(),
  idempotencyKey: z.string().min(1).max(200).optional(),
  priority: z.enum(PRIORITIES).optional(),
});

/**
 * JSON bodies get the API's usual `invalid_json`; everything else is the definition's to judge
 * (a DefinitionError answers `invalid_definition` with its issues as details).
 */
function readDefinition(body: { text: string; type: string }): WorkflowDefinition {
  const source: unknown = body.type === "application/json" ? parseJsonText(body.text, z.unknown()) : body.text;
  return parseDefinition(source, { format: "yaml" });
}

// PUT /api/workflows/<name> — registers a definition (YAML or JSON): 201 with a new version, 200 when unchanged.
export const PUT = withApiKey(
  { role: "admin", action: "workflows.register" },
  async ({ db, text, params, principal, audit }) => {
    audit.target = params.name;
    // Agent steps are checked against the agents' directory, and take their action's timeout.
    await ensureWired();
    const definition = readDefinition(await text(DEFINITION_TYPES));
    if (definition.name !== params.name) {
      throw new ValidationError(`The body defines "${definition.name}", but the path names "${params.name}".`, [
        { path: "name", message: `must equal the name in the path (${params.name})` },
      ]);
    }
    const { registered, created } = await registerDefinition(db, {
      definition,
      source: "api",
      createdBy: principal.actor,
    });
    audit.details = { version: registered.version, created };
    const { name, version, hash, createdAt } = registered;
    return Response.json(
      { name, version, hash, createdAt, definition: registered.definition },
      { status: created ? 201 : 200 },
    );
  },
);

// GET /api/workflows/<name>?version= — one version of a workflow (the latest by default).
export const GET = withApiKey({ role: "viewer" }, async ({ db, query, params }) => {
  const { version } = query(versionQuery);
  const registered = await getDefinition(db, params.name ?? "", version);
  const { name, source, createdAt, definition } = registered;
  return Response.json({ name, version: registered.version, source, createdAt, definition });
});

// POST /api/workflows/<name> {input?, idempotencyKey?, priority?} — starts a run: 202, or 200 with the run a repeated key started.
export const POST = withApiKey(
  { role: "operator", action: "runs.start" },
  async ({ db, optionalJson, params, principal, audit }) => {
    audit.target = params.name;
    // An empty body means `{}`: a run can be started without one.
    const body = await optionalJson(startRunInput);
    const started = await startRun(db, {
      workflow: params.name ?? "",
      input: body.input,
      idempotencyKey: body.idempotencyKey,
      priority: body.priority,
      trigger: { type: "manual", actor: principal.actor },
    });
    audit.details = { runId: started.id, created: started.created };
    const run = await getRun(db, started.id);
    if (started.created) afterResponse(() => kickTick(db));
    return Response.json(run, { status: started.created ? 202 : 200 });
  },
);
