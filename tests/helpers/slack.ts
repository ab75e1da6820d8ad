/** A loopback Slack incoming-webhook: records each post, answers `status` (200 by default). */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeSlack {
  base: string;
  calls: { path: string; body: unknown }[];
  /** The status the next posts get. */
  status: number;
  close(): Promise<void>;
}

export async function startSlackReceiver(): Promise<FakeSlack> {
  const slack: FakeSlack = { base: "", calls: [], status: 200, close: async () => {} };
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      slack.calls.push({ path: req.url ?? "/", body: JSON.parse(body) as unknown });
      res.writeHead(slack.status, { "content-type": "text/plain" }).end(slack.status === 200 ? "ok" : "no_service");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  slack.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  slack.close = () => new Promise((resolve) => server.close(() => resolve()));
  return slack;
}
