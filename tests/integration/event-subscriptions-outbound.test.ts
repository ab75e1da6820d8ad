/**
 * Outgoing webhooks under the outbound policy: a subscription to a refused address is a 400
 * naming the policy, and a subscriber whose name resolves to a refused address at send time
 * (after passing the check at creation) receives nothing: the delivery goes dead at once with
 * the policy's message.
 */
import dns, { type LookupAddress } from "node:dns";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { queryRows } from "@/db/client";
import { publishEvent } from "@/engine/events";
import { deliverDueEvents } from "@/events/subscriptions";
import { POST as subscribe } from "@/app/api/events/subscriptions/route";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

let server: Server;
let port = 0;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req.url ?? "");
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => vi.restoreAllMocks());

describeDb("outgoing webhooks under the outbound policy", (suite) => {
  const db = () => suite.db();
  let admin = "";
  beforeAll(async () => {
    admin = (await createApiKey(db(), { name: "outbound admin", role: "admin" })).key;
  });

  it("refuses a subscription to a refused address with a 400 naming the policy", async () => {
    for (const url of [
      "http://169.254.169.254/latest/meta-data",
      "http://100.100.100.200/hook",
      "http://[::ffff:10.0.0.1]/hook",
      "http://198.18.0.1/hook",
      "http://[fec0::1]/hook",
      "http://localhost:9/hook",
    ]) {
      const res = await callJson<{ error: { code: string; message: string; details: unknown } }>(
        subscribe,
        "/api/events/subscriptions",
        { method: "POST", key: admin, body: { topic: "order.*", url } },
      );
      expect(res.status, url).toBe(400);
      expect(JSON.stringify(res.body.error), url).toMatch(/outbound policy/);
    }
  });

  it("refuses at send time a subscriber whose name now resolves to a refused address: nothing sent, dead at once", async () => {
    const created = await callJson<{ subscription: { id: string } }>(subscribe, "/api/events/subscriptions", {
      method: "POST",
      key: admin,
      body: { topic: "rebind.*", url: `http://hooks.example:${port}/hook` },
    });
    expect(created.status).toBe(201);
    vi.spyOn(dns, "lookup").mockImplementation(((_host: string, options: unknown, callback: unknown) => {
      const cb = (typeof options === "function" ? options : callback) as (
        e: Error | null,
        a: string | LookupAddress[],
        f?: number,
      ) => void;
      const all = typeof options === "object" && options !== null && (options as { all?: boolean }).all;
      setImmediate(() => (all ? cb(null, [{ address: "127.0.0.1", family: 4 }]) : cb(null, "127.0.0.1", 4)));
    }) as never);
    await publishEvent(db(), { topic: "rebind.test", data: { n: 1 }, source: "test" });
    const counts = await deliverDueEvents(db(), { limit: 10 });
    expect(counts.dead).toBe(1);
    expect(received).toEqual([]);
    const [row] = await queryRows<{ status: string; attempts: number; last_error: string }>(
      db(),
      sql`select status, attempts, last_error from event_deliveries where subscription_id = ${created.body.subscription.id}`,
    );
    expect(row).toMatchObject({ status: "dead", attempts: 1 });
    expect(row!.last_error).toMatch(
      /^OutboundRefused: outbound policy: host "hooks\.example" resolves to 127\.0\.0\.1/,
    );
  });
});
