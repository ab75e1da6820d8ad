/** Small helpers shared by the rehearsal's modules. */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A port nothing listens on right now (bound then released on 127.0.0.1). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * A free port below the kernel's ephemeral range, for the servers, which are restarted on the
 * same port again and again: a port in the ephemeral range could meanwhile be the local end of
 * one of the many outgoing connections, and the restart would fail with EADDRINUSE.
 */
export async function freeStablePort(): Promise<number> {
  let low = 32_768;
  try {
    low = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: the usual default
  }
  const from = Math.max(10_000, low - 12_000);
  for (let i = 0; i < 200; i++) {
    const port = from + Math.floor(Math.random() * (low - from));
    if (await canListen(port)) return port;
  }
  return freePort();
}

export function randomBetween(min: number, max: number): number {
  return min + Math.random() * (max - min);
}

/** Seconds since the rehearsal started, for its progress lines. */
const started = performance.now();
export function say(message: string): void {
  console.log(`[rehearse ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}`);
}

export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Polls `check` until it returns a value (not undefined), or throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/** A failed invariant or workload: the message says what and where to look. */
export class RehearsalFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RehearsalFailure";
  }
}
