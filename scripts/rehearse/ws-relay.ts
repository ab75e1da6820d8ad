/**
 * A WebSocket-to-TCP relay for the Neon serverless driver, so it can reach a plain local
 * Postgres. The driver opens `ws://<wsProxy(host, port)>`; `wsProxy` here returns
 * `127.0.0.1:<relayPort>/v2?address=<host>:<port>`, and the relay opens a TCP socket to that
 * address and copies bytes both ways (binary frames). A local tool only (the Neon driver test and
 * `npm run rehearse`): it refuses any target that is not a loopback address.
 */
import http from "node:http";
import { isIP, Socket, type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type RawData, type WebSocket } from "ws";

export interface WsRelay {
  port: number;
  /** For `neonConfig.wsProxy` (or openDb's `neonWsProxy`). */
  wsProxy: (host: string, port: number | string) => string;
  /** WebSocket connections accepted (and relayed) since the start. */
  readonly connections: number;
  /** Connections refused (bad or non-loopback address). */
  readonly refused: number;
  /** The `host:port` targets relayed to, in order. */
  readonly targets: readonly string[];
  close(): Promise<void>;
}

interface Target {
  host: string;
  port: number;
}

/** Parses `host:port` (or `[v6]:port`); null when malformed or not a loopback address. */
export function parseLoopbackTarget(address: string | null): Target | null {
  if (!address) return null;
  // The driver writes `${host}:${port}` as is, so an IPv6 host may come with or without brackets.
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return null;
  const host = address
    .slice(0, colon)
    .replace(/^\[(.*)\]$/, "$1")
    .toLowerCase();
  const portText = address.slice(colon + 1);
  if (!/^\d{1,5}$/.test(portText)) return null;
  const port = Number(portText);
  if (port < 1 || port > 65_535) return null;
  return isLoopback(host) ? { host, port } : null;
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  const family = isIP(host);
  if (family === 4) return host.startsWith("127.");
  if (family === 6) return host === "::1" || /^::ffff:127\./.test(host);
  return false;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  socket.destroy();
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export async function startWsRelay(): Promise<WsRelay> {
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { "content-type": "text/plain" }).end("WebSocket only");
  });
  const wss = new WebSocketServer({ noServer: true });
  const tcpSockets = new Set<Socket>();
  const targets: string[] = [];
  let connections = 0;
  let refused = 0;

  server.on("upgrade", (req, socket, head) => {
    socket.on("error", () => undefined);
    const url = new URL(req.url ?? "/", "http://relay.invalid");
    const target = parseLoopbackTarget(url.searchParams.get("address"));
    if (!target) {
      refused++;
      refuse(socket, 403, "Forbidden");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => relay(ws, target));
  });

  function relay(ws: WebSocket, target: Target): void {
    connections++;
    targets.push(`${target.host}:${target.port}`);
    const tcp = new Socket();
    tcpSockets.add(tcp);
    tcp.setNoDelay(true);

    // Bytes written before the TCP connection is up are buffered by the socket.
    ws.on("message", (data) => {
      if (!tcp.destroyed) tcp.write(toBuffer(data));
    });
    tcp.on("data", (chunk) => {
      if (ws.readyState === ws.OPEN) ws.send(chunk, { binary: true });
    });

    ws.on("close", () => tcp.end());
    ws.on("error", () => tcp.destroy());
    tcp.on("close", () => {
      tcpSockets.delete(tcp);
      if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close();
    });
    tcp.on("error", () => {
      // The close event follows; make the driver see the failure as an abnormal close.
      if (ws.readyState === ws.OPEN) ws.close(1011, "upstream error");
    });

    tcp.connect(target.port, target.host);
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    wsProxy: (host, targetPort) => `127.0.0.1:${port}/v2?address=${host}:${targetPort}`,
    get connections() {
      return connections;
    },
    get refused() {
      return refused;
    },
    get targets() {
      return targets;
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      for (const tcp of tcpSockets) tcp.destroy();
      tcpSockets.clear();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
