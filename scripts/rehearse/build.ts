/**
 * The deploy's build step: the `buildCommand` of vercel.json, exactly as written there, through
 * `sh -c`, with the production environment (so its `npm run db:migrate` and workflow sync reach
 * the rehearsal database through the Neon driver and the relay). One substitution, by PATH, not
 * by editing the command: `npm run build` is skipped while .next is current (the source-hash
 * stamp of `npm start`), since the rehearsal holds the start lock and a stale build is rebuilt.
 */
import { spawn } from "node:child_process";
import { accessSync, chmodSync, constants, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { RehearsalFailure, say } from "./util";

export interface VercelConfig {
  buildCommand: string;
  crons: { path: string; schedule: string }[];
}

export function readVercelConfig(root: string): VercelConfig {
  const config = JSON.parse(readFileSync(path.join(root, "vercel.json"), "utf8")) as Partial<VercelConfig>;
  if (typeof config.buildCommand !== "string" || !config.buildCommand.trim())
    throw new RehearsalFailure("vercel.json has no buildCommand");
  return { buildCommand: config.buildCommand, crons: config.crons ?? [] };
}

/** The npm the shim hands everything else to: the first on PATH. */
function realNpm(): string {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, "npm");
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new RehearsalFailure("npm is not on PATH");
}

export interface BuildResult {
  command: string;
  elapsedMs: number;
  /** True when `npm run build` found .next current. */
  reused: boolean;
}

export async function runBuildCommand(
  root: string,
  workDir: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): Promise<BuildResult> {
  const { buildCommand } = readVercelConfig(root);
  const shimDir = path.join(workDir, "bin");
  const shim = path.join(shimDir, "npm");
  mkdirSync(shimDir, { recursive: true });
  writeFileSync(
    shim,
    [
      "#!/bin/sh",
      "# npm on the rehearsal build command's PATH: `npm run build` only when .next is stale.",
      'if [ "$#" -eq 2 ] && [ "$1" = run ] && [ "$2" = build ]; then',
      `  exec "${process.execPath}" "${path.join(root, "scripts", "rehearse", "build-if-stale.mjs")}"`,
      "fi",
      'exec "$REHEARSAL_REAL_NPM" "$@"',
      "",
    ].join("\n"),
  );
  chmodSync(shim, 0o755);
  say(`build: sh -c ${JSON.stringify(buildCommand)}`);
  const started = performance.now();
  const child = spawn("sh", ["-c", buildCommand], {
    cwd: root,
    env: {
      ...env,
      PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ""}`,
      REHEARSAL_REAL_NPM: realNpm(),
      NEXT_TELEMETRY_DISABLED: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const take = (chunk: Buffer) => {
    const text = chunk.toString("utf8");
    output += text;
    for (const line of text.split("\n")) if (line.trim()) console.log(`  | ${line}`);
  };
  child.stdout.on("data", take);
  child.stderr.on("data", take);
  const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
  writeFileSync(logFile, output);
  if (code !== 0)
    throw new RehearsalFailure(`the vercel.json build command failed (exit ${code}); its output is in ${logFile}`);
  return {
    command: buildCommand,
    elapsedMs: Math.round(performance.now() - started),
    reused: output.includes("npm run build: skipped"),
  };
}
