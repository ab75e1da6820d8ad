/**
 * The supplier client under the outbound policy: a configured supplier URL on a refused address
 * is refused (SupplierRejected, not retried) before any request; only the built-in simulator's
 * own address is exempt in local mode; a supplier row's URL on a refused host is a 400.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { NonRetryableError } from "@/step-errors";
import { createSupplierClient, DEV_SUPPLIER_URL, SupplierRejected } from "@/integrations/supplier/aliexpress";
import { SupplierSimulator, type RunningSimulator } from "@/integrations/supplier/simulator";
import { supplierInput } from "@/orders/suppliers";

let simulator: SupplierSimulator;
let running: RunningSimulator;
beforeEach(async () => {
  simulator = new SupplierSimulator({ appKey: "key", appSecret: "secret" });
  running = await simulator.start();
});
afterEach(async () => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
  await running.close();
});

it("refuses a configured supplier on a loopback or private address, naming the policy, without calling it", async () => {
  const client = createSupplierClient(
    { apiUrl: running.url, appKey: "key", appSecret: "secret" },
    { timeoutMs: 2_000 },
  );
  const error = await client.queryTracking({ supplierOrderId: "1" }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(SupplierRejected);
  expect(error).toBeInstanceOf(NonRetryableError);
  expect((error as Error).message).toMatch(
    /^Supplier call aliexpress\.ds\.order\.tracking\.get refused: outbound policy: host "127\.0\.0\.1" is in a refused range \(loopback/,
  );
  expect(simulator.calls).toHaveLength(0);
});

it("calls a loopback supplier listed in HTTP_STEP_ALLOWED_HOSTS", async () => {
  process.env.HTTP_STEP_ALLOWED_HOSTS = "127.0.0.1";
  const client = createSupplierClient(
    { apiUrl: running.url, appKey: "key", appSecret: "secret" },
    { timeoutMs: 2_000 },
  );
  // An unknown order is the supplier's business answer: the call itself went through.
  await client.queryTracking({ supplierOrderId: "1" }).catch(() => undefined);
  expect(simulator.calls).toHaveLength(1);
});

it("exempts only the built-in simulator's own address, and only when it is the simulated default", async () => {
  const simulated = createSupplierClient(
    { apiUrl: DEV_SUPPLIER_URL.replace(/:\d+$/, ":1"), appKey: "k", appSecret: "s", simulated: true },
    { timeoutMs: 1_000 },
  );
  await expect(simulated.queryTracking({ supplierOrderId: "1" })).rejects.toThrow(/outbound policy/);
  // The simulator's own address is called directly (nothing listens there in this test: unreachable, not refused).
  const builtIn = createSupplierClient(
    { apiUrl: DEV_SUPPLIER_URL, appKey: "k", appSecret: "s", simulated: true },
    { timeoutMs: 1_000 },
  );
  const error = await builtIn.queryTracking({ supplierOrderId: "1" }).catch((e: unknown) => e);
  expect((error as Error).message).not.toMatch(/outbound policy/);
});

it("refuses a supplier whose API URL is on a refused host (a 400 at creation)", () => {
  const parsed = supplierInput.safeParse({ name: "Internal", apiUrl: "http://169.254.169.254/latest" });
  expect(parsed.success).toBe(false);
  expect(JSON.stringify(parsed.error?.issues)).toMatch(/outbound policy/);
  expect(supplierInput.safeParse({ name: "AliExpress", apiUrl: "https://api-sg.aliexpress.com" }).success).toBe(true);
});
