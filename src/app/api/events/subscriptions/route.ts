import { withApiKey } from "@/http/wrappers";
import { createSubscription, listSubscriptions, subscriptionInput } from "@/events/subscriptions";

// GET /api/events/subscriptions — outgoing webhooks (never their secrets).
export const GET = withApiKey({ role: "admin" }, async ({ db }) =>
  Response.json({ subscriptions: await listSubscriptions(db) }),
);

// POST /api/events/subscriptions {topic, url, secret?, orderingKey?} — 201 with the signing secret, shown this once.
export const POST = withApiKey({ role: "admin", action: "events.subscribe" }, async ({ db, json, audit }) => {
  const created = await createSubscription(db, await json(subscriptionInput));
  audit.target = created.subscription.id;
  audit.details = { topic: created.subscription.topic };
  return Response.json(created, { status: 201 });
});
