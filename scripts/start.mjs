#!/usr/bin/env node
// `npm start`: builds the app when the build is missing or older than the sources, then serves
// it on PORT (default 3000). The server itself applies migrations and prepares the admin key
// at start (src/instrumentation.ts), with the embedded database unless DATABASE_URL is set.
// In local mode it also runs the simulated supplier (scripts/supplier-simulator.ts) on
// 127.0.0.1:4010, where the supplier client then sends its calls.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import nextEnv from "@next/env";
import { buildIfStale, root } from "./source-hash.mjs";

const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

const build = buildIfStale();
if (build && build.status !== 0) process.exit(build.status ?? 1);

// The same .env files `next start` reads, so a SUPPLIER_API_URL set in .env.local counts below.
nextEnv.loadEnvConfig(root, false, { info() {}, error() {} });

/**
 * Local mode, the same rule as supplierConfig (src/integrations/supplier/aliexpress.ts): no
 * SUPPLIER_API_URL and not production (`VERCEL` set or `APP_ENV=production`, src/env.ts). Then
 * the client calls http://127.0.0.1:4010 with the development credentials, so the simulator
 * runs there, as a child (with tsx, which loads the .ts sources). It reports a busy port itself
 * in one line and exits; the platform starts either way.
 */
function startSupplierSimulator() {
  const env = process.env;
  const blank = (name) => !env[name]?.trim();
  if (!blank("SUPPLIER_API_URL") || !blank("VERCEL") || env.APP_ENV?.trim() === "production") return null;
  if (!existsSync(path.join(root, "node_modules", "tsx"))) {
    console.log("tsx is not installed (dev dependency): not starting the simulated supplier on 127.0.0.1:4010.");
    return null;
  }
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "scripts", "supplier-simulator.ts")], {
    cwd: root,
    // The IPC channel lets the simulator notice when this process goes away, however it ends.
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  child.on("error", (error) => console.log(`The simulated supplier did not start: ${error.message}`));
  return child;
}

/**
 * `next start` refuses to start without Stripe unless test mode is explicit (ORDERS_TEST_MODE=1,
 * src/env.ts assertPaymentConfig). Local embedded-database mode (no DATABASE_URL, not production)
 * is a trial on one machine: it says test mode for you, out loud. With a DATABASE_URL (a real
 * deployment run by `npm start`) nothing is assumed: set Stripe's keys or ORDERS_TEST_MODE=1.
 */
function localOrdersTestMode() {
  const env = process.env;
  const blank = (name) => !env[name]?.trim();
  if (
    !blank("ORDERS_TEST_MODE") ||
    !blank("STRIPE_SECRET_KEY") ||
    !blank("DATABASE_URL") ||
    !blank("VERCEL") ||
    env.APP_ENV?.trim() === "production"
  )
    return {};
  console.log("Local mode without Stripe: orders are taken without payment (ORDERS_TEST_MODE=1).");
  return { ORDERS_TEST_MODE: "1" };
}

const simulator = startSupplierSimulator();
const stopSimulator = (signal = "SIGTERM") => {
  if (simulator && simulator.exitCode === null && simulator.signalCode === null) simulator.kill(signal);
};

const port = process.env.PORT || "3000";
console.log(`Serving on http://localhost:${port} (health: http://localhost:${port}/api/health)`);
const server = spawn(process.execPath, [nextBin, "start", "-p", port], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, ...localOrdersTestMode(), NEXT_TELEMETRY_DISABLED: "1" },
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    stopSimulator(signal);
    server.kill(signal);
  });
}
server.on("exit", (code, signal) => {
  stopSimulator();
  process.exit(code ?? (signal ? 1 : 0));
});
