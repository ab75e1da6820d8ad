/**
 * The outside world of the `http` steps: a loopback server answering 200 at once, counting
 * calls per path and noticing overlap (a call for an Idempotency-Key while another with the same
 * key is still in flight: two attempts of one step at once).
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

export interface Receiver {
  url: string;
  calls: number;
  byPrefix: Map<string, number>;
  overlaps: string[];
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const inFlight = new Map<string, number>();
  const receiver: Receiver = { url: "", calls: 0, byPrefix: new Map(), overlaps: [], close: async () => undefined };
  const server = http.createServer((req, res) => {
    const key = String(req.headers["idempotency-key"] ?? "");
    const prefix = (req.url ?? "/").split("/")[1] ?? "";
    receiver.calls += 1;
    receiver.byPrefix.set(prefix, (receiver.byPrefix.get(prefix) ?? 0) + 1);
    if (key) {
      if ((inFlight.get(key) ?? 0) > 0) receiver.overlaps.push(`${req.url} (key ${key})`);
      inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
    }
    const done = () => {
      if (key) inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
    };
    req.resume();
    req.on("end", () => {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true, path: req.url }));
      done();
    });
    req.on("error", done);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  receiver.close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}
