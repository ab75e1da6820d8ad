/**
 * Outgoing webhooks: subscriptions by topic pattern, deliveries signed like internal calls, at
 * least once with backoff, dead letters visible and re-drivable, per-key ordering, replay.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { createApiKey } from "@/auth/api-keys";
import { verifySignature } from "@/auth/signature";
import { queryRows } from "@/db/client";
import { publishEvent } from "@/engine/events";
import { tick } from "@/engine/tick";
import { createSubscription, deliverDueEvents, MAX_ATTEMPTS } from "@/events/subscriptions";
import { GET as listSubs, POST as subscribe } from "@/app/api/events/subscriptions/route";
import { DELETE as unsubscribe } from "@/app/api/events/subscriptions/[id]/route";
import { GET as listDeliveriesRoute } from "@/app/api/events/deliveries/route";
import { POST as retryRoute } from "@/app/api/events/deliveries/[id]/retry/route";
import { POST as replayRoute } from "@/app/api/events/replay/route";
import { describeDb } from "../helpers/db";
import { callJson } from "../helpers/http";

interface Received {
  body: { id: number; topic: string; data: Record<string, unknown>; deliveryId: number };
  raw: string;
  signature: string;
}

const receiver = { url: "", received: [] as Received[], status: 200, close: async () => {} };

beforeAll(async () => {
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (c: Buffer) => (raw += c.toString()));
    req.on("end", () => {
      if (receiver.status === 200)
        receiver.received.push({
          body: JSON.parse(raw) as Received["body"],
          raw,
          signature: String(req.headers["x-orchestrator-signature"]),
        });
      res.writeHead(receiver.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  receiver.close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  await receiver.close();
});

describeDb("outgoing event subscriptions", (suite) => {
  const db = () => suite.db();
  const keys = { viewer: "", operator: "", admin: "" };
  let subscription = { id: "", secret: "" };
  beforeAll(async () => {
    for (const role of ["viewer", "operator", "admin"] as const)
      keys[role] = (await createApiKey(db(), { name: `bus ${role}`, role })).key;
  });
  beforeEach(() => {
    receiver.received = [];
    receiver.status = 200;
  });
  const drain = async () => {
    for (let i = 0; i < 20; i++) if ((await deliverDueEvents(db(), { limit: 50 })).delivered === 0) break;
  };
  const makeDue = () => db().execute(sql`update event_deliveries set next_attempt_at = now() where status = 'pending'`);

  it("creates a subscription for admins only, refusing bad patterns, private URLs and bad ordering keys", async () => {
    const created = await callJson<{
      subscription: { id: string; topic: string; orderingKey: string };
      secret: string;
    }>(subscribe, "/api/events/subscriptions", {
      method: "POST",
      key: keys.admin,
      body: { topic: "order.*", url: receiver.url, orderingKey: "{{ data.orderId }}" },
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    subscription = { id: created.body.subscription.id, secret: created.body.secret };
    const list = await callJson<{ subscriptions: Record<string, unknown>[] }>(listSubs, "/api/events/subscriptions", {
      key: keys.admin,
    });
    expect(list.body.subscriptions).toEqual([
      expect.objectContaining({ id: subscription.id, topic: "order.*", orderingKey: "{{ data.orderId }}" }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(subscription.secret);
    const [stored] = await queryRows<{ secret: string }>(
      db(),
      sql`select secret from event_subscriptions where id = ${subscription.id}`,
    );
    expect(stored!.secret).toMatch(/^enc:v\d+:/);
    for (const body of [
      { topic: "order.**", url: receiver.url },
      { topic: "order.*", url: "http://10.0.0.5/hook" },
      { topic: "order.*", url: "ftp://example.com" },
      { topic: "order.*", url: receiver.url, orderingKey: "data.orderId" },
    ]) {
      expect(
        (await callJson(subscribe, "/api/events/subscriptions", { method: "POST", key: keys.admin, body })).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect(
      (
        await callJson(subscribe, "/api/events/subscriptions", {
          method: "POST",
          key: keys.operator,
          body: { topic: "*", url: receiver.url },
        })
      ).status,
    ).toBe(403);
  });

  it("delivers matching events, signed with the subscription's secret, and nothing else", async () => {
    const a = await publishEvent(db(), { topic: "order.created", data: { orderId: "A" }, source: "test" });
    await publishEvent(db(), { topic: "product.stock_alert", data: { sku: "X" }, source: "test" });
    await drain();
    expect(receiver.received.map((r) => [r.body.topic, r.body.id])).toEqual([["order.created", a.id]]);
    expect(verifySignature(subscription.secret, receiver.received[0]!.signature, receiver.received[0]!.raw)).toEqual({
      ok: true,
    });
    expect(
      verifySignature("whsec_other_secret_value", receiver.received[0]!.signature, receiver.received[0]!.raw).ok,
    ).toBe(false);
  });

  it("retries a failing subscriber with backoff, keeps the dead letter visible, and re-drives it", async () => {
    receiver.status = 500;
    const e = await publishEvent(db(), { topic: "order.updated", data: { orderId: "B" }, source: "test" });
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await deliverDueEvents(db(), { limit: 10 });
      await makeDue();
    }
    const dead = await callJson<{
      deliveries: { id: number; eventId: number; status: string; attempts: number; lastError: string }[];
    }>(listDeliveriesRoute, "/api/events/deliveries?status=dead", { key: keys.viewer });
    const letter = dead.body.deliveries.find((d) => d.eventId === e.id)!;
    expect(letter).toMatchObject({ status: "dead", attempts: MAX_ATTEMPTS, lastError: "answered 500" });
    receiver.status = 200;
    expect(
      (
        await callJson(retryRoute, `/api/events/deliveries/${letter.id}/retry`, {
          method: "POST",
          key: keys.viewer,
          params: { id: String(letter.id) },
        })
      ).status,
    ).toBe(403);
    const redriven = await callJson<{ delivery: { status: string } }>(
      retryRoute,
      `/api/events/deliveries/${letter.id}/retry`,
      { method: "POST", key: keys.operator, params: { id: String(letter.id) } },
    );
    expect(redriven.body.delivery.status).toBe("pending");
    await drain();
    expect(receiver.received.map((r) => r.body.id)).toEqual([e.id]);
    expect(
      (
        await callJson(retryRoute, "/api/events/deliveries/999999999/retry", {
          method: "POST",
          key: keys.operator,
          params: { id: "999999999" },
        })
      ).status,
    ).toBe(404);
  });

  it("delivers one key's events in publication order, even when the first one has to be retried", async () => {
    receiver.status = 500;
    const first = await publishEvent(db(), { topic: "order.created", data: { orderId: "C" }, source: "test" });
    const second = await publishEvent(db(), { topic: "order.updated", data: { orderId: "C" }, source: "test" });
    const other = await publishEvent(db(), { topic: "order.created", data: { orderId: "D" }, source: "test" });
    expect(await deliverDueEvents(db(), { limit: 1 })).toEqual({ delivered: 0, retrying: 1, dead: 0 }); // C's first fails; C's second must wait behind it
    receiver.status = 200;
    await deliverDueEvents(db(), { limit: 10 }); // D goes; C's first is not due yet, so C's second still waits
    expect(receiver.received.map((r) => r.body.id)).toEqual([other.id]);
    await makeDue();
    await drain();
    expect(receiver.received.map((r) => r.body.id)).toEqual([other.id, first.id, second.id]);
  });

  it("replays a range of events to a subscription, and stops delivering once it is deleted", async () => {
    const [range] = await queryRows<{ min: unknown; max: unknown }>(
      db(),
      sql`select min(id) as min, max(id) as max from events where topic like 'order.%'`,
    );
    const replay = await callJson<{ deliveries: number }>(replayRoute, "/api/events/replay", {
      method: "POST",
      key: keys.admin,
      body: { fromId: Number(range!.min), toId: Number(range!.max), subscriptionId: subscription.id },
    });
    expect(replay.status).toBe(202);
    expect(replay.body.deliveries).toBe(5);
    await drain();
    expect(receiver.received).toHaveLength(5);
    expect(
      (
        await callJson(replayRoute, "/api/events/replay", {
          method: "POST",
          key: keys.admin,
          body: { fromId: 5, toId: 2 },
        })
      ).status,
    ).toBe(400);
    const deleted = await callJson(unsubscribe, `/api/events/subscriptions/${subscription.id}`, {
      method: "DELETE",
      key: keys.admin,
      params: { id: subscription.id },
    });
    expect(deleted.status).toBe(204);
    receiver.received = [];
    await publishEvent(db(), { topic: "order.created", data: { orderId: "E" }, source: "test" });
    await drain();
    expect(receiver.received).toEqual([]);
  });

  it("has a route tick carry a delivery due soon instead of leaving it to the cron", async () => {
    await createSubscription(db(), { topic: "carry.*", url: receiver.url });
    await tick(db(), { budgetMs: 20_000, alwaysSweep: true }); // this process's deliveries chore has just run
    const event = await publishEvent(db(), { topic: "carry.test", data: { n: 1 }, source: "test" });
    await tick(db(), { budgetMs: 20_000, alwaysSweep: true }); // the chore keeps its 5 s rhythm: a plain tick leaves it
    expect(receiver.received.map((r) => r.body.id)).not.toContain(event.id);
    const carried = await tick(db(), { budgetMs: 20_000, carryTimersMs: 60_000 });
    expect(carried.budgetExhausted).toBe(false);
    expect(receiver.received.map((r) => r.body.id)).toContain(event.id);
  });
});
