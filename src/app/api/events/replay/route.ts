import { kickTick } from "@/engine/kick";
import { afterResponse } from "@/http/after-response";
import { withApiKey } from "@/http/wrappers";
import { replayEvents, replayInput } from "@/events/subscriptions";

// POST /api/events/replay {fromId, toId?, topic?, subscriptionId?} — re-delivers a range of events (at most 10,000) to the matching subscriptions: 202.
export const POST = withApiKey({ role: "admin", action: "events.replay" }, async ({ db, json, audit }) => {
  const input = await json(replayInput);
  const result = await replayEvents(db, input);
  audit.details = { ...input, deliveries: result.deliveries };
  if (result.deliveries > 0) afterResponse(() => kickTick(db)); // deliveries are sent by the ticks' housekeeping
  return Response.json(result, { status: 202 });
});
