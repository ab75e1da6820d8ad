/**
 * A simulated AliExpress-shaped supplier: a node:http server on loopback speaking the protocol
 * of aliexpress.ts (signed, form-encoded POSTs to `/sync`, `aliexpress.ds.order.create` and
 * `aliexpress.ds.order.tracking.get`). Used by the tests and by `npm start` in local mode, so
 * it imports nothing but node and ./protocol (no vitest, no app modules).
 *
 * Behaviour, chosen to exercise the client's failure handling:
 * - the signature is verified; a bad or missing one (or an unknown app key) is refused with
 *   HTTP 401 and an `error_response` (`IncompleteSignature` / `InvalidAppKey`);
 * - orders are deduplicated on `out_order_id`: a repeat returns the same supplier order id and
 *   creates nothing;
 * - `failNext(n)`: the next n calls answer 503 without doing anything;
 * - `delayMs`: calls are processed at once but answered after this delay, so a client that
 *   times out has still placed its order (the "response lost" case);
 * - tracking: `ret:false` until `ship(id)` is called, or automatically once an order has been
 *   queried `shipAfterQueries` times.
 * Business refusals (is_success:false): quantity not a positive integer, no items, missing
 * address fields, a product id listed in `unavailableProducts`.
 *
 * It holds the addresses it receives in memory (as a supplier would), nowhere else, and logs
 * nothing.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  CREATE_ORDER_METHOD,
  DEV_SUPPLIER_APP_KEY,
  DEV_SUPPLIER_APP_SECRET,
  SIGN_METHOD,
  SYNC_PATH,
  TRACKING_METHOD,
  isValidSignature,
} from "./protocol";

const MAX_BODY_BYTES = 1024 * 1024;
/** AliExpress order ids have 16 digits; these stay under 2^53 so JSON numbers keep them exact. */
const FIRST_ORDER_ID = 8_100_000_000_000_001;

export interface SimulatedOrderItem {
  productId: string;
  quantity: number;
  skuAttr?: string;
}

export interface SimulatedOrder {
  supplierOrderId: string;
  outOrderId: string;
  items: SimulatedOrderItem[];
  /** The `logistics_address` as received. */
  address: Record<string, unknown>;
  trackingNumber: string | null;
  carrier: string | null;
  /** Tracking queries seen for this order. */
  trackingQueries: number;
}

export interface SupplierSimulatorOptions {
  appKey?: string;
  appSecret?: string;
  /** Ship an order automatically on its Nth tracking query (never by default). */
  shipAfterQueries?: number;
}

export interface RunningSimulator {
  /** The API base (give it to the client as SUPPLIER_API_URL); calls go to `<url>/sync`. */
  url: string;
  close(): Promise<void>;
}

type Params = Record<string, string>;
type Answer = { status: number; body: unknown };

export class SupplierSimulator {
  readonly appKey: string;
  readonly appSecret: string;
  shipAfterQueries: number | undefined;
  /** Every order accepted, in order of creation (repeats are not added). */
  readonly orders: SimulatedOrder[] = [];
  /** Product ids the supplier refuses (business error PRODUCT_NOT_AVAILABLE). */
  readonly unavailableProducts = new Set<string>();
  /** Answer every call this many ms late (after processing it). */
  delayMs = 0;
  /** Calls received, including refused and failed ones, by method ("" when none was given). */
  readonly calls: { method: string; status: number }[] = [];

  private failures = 0;
  private nextId = FIRST_ORDER_ID;
  private readonly byOutOrderId = new Map<string, SimulatedOrder>();

  constructor(options: SupplierSimulatorOptions = {}) {
    this.appKey = options.appKey ?? DEV_SUPPLIER_APP_KEY;
    this.appSecret = options.appSecret ?? DEV_SUPPLIER_APP_SECRET;
    this.shipAfterQueries = options.shipAfterQueries;
  }

  /** The next `n` calls fail with HTTP 503 before anything is processed. */
  failNext(n = 1): void {
    this.failures += n;
  }

  /** Gives an order its tracking number (a generated one by default). Throws for an unknown id. */
  ship(supplierOrderId: string, trackingNumber?: string, carrier = "CAINIAO"): SimulatedOrder {
    const order = this.orders.find((o) => o.supplierOrderId === supplierOrderId);
    if (!order) throw new Error(`No simulated supplier order ${supplierOrderId}.`);
    order.trackingNumber = trackingNumber ?? `LP${supplierOrderId.slice(-9)}CN`;
    order.carrier = carrier;
    return order;
  }

  /** Starts listening on 127.0.0.1 (`port` 0, the default, picks a free one). */
  async start(options: { port?: number; host?: string } = {}): Promise<RunningSimulator> {
    const host = options.host ?? "127.0.0.1";
    const server = createServer((req, res) => {
      this.handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://${host}:${port}`,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", "http://simulator").pathname;
    if (req.method !== "POST" || path !== SYNC_PATH)
      return send(res, { status: 404, body: { error_response: { code: "InvalidApiPath", type: "ISV" } } });
    const raw = await readBody(req);
    if (raw === null)
      return send(res, { status: 413, body: { error_response: { code: "RequestTooLarge", type: "ISV" } } });
    const params = Object.fromEntries(new URLSearchParams(raw)) as Params;
    const method = params.method ?? "";

    if (this.failures > 0) {
      this.failures -= 1;
      return this.answer(res, method, {
        status: 503,
        body: { error_response: { code: "ServiceUnavailable", type: "ISP" } },
      });
    }
    const answer = this.process(params);
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    return this.answer(res, method, answer);
  }

  private answer(res: ServerResponse, method: string, answer: Answer): void {
    this.calls.push({ method, status: answer.status });
    send(res, answer);
  }

  /** Authenticates, then dispatches on `method`. Synchronous: an accepted order exists at once. */
  private process(params: Params): Answer {
    if (params.app_key !== this.appKey) return refusal(401, "InvalidAppKey");
    if (params.sign_method !== SIGN_METHOD || !params.timestamp || !isValidSignature(params, this.appSecret))
      return refusal(401, "IncompleteSignature");
    switch (params.method) {
      case CREATE_ORDER_METHOD:
        return this.createOrder(params);
      case TRACKING_METHOD:
        return this.tracking(params);
      default:
        return refusal(200, "InvalidMethod");
    }
  }

  private createOrder(params: Params): Answer {
    const reject = (code: string) => ({
      status: 200,
      body: {
        aliexpress_ds_order_create_response: {
          result: { is_success: false, error_code: code, error_msg: `simulated refusal: ${code}` },
        },
      },
    });
    let request: unknown;
    try {
      request = JSON.parse(params.param_place_order_request4_open_api_d_t_o ?? "");
    } catch {
      return reject("PARAM_ERROR");
    }
    const r = (request ?? {}) as {
      out_order_id?: unknown;
      logistics_address?: Record<string, unknown>;
      product_items?: unknown;
    };
    const outOrderId = typeof r.out_order_id === "string" ? r.out_order_id : "";
    if (!outOrderId) return reject("OUT_ORDER_ID_REQUIRED");

    const existing = this.byOutOrderId.get(outOrderId);
    if (existing) return orderCreated(existing);

    const items: SimulatedOrderItem[] = [];
    if (!Array.isArray(r.product_items) || r.product_items.length === 0) return reject("PRODUCT_ITEMS_REQUIRED");
    for (const item of r.product_items as Record<string, unknown>[]) {
      const productId = item?.product_id;
      const quantity = item?.product_count;
      if ((typeof productId !== "string" && typeof productId !== "number") || String(productId) === "")
        return reject("PRODUCT_ID_REQUIRED");
      if (typeof quantity !== "number" || !Number.isInteger(quantity) || quantity < 1)
        return reject("INVALID_PRODUCT_COUNT");
      if (this.unavailableProducts.has(String(productId))) return reject("PRODUCT_NOT_AVAILABLE");
      items.push({
        productId: String(productId),
        quantity,
        ...(typeof item.sku_attr === "string" ? { skuAttr: item.sku_attr } : {}),
      });
    }
    const address = r.logistics_address;
    const required = ["full_name", "mobile_no", "address", "city", "country", "zip"];
    if (
      !address ||
      typeof address !== "object" ||
      required.some((name) => typeof address[name] !== "string" || address[name] === "")
    )
      return reject("ADDRESS_INCOMPLETE");
    if (!/^[A-Z]{2}$/.test(String(address.country))) return reject("INVALID_COUNTRY");

    const order: SimulatedOrder = {
      supplierOrderId: String(this.nextId++),
      outOrderId,
      items,
      address: { ...address },
      trackingNumber: null,
      carrier: null,
      trackingQueries: 0,
    };
    this.orders.push(order);
    this.byOutOrderId.set(outOrderId, order);
    return orderCreated(order);
  }

  private tracking(params: Params): Answer {
    const wrap = (result: unknown) => ({
      status: 200,
      body: { aliexpress_ds_order_tracking_get_response: { result } },
    });
    const order = this.orders.find((o) => o.supplierOrderId === params.ae_order_id);
    if (!order) return wrap({ ret: false, code: "ORDER_NOT_FOUND" });
    order.trackingQueries += 1;
    if (
      order.trackingNumber === null &&
      this.shipAfterQueries !== undefined &&
      order.trackingQueries >= this.shipAfterQueries
    )
      this.ship(order.supplierOrderId);
    if (order.trackingNumber === null) return wrap({ ret: false, code: "TRACKING_NOT_AVAILABLE" });
    return wrap({
      ret: true,
      data: {
        tracking_detail_line_list: [
          { mail_no: order.trackingNumber, carrier_name: order.carrier, detail_node_list: { detail_node: [] } },
        ],
      },
    });
  }
}

function orderCreated(order: SimulatedOrder): Answer {
  // Numbers, as AliExpress sends them: the client must turn them into strings.
  return {
    status: 200,
    body: {
      aliexpress_ds_order_create_response: {
        result: { is_success: true, order_list: { number: [Number(order.supplierOrderId)] } },
      },
    },
  };
}

function refusal(status: number, code: string): Answer {
  return { status, body: { error_response: { code, msg: `simulated refusal: ${code}`, type: "ISV" } } };
}

function send(res: ServerResponse, { status, body }: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json;charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
