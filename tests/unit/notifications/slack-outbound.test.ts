/**
 * Slack under the outbound policy: a webhook URL on a refused address is refused before any
 * request, with an error naming the policy and the host but never the URL's secret path.
 */
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import type { Env } from "@/env";
import { slackChannel } from "@/notifications/channels/slack";
import type { OutgoingMessage } from "@/notifications/channels/types";
import { startSlackReceiver, type FakeSlack } from "../../helpers/slack";

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startSlackReceiver();
});
afterAll(() => slack.close());
afterEach(() => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  slack.calls.length = 0;
});

const message: OutgoingMessage = { recipient: "slack", subject: "Alert", body: "body", rich: null };
const TOKEN = "xoxtesttokenNOTREAL12345";

it("refuses a webhook on a loopback address, naming the policy and not the secret path", async () => {
  const env = { SLACK_WEBHOOK_URL: `${slack.base}/services/T0/B0/${TOKEN}` } as Env;
  const error = await slackChannel.send(message, env, AbortSignal.timeout(5_000)).catch((e: unknown) => e);
  expect((error as Error).message).toMatch(/^outbound policy: host "127\.0\.0\.1" is in a refused range \(loopback/);
  expect((error as Error).message).not.toContain(TOKEN);
  expect((error as Error).message).not.toContain("/services/");
  expect(slack.calls).toHaveLength(0);
});

it("posts to a webhook host listed in HTTP_STEP_ALLOWED_HOSTS", async () => {
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  const env = { SLACK_WEBHOOK_URL: `${slack.base}/services/T0/B0/${TOKEN}` } as Env;
  await slackChannel.send(message, env, AbortSignal.timeout(5_000));
  expect(slack.calls).toHaveLength(1);
});
