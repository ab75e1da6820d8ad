/**
 * Work after the response (PRODUCT.md §2): `after()` keeps the function alive on Vercel until
 * the work ends. Outside a request (tests calling handlers directly, scripts) `after` is not
 * available, and the work just runs detached. Errors are logged, never thrown.
 */
import { after } from "next/server";
import { log } from "@/observability/log";

export function afterResponse(work: () => Promise<unknown>): void {
  const guarded = () => work().catch((error: unknown) => log.error("after-response work failed", { error }));
  try {
    after(guarded);
  } catch {
    void guarded();
  }
}
