/**
 * The start lock the end-to-end tests use (tests/helpers/app-process.ts, `withStartLock`): a
 * directory `.next-start.lock` beside .next holding the owner's pid; a lock whose owner is gone
 * is taken over. The rehearsal holds it from its build to its end, so no test rebuilds .next
 * under the rehearsal's running servers (and it never builds under theirs).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { say, sleep } from "./util";

export interface StartLock {
  release(): void;
}

function ownerAlive(pid: number): boolean {
  if (!(pid > 0)) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export async function acquireStartLock(root: string): Promise<StartLock> {
  const dir = path.join(root, ".next-start.lock");
  let announced = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(path.join(dir, "pid"), String(process.pid));
      break;
    } catch {
      let owner = 0;
      try {
        owner = Number(readFileSync(path.join(dir, "pid"), "utf8"));
      } catch {
        // being created or removed: look again
      }
      if (owner > 0 && !ownerAlive(owner)) rmSync(dir, { recursive: true, force: true });
      else {
        if (!announced && owner > 0) say(`waiting for the start lock (${dir}) held by pid ${owner}`);
        announced = true;
        await sleep(250);
      }
    }
  }
  let released = false;
  return {
    release: () => {
      if (released) return;
      released = true;
      // Only our own lock: a takeover by someone else (we were presumed dead) stays theirs.
      try {
        if (Number(readFileSync(path.join(dir, "pid"), "utf8")) === process.pid)
          rmSync(dir, { recursive: true, force: true });
      } catch {
        // already gone
      }
    },
  };
}
