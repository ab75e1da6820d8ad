#!/usr/bin/env node
// The package registry this project installs from lacks next's non-Linux SWC binaries, so
// `npm install` leaves them out of package-lock.json and `npm ci` then refuses the lockfile as
// out of sync. This adds lockfile entries for those optional, platform-bound packages (with
// their os/cpu, so npm skips them on Linux without fetching). Run it after any `npm install`
// that rewrites the lockfile: `node scripts/lockfile-add-missing-optional.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORM = {
  "@next/swc-darwin-arm64": { os: ["darwin"], cpu: ["arm64"] },
  "@next/swc-darwin-x64": { os: ["darwin"], cpu: ["x64"] },
  "@next/swc-win32-arm64-msvc": { os: ["win32"], cpu: ["arm64"] },
  "@next/swc-win32-x64-msvc": { os: ["win32"], cpu: ["x64"] },
};

const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const next = lock.packages["node_modules/next"];
let added = 0;
for (const [name, platform] of Object.entries(PLATFORM)) {
  const version = next?.optionalDependencies?.[name];
  const key = `node_modules/${name}`;
  if (!version || lock.packages[key]) continue;
  lock.packages[key] = {
    version,
    cpu: platform.cpu,
    license: "MIT",
    optional: true,
    os: platform.os,
    engines: { node: ">= 10" },
  };
  added++;
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a.localeCompare(b))),
);
writeFileSync("package-lock.json", JSON.stringify(lock, null, 2) + "\n");
console.log(`package-lock.json: added ${added} missing optional platform package(s).`);
