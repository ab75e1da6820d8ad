/**
 * Channel secrets never leave the process: a server that quotes the SMTP password in its
 * refusal, and a webhook that echoes its own URL in its error, still leave no trace of either
 * in `last_error` or in the log (captured at debug level).
 */
import { createServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { eq } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, expect, it, vi } from "vitest";
import { outbox } from "@/db/schema";
import { deliverMessage, enqueueMessage } from "@/notifications/outbox";
import { captureOutput } from "../../helpers/output";
import { describeDb } from "../../helpers/db";
import { startSmtpServer, type FakeSmtpServer } from "../../helpers/smtp";

const SMTP_PASSWORD = "Sm7p-pa$$word/with:chars";
const SLACK_TOKEN = "xoxwebhooksecret0123456789";

let smtp: FakeSmtpServer;
let echo: Server;
let echoBase = "";
const captured: string[] = [];

beforeAll(async () => {
  smtp = await startSmtpServer();
  // A webhook endpoint that answers its own URL in its error body.
  echo = createServer((req, res) => {
    req.resume();
    req.on("end", () =>
      res.writeHead(403, { "content-type": "text/plain" }).end(`invalid_token for ${echoBase}${req.url ?? ""}`),
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoBase = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await smtp.close();
  await new Promise((resolve) => echo.close(resolve));
});

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describeDb("notification secrets", (suite) => {
  it("keeps the SMTP password and the Slack webhook URL out of last_error and the log", async () => {
    const db = suite.db();
    const smtpUrl = smtp.url({ user: "mailer", pass: SMTP_PASSWORD });
    const webhook = `${echoBase}/services/T0SECRET/B0SECRET/${SLACK_TOKEN}`;
    vi.stubEnv("LOG_LEVEL", "debug");
    vi.stubEnv("SMTP_URL", smtpUrl);
    vi.stubEnv("SLACK_WEBHOOK_URL", webhook);
    // Slack is called under the outbound policy: the loopback receivers are listed.
    vi.stubEnv("HTTP_STEP_ALLOWED_HOSTS", "127.0.0.1");
    smtp.reset();
    smtp.failAuth = "535 5.7.8 authentication failed for password {pass}";
    captured.length = 0;
    captureOutput(captured);

    const mail = await enqueueMessage(db, {
      channel: "email",
      recipient: "client@example.com",
      subject: "s",
      body: "b",
    });
    const post = await enqueueMessage(db, { channel: "slack", recipient: "slack", subject: "s", body: "b" });
    expect((await deliverMessage(db, mail.id)).outcome).toBe("retrying");
    expect((await deliverMessage(db, post.id)).outcome).toBe("retrying");
    // A webhook that cannot be reached at all (a port that was just freed).
    vi.stubEnv("SLACK_WEBHOOK_URL", `http://127.0.0.1:${await freePort()}/services/T0SECRET/B0SECRET/${SLACK_TOKEN}`);
    const unreachable = await enqueueMessage(db, { channel: "slack", recipient: "slack", subject: "s", body: "b" });
    expect((await deliverMessage(db, unreachable.id)).outcome).toBe("retrying");
    vi.restoreAllMocks();

    const errors = await Promise.all(
      [mail.id, post.id, unreachable.id].map(
        async (id) => (await db.select().from(outbox).where(eq(outbox.id, id)))[0]?.lastError ?? "",
      ),
    );
    // The failures were real and described: the server's refusal, the webhook's status, the refused connection.
    expect(errors[0]).toContain("535 5.7.8 authentication failed for password [redacted]");
    expect(errors[1]).toContain("Slack answered HTTP 403: invalid_token for");
    expect(errors[2]).toContain("ECONNREFUSED");

    const log = captured.join("");
    expect(log).toContain("outbox message not delivered");
    const secrets = [
      SMTP_PASSWORD,
      encodeURIComponent(SMTP_PASSWORD),
      smtpUrl,
      webhook,
      SLACK_TOKEN,
      "/services/T0SECRET/B0SECRET",
    ];
    for (const secret of secrets) {
      for (const error of errors) expect(error, "a secret reached last_error").not.toContain(secret);
      expect(log, "a secret reached the log").not.toContain(secret);
    }
  });
});
