/**
 * Work after the response (PRODUCT.md §2): `after()` keeps the function alive on Vercel until
 * the work ends. Outside a request (tests calling handlers directly, scripts) `after` is not
 * available, and the work runs detached (util/detached.ts: tracked, and its failures reported to
 * the test setup). Errors are logged, never thrown.
 */
import { after } from "next/server";
import { log } from "@/observability/log";
import { runDetached } from "@/util/detached";

const logFailure = (error: unknown) => log.error("after-response work failed", { error });

export function afterResponse(work: () => Promise<unknown>): void {
  try {
    after(() => work().catch(logFailure));
  } catch {
    runDetached("after-response work", work, logFailure);
  }
}
