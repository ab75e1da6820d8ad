import { z } from "zod";
import { sendTestNotification } from "@/operations/alerts/channels-test";
import { ALERT_CHANNELS } from "@/operations/alerts/rules";
import { withApiKey } from "@/http/wrappers";

const testInput = z.strictObject({ channel: z.enum(ALERT_CHANNELS).optional() });

// POST /api/alerts/channels/test {channel?} — sends a test to Slack and/or email; an unconfigured channel answers "kept".
export const POST = withApiKey(
  { role: "admin", action: "alerts.channels.test" },
  async ({ db, optionalJson, audit }) => {
    const { channel } = await optionalJson(testInput);
    const results = await sendTestNotification(db, channel);
    audit.details = { results: results.map((r) => ({ channel: r.channel, status: r.status })) };
    return Response.json({ results });
  },
);
