// `npm run deps:check`: the layers and import circles of src/ (docs/architecture.md, "Shape").
import { describeViolation, findLayerViolations } from "./layers";

const violations = await findLayerViolations();
for (const violation of violations) console.error(describeViolation(violation));
console.log(violations.length === 0 ? "deps:check: no violation" : `deps:check: ${violations.length} violation(s)`);
process.exitCode = violations.length === 0 ? 0 : 1;
