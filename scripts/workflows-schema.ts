// `npm run workflows:schema`: writes workflows/schema.json, the JSON Schema of the definition
// format generated from its zod schema (src/engine/definition/json-schema.ts), formatted as the
// repository formats JSON. Run it after changing src/engine/definition/schema.ts; a test fails
// while the committed file differs from what this generates (tests/unit/engine/definition/json-schema.test.ts).
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { definitionJsonSchemaText } from "@/engine/definition/json-schema";

const file = path.join("workflows", "schema.json");
writeFileSync(file, definitionJsonSchemaText());
const biome = spawnSync("npx", ["biome", "format", "--write", file], { stdio: "inherit" });
if (biome.status !== 0) {
  console.error(`Formatting ${file} failed.`);
  process.exitCode = 1;
} else {
  console.log(`Wrote ${file}.`);
}
