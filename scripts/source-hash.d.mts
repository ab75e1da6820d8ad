// Types for scripts/source-hash.mjs (plain JavaScript: `npm start` runs it without a TypeScript loader).
import type { SpawnSyncReturns, StdioOptions } from "node:child_process";

export const root: string;
export const stampFile: string;
export function sourceHash(): string;
export function builtHash(): string;
export function writeStamp(hash: string): void;
export function buildIfStale(options?: {
  env?: NodeJS.ProcessEnv;
  stdio?: StdioOptions;
}): SpawnSyncReturns<string> | null;
