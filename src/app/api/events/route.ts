import { z } from "zod";
import { listEvents, publishEvent } from "@/engine/events";
import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { BadRequestError } from "@/errors";

const TOPIC = /^[A-Za-z0-9_.:/-]+$/;
const topic = z.string().min(1).max(200).regex(TOPIC, "may only hold letters, digits and _ . : / -");

const publishInput = z.strictObject({
  topic,
  data: z.unknown().optional(),
  dedupeKey: z.string().min(1).max(200).optional(),
});

const eventsQuery = z.strictObject({
  topic: topic.optional(),
  /** The `nextCursor` of the previous page: events with a greater id (`order=asc`). */
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** `desc`: newest first (the dashboard's recent events); `before` is then the previous page's `nextCursor`. */
  order: z.enum(["asc", "desc"]).default("asc"),
  before: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

// POST /api/events {topic, data?, dedupeKey?} — publishes an event: 202; a repeated dedupeKey answers the first one.
export const POST = withApiKey(
  { role: "operator", action: "events.publish" },
  async ({ db, json, principal, audit }) => {
    const input = await json(publishInput);
    const published = await publishEvent(db, { ...input, source: `api:${principal.actor}` });
    audit.target = String(published.id);
    audit.details = { topic: published.topic, duplicate: published.duplicate, runIds: published.runIds };
    if (!published.duplicate) afterResponse(() => kickTick(db));
    return Response.json({ id: published.id, topic: published.topic, duplicate: published.duplicate }, { status: 202 });
  },
);

// GET /api/events?topic=&after=&limit= — events in publication order, in pages after an id; `order=desc&before=` newest first.
export const GET = withApiKey({ role: "viewer" }, async ({ db, query }) => {
  const { topic, after, order, before, limit } = query(eventsQuery);
  if (order === "asc" && before !== undefined)
    throw new BadRequestError("`before` pages a newest-first list: use it with order=desc.");
  if (order === "desc" && after !== undefined)
    throw new BadRequestError("`after` pages a list in publication order: use `before` with order=desc.");
  return Response.json(await listEvents(db, { topic, after, order, before, limit }));
});
