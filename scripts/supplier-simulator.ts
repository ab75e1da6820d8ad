// The simulated supplier of `npm start` in local mode: scripts/start.mjs runs this file as a
// child process (`node --import tsx`) when no SUPPLIER_API_URL is configured outside production,
// which is exactly when the supplier client (supplierConfig in aliexpress.ts) targets
// http://127.0.0.1:DEV_SUPPLIER_PORT with the development credentials.
//
// It stops on SIGINT/SIGTERM and when start.mjs goes away (the IPC channel closes), so it never
// outlives the platform. A port already in use is reported in one line and is not an error:
// start.mjs carries on without it.
import { DEV_SUPPLIER_PORT } from "../src/integrations/supplier/protocol";
import { type RunningSimulator, SupplierSimulator } from "../src/integrations/supplier/simulator";

// An order gets its tracking number on its 3rd tracking query: locally the "not shipped yet"
// answer is seen twice (exercising the retry/poll path), then the order ships, so a test order
// reaches "shipped" after a few polls instead of never (the simulator's default).
const SHIP_AFTER_QUERIES = 3;

let running: RunningSimulator | undefined;
let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await running?.close();
  process.exit(0);
}

for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stop());
process.once("disconnect", () => void stop());

try {
  running = await new SupplierSimulator({ shipAfterQueries: SHIP_AFTER_QUERIES }).start({ port: DEV_SUPPLIER_PORT });
  console.log(`Simulated supplier on ${running.url} (orders ship on their ${SHIP_AFTER_QUERIES}rd tracking query)`);
} catch (error) {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE")
    console.log(
      `Port ${DEV_SUPPLIER_PORT} is in use: not starting the simulated supplier (supplier calls go to whatever listens there).`,
    );
  else console.error(`The simulated supplier did not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(0);
}
