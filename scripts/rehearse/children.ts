/**
 * Every child process the rehearsal starts, so that all of them die with it: on a normal end,
 * on a failure, on SIGINT/SIGTERM, and (synchronously) on process exit. Children run in their
 * own process group (`detached`), killed as a group by their own pid, never by name.
 */
import type { ChildProcess } from "node:child_process";

const live = new Set<ChildProcess>();

export function track(child: ChildProcess): ChildProcess {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return child;
}

export function killGroup(child: ChildProcess, signal: NodeJS.Signals = "SIGKILL"): void {
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

export function killAllChildren(): void {
  for (const child of live) killGroup(child, "SIGKILL");
  live.clear();
}

process.once("exit", killAllChildren);
