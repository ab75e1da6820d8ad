/**
 * A minimal SMTP server on 127.0.0.1 for tests (node:net): the 220 greeting, EHLO/HELO,
 * AUTH PLAIN and LOGIN, MAIL FROM, RCPT TO, DATA (354, dot-terminated, dot-unstuffed), RSET,
 * NOOP, QUIT. It records every accepted message and can be told to refuse the sender (a reply
 * to MAIL FROM such as `451 4.3.0 try later`), to refuse logins (its reply may quote the
 * password, as careless servers do), or to wait before accepting the data.
 */
import { createServer, type AddressInfo, type Socket } from "node:net";

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The message as sent (headers and MIME body), dot-unstuffed, CRLF line ends. */
  data: string;
  /** The decoded `Subject:` header (ASCII subjects only). */
  subject: string;
  /** The credentials of the session, when it logged in. */
  auth: { user: string; pass: string } | null;
}

export interface FakeSmtpServer {
  port: number;
  /** `smtp://127.0.0.1:<port>`, with `user:pass@` when given. */
  url(auth?: { user: string; pass: string }): string;
  messages: ReceivedMail[];
  /** Replies to MAIL FROM with this line (e.g. `451 4.3.0 try later`); null accepts. */
  failMailFrom: string | null;
  /** Replies to AUTH with this line, `{pass}` replaced by the password given; null accepts. */
  failAuth: string | null;
  /** Waits this long before accepting a message's data. */
  dataDelayMs: number;
  /** Sessions that reached MAIL FROM (accepted or not). */
  mailFromCount: number;
  /** Forgets the messages and goes back to accepting everything at once. */
  reset(): void;
  close(): Promise<void>;
}

type Mode = "command" | "data" | "auth_plain" | "auth_login_user" | "auth_login_pass";

function decodeB64(text: string): string {
  return Buffer.from(text.trim(), "base64").toString("utf8");
}

function headerOf(data: string, name: string): string {
  const head = data.split("\r\n\r\n")[0] ?? "";
  const unfolded = head.replace(/\r\n[ \t]+/g, " ");
  const line = unfolded.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : "";
}

export async function startSmtpServer(): Promise<FakeSmtpServer> {
  const sockets = new Set<Socket>();
  const state: FakeSmtpServer = {
    port: 0,
    url: (auth) =>
      `smtp://${auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : ""}127.0.0.1:${state.port}`,
    messages: [],
    failMailFrom: null,
    failAuth: null,
    dataDelayMs: 0,
    mailFromCount: 0,
    reset: () => {
      state.messages.length = 0;
      state.failMailFrom = null;
      state.failAuth = null;
      state.dataDelayMs = 0;
      state.mailFromCount = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };

  const session = (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffer = "";
    let mode: Mode = "command";
    let from = "";
    let to: string[] = [];
    let dataLines: string[] = [];
    let auth: { user: string; pass: string } | null = null;
    let pendingUser = "";
    const reply = (line: string) => {
      if (!socket.destroyed) socket.write(`${line}\r\n`);
    };
    const login = (user: string, pass: string) => {
      if (state.failAuth) return reply(state.failAuth.replace("{pass}", () => pass));
      auth = { user, pass };
      reply("235 2.7.0 Authentication successful");
    };
    const acceptData = () => {
      const data = dataLines.map((l) => (l.startsWith("..") ? l.slice(1) : l)).join("\r\n");
      const mail: ReceivedMail = { from, to, data, subject: headerOf(data, "Subject"), auth };
      const accept = () => {
        // A client that gave up (aborted, timed out) before the answer did not send this message.
        if (socket.destroyed) return;
        state.messages.push(mail);
        reply(`250 2.0.0 queued as ${state.messages.length}`);
      };
      if (state.dataDelayMs > 0) setTimeout(accept, state.dataDelayMs);
      else accept();
      from = "";
      to = [];
      dataLines = [];
    };
    const command = (line: string) => {
      const verb = line.split(" ")[0]!.toUpperCase();
      const arg = line.slice(verb.length).trim();
      if (verb === "EHLO") return reply("250-fake.smtp.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME");
      if (verb === "HELO") return reply("250 fake.smtp.test");
      if (verb === "AUTH") {
        const [method, initial] = arg.split(" ");
        if (method?.toUpperCase() === "PLAIN") {
          if (!initial) {
            mode = "auth_plain";
            return reply("334 ");
          }
          const [, user = "", pass = ""] = decodeB64(initial).split("\0");
          return login(user, pass);
        }
        if (method?.toUpperCase() === "LOGIN") {
          if (initial) {
            pendingUser = decodeB64(initial);
            mode = "auth_login_pass";
            return reply("334 UGFzc3dvcmQ6");
          }
          mode = "auth_login_user";
          return reply("334 VXNlcm5hbWU6");
        }
        return reply("504 5.5.4 unrecognized authentication type");
      }
      if (verb === "MAIL") {
        state.mailFromCount += 1;
        if (state.failMailFrom) return reply(state.failMailFrom);
        from = /<([^>]*)>/.exec(arg)?.[1] ?? "";
        return reply("250 2.1.0 ok");
      }
      if (verb === "RCPT") {
        to.push(/<([^>]*)>/.exec(arg)?.[1] ?? "");
        return reply("250 2.1.5 ok");
      }
      if (verb === "DATA") {
        if (!from || to.length === 0) return reply("503 5.5.1 bad sequence of commands");
        mode = "data";
        return reply("354 end data with <CR><LF>.<CR><LF>");
      }
      if (verb === "RSET") {
        from = "";
        to = [];
        return reply("250 2.0.0 ok");
      }
      if (verb === "NOOP") return reply("250 2.0.0 ok");
      if (verb === "QUIT") {
        reply("221 2.0.0 bye");
        socket.end();
        return;
      }
      reply("502 5.5.2 command not recognized");
    };
    const line = (text: string) => {
      switch (mode) {
        case "data":
          if (text === ".") {
            mode = "command";
            acceptData();
          } else dataLines.push(text);
          return;
        case "auth_plain": {
          mode = "command";
          const [, user = "", pass = ""] = decodeB64(text).split("\0");
          return login(user, pass);
        }
        case "auth_login_user":
          pendingUser = decodeB64(text);
          mode = "auth_login_pass";
          return reply("334 UGFzc3dvcmQ6");
        case "auth_login_pass":
          mode = "command";
          return login(pendingUser, decodeB64(text));
        default:
          command(text);
      }
    };
    socket.on("data", (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      let end: number;
      while ((end = buffer.indexOf("\r\n")) >= 0) {
        const text = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        line(text);
      }
    });
    reply("220 fake.smtp.test ESMTP ready");
  };

  const server = createServer(session);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}
