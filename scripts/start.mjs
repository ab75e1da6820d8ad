#!/usr/bin/env node
// `npm start`: builds the app when the build is missing or older than the sources, then serves
// it on PORT (default 3000). The server itself applies migrations and prepares the admin key
// at start (src/instrumentation.ts), with the embedded database unless DATABASE_URL is set.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");
const stampFile = path.join(root, ".next", "source-hash");
const INPUTS = ["src", "public", "drizzle", "next.config.ts", "tsconfig.json", "package-lock.json", "postcss.config.mjs"];

function* files(entry) {
  const full = path.join(root, entry);
  if (!existsSync(full)) return;
  if (statSync(full).isDirectory()) {
    for (const name of readdirSync(full).sort()) yield* files(path.join(entry, name));
  } else yield entry;
}

function sourceHash() {
  const hash = createHash("sha256");
  for (const input of INPUTS) for (const file of files(input)) hash.update(file).update("\0").update(readFileSync(path.join(root, file)));
  return hash.digest("hex");
}

const current = sourceHash();
const built = existsSync(path.join(root, ".next", "BUILD_ID")) && existsSync(stampFile) ? readFileSync(stampFile, "utf8").trim() : "";
if (built !== current) {
  console.log(built ? "Sources changed since the last build: building..." : "No build yet: building (once)...");
  const result = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, stdio: "inherit", env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" } });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(stampFile, current + "\n");
}

const port = process.env.PORT || "3000";
console.log(`Serving on http://localhost:${port} (health: http://localhost:${port}/api/health)`);
const server = spawn(process.execPath, [nextBin, "start", "-p", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
