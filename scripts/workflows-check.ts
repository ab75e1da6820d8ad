// `npm run workflows:check [files or directories]` (default: workflows/): validates workflow files
// offline, with the checks registration runs (src/engine/check-files.ts), and prints each problem
// as file:line:column: path: message. Exits 1 on any problem. Needs no database.
import { checkWorkflowFiles, formatProblem } from "@/engine/check-files";
import { ensureWired } from "@/runtime/wire";

const targets = process.argv.slice(2);
// Agent steps are checked against the agents this deployment serves, as at registration.
await ensureWired();
const { files, problems } = await checkWorkflowFiles(targets.length > 0 ? targets : ["workflows"]);
for (const problem of problems) console.error(formatProblem(problem));
if (files.length === 0) {
  console.error("No workflow files found.");
  process.exitCode = 1;
} else if (problems.length > 0) {
  const failed = new Set(problems.map((p) => p.file)).size;
  console.error(`${problems.length} problem(s) in ${failed} of ${files.length} workflow file(s).`);
  process.exitCode = 1;
} else {
  console.log(`${files.length} workflow file(s) OK.`);
}
