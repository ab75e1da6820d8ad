// `npm run build` as the rehearsal's build command runs it (scripts/rehearse/build.ts puts an npm
// shim first on the command's PATH): the real `npm run build` only when .next is missing or older
// than the sources, by the same source-hash stamp as `npm start` (scripts/source-hash.mjs), then
// the stamp. The caller holds the start lock (.next-start.lock) for the whole rehearsal.
import { spawnSync } from "node:child_process";
import { builtHash, root, sourceHash, writeStamp } from "../source-hash.mjs";

const realNpm = process.env.REHEARSAL_REAL_NPM;
if (!realNpm) {
  console.error("build-if-stale: REHEARSAL_REAL_NPM is not set (run through npm run rehearse)");
  process.exit(2);
}
const current = sourceHash();
if (builtHash() === current) {
  console.log(`> npm run build: skipped, .next is current (source hash ${current.slice(0, 12)})`);
  process.exit(0);
}
const result = spawnSync(realNpm, ["run", "build"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
if (result.status !== 0) process.exit(result.status ?? 1);
writeStamp(current);
