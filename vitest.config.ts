import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { alias: { "@": fileURLToPath(new URL("./src", import.meta.url)) } },
  test: {
    include: ["tests/**/*.test.ts"],
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
  },
});
