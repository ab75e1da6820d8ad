import { z } from "zod";
import { validateForRegistration } from "@/engine/check-files";
import { MAX_SOURCE_CHARS } from "@/engine/definition/source";
import { dryRun } from "@/engine/dry-run";
import { getDefinition } from "@/engine/registry";
import { ValidationError } from "@/errors";
import { withApiKey } from "@/http/wrappers";
import { ensureWired } from "@/runtime/wire";

const dryRunInput = z
  .strictObject({
    input: z.unknown().optional(),
    /** A definition to try instead of the registered one: YAML/JSON text, or the parsed object. */
    definition: z.union([z.string().max(MAX_SOURCE_CHARS), z.record(z.string(), z.unknown())]).optional(),
    /** A registered version (the latest by default); not with `definition`. */
    version: z.number().int().min(1).max(2_147_483_647).optional(),
  })
  .refine((body) => body.definition === undefined || body.version === undefined, {
    message: "give either a definition or a registered version, not both",
    path: ["version"],
  });

// POST /api/workflows/<name>/dry-run {input?, definition?, version?} — validates a definition (the
// registered one, or one given, with the checks of registration) and an input, and answers the plan
// of a manual start (src/engine/dry-run.ts) without starting a run or calling anything.
export const POST = withApiKey(
  { role: "operator", action: "workflows.dry_run" },
  async ({ db, json, params, principal, audit }) => {
    const name = params.name ?? "";
    audit.target = name;
    const body = await json(dryRunInput);
    if (body.definition === undefined) {
      const registered = await getDefinition(db, name, body.version);
      const plan = dryRun({
        definition: registered.definition,
        version: registered.version,
        input: body.input,
        actor: principal.actor,
      });
      return Response.json(plan);
    }
    // Agent steps are checked against the agents' directory, and take their action's timeout.
    await ensureWired();
    const definition = validateForRegistration(body.definition);
    if (definition.name !== name) {
      throw new ValidationError(`The body defines "${definition.name}", but the path names "${name}".`, [
        { path: "definition.name", message: `must equal the name in the path (${name})` },
      ]);
    }
    return Response.json(dryRun({ definition, version: null, input: body.input, actor: principal.actor }));
  },
);
