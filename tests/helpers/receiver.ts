/**
 * A loopback HTTP receiver for `http` steps that records every call by its Idempotency-Key and
 * X-Orchestrator-Attempt, can hold requests (for a while, or until released), and notices
 * overlap: a call arriving for a key while another call with the same key is still in flight.
 * An exactly-once engine never produces an overlap and calls each key once unless it retries.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedCall {
  path: string;
  key: string;
  attempt: number;
  body: string;
  arrivedAt: number;
  /** `answered`: the response was sent; `aborted`: the client went away first (killed, timed out). */
  outcome: "in_flight" | "answered" | "aborted";
  endedAt: number | null;
}

export interface Overlap {
  key: string;
  attempt: number;
  /** Attempts of the calls with the same key that were still in flight. */
  inFlightAttempts: number[];
}

/** How long to hold a call before answering 200: milliseconds, or `"until_released"`. */
export type HoldPolicy = (call: { path: string; key: string; attempt: number }) => number | "until_released";

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  base: string;
  calls: ReceivedCall[];
  overlaps: Overlap[];
  setHold(policy: HoldPolicy): void;
  /** Answers every call held `until_released`. */
  releaseAll(): void;
  callsFor(key: string): ReceivedCall[];
  /** Calls per key, for every key seen. */
  countsByKey(): Map<string, number>;
  /** Calls in flight now (optionally only those whose path starts with `prefix`). */
  inFlight(prefix?: string): ReceivedCall[];
  /** Resolves when `predicate` holds; rejects after `timeoutMs`. */
  waitUntil(predicate: () => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(hold: HoldPolicy = () => 0): Promise<Receiver> {
  let policy = hold;
  const calls: ReceivedCall[] = [];
  const overlaps: Overlap[] = [];
  const active = new Map<string, Set<ReceivedCall>>();
  const released = new Set<() => void>();
  const timers = new Set<NodeJS.Timeout>();

  const answer = (call: ReceivedCall, res: ServerResponse) => {
    if (res.writableEnded || res.destroyed) return;
    res
      .writeHead(200, { "content-type": "application/json" })
      .end(JSON.stringify({ key: call.key, attempt: call.attempt, path: call.path }));
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const call: ReceivedCall = {
        path: req.url ?? "/",
        key: String(req.headers["idempotency-key"] ?? ""),
        attempt: Number(req.headers["x-orchestrator-attempt"] ?? 0),
        body: Buffer.concat(chunks).toString(),
        arrivedAt: performance.now(),
        outcome: "in_flight",
        endedAt: null,
      };
      calls.push(call);
      const same = active.get(call.key) ?? new Set<ReceivedCall>();
      if (same.size > 0)
        overlaps.push({ key: call.key, attempt: call.attempt, inFlightAttempts: [...same].map((c) => c.attempt) });
      same.add(call);
      active.set(call.key, same);

      let timer: NodeJS.Timeout | undefined;
      let release: (() => void) | undefined;
      res.on("close", () => {
        // Fires once the response is sent, or when the client's socket goes away first.
        if (timer) {
          clearTimeout(timer);
          timers.delete(timer);
        }
        if (release) released.delete(release);
        call.outcome = res.writableFinished ? "answered" : "aborted";
        call.endedAt = performance.now();
        same.delete(call);
        if (same.size === 0 && active.get(call.key) === same) active.delete(call.key);
      });

      const holdFor = policy({ path: call.path, key: call.key, attempt: call.attempt });
      if (holdFor === "until_released") {
        release = () => answer(call, res);
        released.add(release);
      } else if (holdFor > 0) {
        timer = setTimeout(() => answer(call, res), holdFor);
        timers.add(timer);
      } else {
        answer(call, res);
      }
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    base,
    calls,
    overlaps,
    setHold(next) {
      policy = next;
    },
    releaseAll() {
      for (const release of [...released]) release();
      released.clear();
    },
    callsFor: (key) => calls.filter((c) => c.key === key),
    countsByKey() {
      const counts = new Map<string, number>();
      for (const c of calls) counts.set(c.key, (counts.get(c.key) ?? 0) + 1);
      return counts;
    },
    inFlight: (prefix) =>
      calls.filter((c) => c.outcome === "in_flight" && (prefix === undefined || c.path.startsWith(prefix))),
    async waitUntil(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`receiver: timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const release of [...released]) release();
      released.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
