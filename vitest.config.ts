import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const COLD_START = "tests/unit/observability/health-cold-start.test.ts";

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  test: {
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Once per run: the migrated database templates, and the build the e2e tests start.
    globalSetup: ["tests/helpers/global-setup.ts"],
    setupFiles: ["tests/helpers/setup.ts"],
    // Two files at a time on the 2-core CI machine (vitest's default there is one): the suite
    // is mostly waiting on databases and loopback servers, and two workers take it from about
    // 10 minutes to about 7. Tests assert correctness bounds, never how much fits in a time.
    maxWorkers: 2,
    projects: [
      // Unit files share one module graph per worker instead of a fresh one per file: importing
      // the code again for each of ~60 files cost more than their tests (tests/unit: 46 s -> 21 s).
      // They keep no state between files that matters (each stubs and restores its own env).
      // Except the test of what a cold start loads, which needs a module graph nobody filled yet.
      {
        extends: true,
        test: { name: "unit", include: ["tests/unit/**/*.test.ts"], exclude: [COLD_START], isolate: false },
      },
      // Database, integration and e2e files stay isolated: each opens its own database and the
      // process-wide handle, wiring and buffers must start clean.
      { extends: true, test: { name: "isolated", include: ["tests/{db,integration,e2e}/**/*.test.ts", COLD_START] } },
    ],
  },
});
