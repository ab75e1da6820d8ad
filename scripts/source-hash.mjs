// The build stamp shared by `npm start` (scripts/start.mjs), the test suite's global setup
// (tests/helpers/global-setup.ts) and `npm run rehearse` (scripts/rehearse/build-if-stale.mjs): a
// hash of every input of `next build`, written to .next/source-hash after a successful build, so a
// build is skipped while .next is current.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
export const stampFile = path.join(root, ".next", "source-hash");
const INPUTS = [
  "src",
  "public",
  "drizzle",
  "next.config.ts",
  "tsconfig.json",
  "package-lock.json",
  "postcss.config.mjs",
  "vercel.json",
];

function* files(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) yield* files(path.join(entry, name));
  } else yield entry;
}

export function sourceHash() {
  const hash = createHash("sha256");
  for (const input of INPUTS)
    for (const file of files(input))
      hash
        .update(file)
        .update("\0")
        .update(readFileSync(path.join(root, file)));
  return hash.digest("hex");
}

/** The stamp of the build in .next ("" when there is no complete build). */
export function builtHash() {
  return existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stampFile)
    ? readFileSync(stampFile, "utf8").trim()
    : "";
}

export function writeStamp(hash) {
  writeFileSync(stampFile, hash + "\n");
}

/**
 * `next build` when .next is missing or older than the sources, then the stamp. Returns the
 * build's spawnSync result, or null when .next was current. The caller serialises builds (two in
 * one directory at once break each other): `npm start` is one process, the tests and the
 * rehearsal hold the start lock (scripts/rehearse/start-lock.ts).
 */
export function buildIfStale({ env = process.env, stdio = "inherit" } = {}) {
  const current = sourceHash();
  const built = builtHash();
  if (built === current) return null;
  console.log(built ? "Sources changed since the last build: building..." : "No build yet: building (once)...");
  const result = spawnSync(
    process.execPath,
    [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"],
    {
      cwd: root,
      stdio,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
      env: { ...env, NEXT_TELEMETRY_DISABLED: "1" },
    },
  );
  if (result.status === 0) writeStamp(current);
  return result;
}

// `node scripts/source-hash.mjs --write` (the end of `npm run build`): stamps the build just made,
// so `npm start` after `npm run build` (self-hosting) serves it instead of building again.
if (
  process.argv[1] &&
  path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname) &&
  process.argv.includes("--write")
) {
  writeStamp(sourceHash());
}
