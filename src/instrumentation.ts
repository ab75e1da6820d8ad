// Runs once when a Next.js server process starts (not during `next build`).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs" || process.env.NEXT_PHASE === "phase-production-build") return;
  // Production (Vercel, or APP_ENV=production self-hosted) only checks its configuration here:
  // migrations and workflow files are applied by the deploy's build command, and the cold start
  // must not load the whole platform (the engine, every agent) before the first answer.
  const { assertPaymentConfig, assertProductionConfig, isProduction } = await import("./env");
  assertProductionConfig();
  // Any `next start` (NODE_ENV=production), not only isProduction(): see assertPaymentConfig.
  assertPaymentConfig();
  if (isProduction()) return;
  const { startServer } = await import("./runtime/startup");
  await startServer();
}
