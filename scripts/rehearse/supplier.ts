/**
 * The supplier, simulated: the SupplierSimulator that scripts/supplier-simulator.ts runs for
 * `npm start` (which pins port 4010 and the development credentials), here in process on a free
 * port with credentials generated for the run, the way production has its own. Orders ship on
 * their first tracking query, so the order_tracking cron run gives every shipment its tracking.
 */
import { randomBytes } from "node:crypto";
import { SupplierSimulator, type RunningSimulator } from "../../src/integrations/supplier/simulator";

export interface Supplier {
  simulator: SupplierSimulator;
  running: RunningSimulator;
  env: Record<string, string>;
}

export async function startSupplier(): Promise<Supplier> {
  const appKey = `rehearsal-${randomBytes(6).toString("hex")}`;
  const appSecret = randomBytes(24).toString("base64url");
  const simulator = new SupplierSimulator({ appKey, appSecret, shipAfterQueries: 1 });
  const running = await simulator.start({ port: 0 });
  return {
    simulator,
    running,
    env: {
      SUPPLIER_API_URL: running.url,
      SUPPLIER_APP_KEY: appKey,
      SUPPLIER_APP_SECRET: appSecret,
      SUPPLIER_ACCESS_TOKEN: randomBytes(16).toString("hex"),
    },
  };
}
