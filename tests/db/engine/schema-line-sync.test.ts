/**
 * The `# yaml-language-server: $schema=./schema.json` line of the shipped workflows is a comment:
 * a deployment that adds it registers no new version (the sync compares definitions, not text).
 */
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { beforeAll, expect, it } from "vitest";
import { parseDefinition } from "@/engine/definition";
import { SCHEMA_MODELINE } from "@/engine/definition/json-schema";
import { registerDefinition, syncWorkflowFiles } from "@/engine/registry";
import { ensureWired } from "@/runtime/wire";
import { describeDb } from "../../helpers/db";

beforeAll(async () => {
  await ensureWired();
});

describeDb("the schema line of workflow files", (suite) => {
  it("creates no version: the files registered without it sync unchanged", async () => {
    const files = readdirSync("workflows").filter((f) => /\.ya?ml$/.test(f));
    for (const file of files) {
      const text = readFileSync(path.join("workflows", file), "utf8");
      expect(text.startsWith(`${SCHEMA_MODELINE}\n`)).toBe(true);
      const without = text.slice(SCHEMA_MODELINE.length + 1);
      await registerDefinition(suite.db(), {
        definition: parseDefinition(without, { format: "yaml" }),
        source: "test",
      });
    }
    const synced = await syncWorkflowFiles(suite.db());
    expect(synced).toHaveLength(files.length);
    expect(synced.filter((w) => w.created)).toEqual([]);
  });
});
