/** Test helpers for what a process writes and for random orderings. */
import { vi } from "vitest";

/** Captures everything written to stdout and stderr (where the logger writes) into `into`, until vi.restoreAllMocks(). */
export function captureOutput(into: string[]): void {
  const capture = (chunk: string | Uint8Array) => {
    into.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    return true;
  };
  vi.spyOn(process.stdout, "write").mockImplementation(capture as typeof process.stdout.write);
  vi.spyOn(process.stderr, "write").mockImplementation(capture as typeof process.stderr.write);
}

/** A shuffled copy (Fisher–Yates). */
export function shuffle<T>(list: readonly T[]): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
