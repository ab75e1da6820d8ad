/**
 * A loopback fake of the Vercel Blob API, enough for the backups' Blob destination through the
 * real `@vercel/blob` SDK: `put` (PUT /?pathname=), `list` (GET /?prefix=&cursor=&limit=&mode=,
 * expanded and folded), `del` (POST /delete) and `get`, which the SDK sends straight to
 * `https://<store>.<access>.blob.vercel-storage.com/<pathname>`: `routeBlobStoreToFake` installs an
 * undici dispatcher that sends that host (only) to this server instead. Every call must carry the
 * store's token as a Bearer; a private blob is not served without it.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, type Dispatcher, getGlobalDispatcher, setGlobalDispatcher } from "undici";

export interface FakeBlobObject {
  data: Buffer;
  access: string;
  uploadedAt: Date;
}

export interface FakeBlobStore {
  /** The API's base URL: VERCEL_BLOB_API_URL. */
  base: string;
  storeId: string;
  token: string;
  objects: Map<string, FakeBlobObject>;
  /** Every request: method, API path or `content:<pathname>`, and whether it carried the token. */
  requests: { method: string; what: string; authorized: boolean; access?: string }[];
  close(): Promise<void>;
}

const CONTENT = "/__content";

function blobUrl(store: FakeBlobStore, pathname: string, access: string): string {
  return `https://${store.storeId}.${access}.blob.vercel-storage.com/${pathname}`;
}

function describe(store: FakeBlobStore, pathname: string, object: FakeBlobObject) {
  const url = blobUrl(store, pathname, object.access);
  return {
    url,
    downloadUrl: `${url}?download=1`,
    pathname,
    size: object.data.length,
    uploadedAt: object.uploadedAt.toISOString(),
    etag: `"${object.data.length}-${object.uploadedAt.getTime()}"`,
    contentType: "application/octet-stream",
    contentDisposition: `attachment; filename="${pathname.split("/").at(-1) ?? ""}"`,
  };
}

export async function startFakeBlobStore(storeId: string, token: string): Promise<FakeBlobStore> {
  const store: FakeBlobStore = {
    base: "",
    storeId,
    token,
    objects: new Map(),
    requests: [],
    close: async () => undefined,
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://fake");
      const authorized = req.headers.authorization === `Bearer ${token}`;
      const json = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      const refuse = () => json(403, { error: { code: "forbidden", message: "Access denied" } });

      if (url.pathname.startsWith(`${CONTENT}/`)) {
        const pathname = decodeURIComponent(url.pathname.slice(CONTENT.length + 1));
        store.requests.push({ method: req.method ?? "", what: `content:${pathname}`, authorized });
        const object = store.objects.get(pathname);
        if (!object) return res.writeHead(404).end("Not Found");
        if (object.access === "private" && !authorized) return res.writeHead(403).end("Forbidden");
        return res
          .writeHead(200, {
            "content-type": "application/octet-stream",
            "content-length": String(object.data.length),
            "last-modified": object.uploadedAt.toUTCString(),
            etag: describe(store, pathname, object).etag,
          })
          .end(object.data);
      }

      const access = req.headers["x-vercel-blob-access"] as string | undefined;
      store.requests.push({ method: req.method ?? "", what: url.pathname + url.search, authorized, access });
      if (!authorized) return refuse();

      if (req.method === "PUT" && url.searchParams.has("pathname")) {
        const pathname = url.searchParams.get("pathname")!;
        const object = { data: Buffer.concat(chunks), access: access ?? "public", uploadedAt: new Date() };
        if (store.objects.has(pathname) && req.headers["x-allow-overwrite"] !== "1")
          return json(400, { error: { code: "bad_request", message: "This blob already exists" } });
        store.objects.set(pathname, object);
        return json(200, describe(store, pathname, object));
      }

      if (req.method === "POST" && url.pathname === "/delete") {
        const { urls } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { urls: string[] };
        for (const u of urls) store.objects.delete(decodeURIComponent(new URL(u).pathname.slice(1)));
        return json(200, {});
      }

      if (req.method === "GET" && url.pathname === "/") {
        const prefix = url.searchParams.get("prefix") ?? "";
        const limit = Number(url.searchParams.get("limit") ?? "1000");
        const offset = Number(url.searchParams.get("cursor") ?? "0");
        const folded = url.searchParams.get("mode") === "folded";
        const names = [...store.objects.keys()].filter((p) => p.startsWith(prefix)).sort();
        const entries: { folder?: string; pathname?: string }[] = [];
        const folders = new Set<string>();
        for (const name of names) {
          const rest = name.slice(prefix.length);
          if (folded && rest.includes("/")) {
            const folder = `${prefix}${rest.slice(0, rest.indexOf("/") + 1)}`;
            if (!folders.has(folder)) {
              folders.add(folder);
              entries.push({ folder });
            }
          } else entries.push({ pathname: name });
        }
        const page = entries.slice(offset, offset + limit);
        const hasMore = offset + limit < entries.length;
        return json(200, {
          blobs: page.flatMap((e) => (e.pathname ? [describe(store, e.pathname, store.objects.get(e.pathname)!)] : [])),
          ...(folded ? { folders: page.flatMap((e) => (e.folder ? [e.folder] : [])) } : {}),
          hasMore,
          ...(hasMore ? { cursor: String(offset + limit) } : {}),
        });
      }
      return json(400, { error: { code: "bad_request", message: `unexpected ${req.method} ${url.pathname}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  store.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  store.close = () => new Promise((resolve) => server.close(() => resolve()));
  return store;
}

/** Sends undici's requests for the store's content hosts to the fake; everything else as before. Returns the undo. */
export function routeBlobStoreToFake(store: FakeBlobStore): () => void {
  const previous = getGlobalDispatcher();
  const hosts = new Set(["public", "private"].map((a) => `${store.storeId}.${a}.blob.vercel-storage.com`));
  class ToFake extends Agent {
    override dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandlers): boolean {
      const origin = options.origin ? new URL(String(options.origin)) : undefined;
      if (origin && hosts.has(origin.host))
        return super.dispatch({ ...options, origin: store.base, path: `${CONTENT}${options.path}` }, handler);
      return super.dispatch(options, handler);
    }
  }
  const agent = new ToFake();
  setGlobalDispatcher(agent);
  return () => {
    setGlobalDispatcher(previous);
    void agent.close();
  };
}
