/**
 * The items a `for_each` fans out over, checked before any row is written: one step row (and at
 * least one attempt) per item, so an unbounded array is an unbounded amount of work and storage
 * from one template (`{{ input.items }}` with a million entries).
 *
 * Decision: one platform cap, FOR_EACH_MAX_ITEMS (default 1,000, like the most runs one bulk
 * start creates), checked when the step fans out, not at registration (the
 * array's length is only known then). An array over it fails the step at once, without retry
 * (the same input gives the same array), naming the cap and the count. No per-step setting: a
 * workflow that needs more items splits them into batches (a for_each over chunks), which keeps
 * every run's size bounded by the operator's choice rather than the author's.
 */
import { readEnv } from "@/env";
import { NonRetryableError } from "@/step-errors";

export function forEachItems(stepName: string, rendered: unknown, source: NodeJS.ProcessEnv = process.env): unknown[] {
  if (!Array.isArray(rendered)) {
    throw new NonRetryableError(
      `for_each of "${stepName}" must give an array, not ${rendered === null ? "null" : typeof rendered}.`,
    );
  }
  const cap = readEnv(source).FOR_EACH_MAX_ITEMS;
  if (rendered.length > cap) {
    throw new NonRetryableError(
      `for_each of "${stepName}" gave ${rendered.length} items, more than the cap of ${cap} (FOR_EACH_MAX_ITEMS); split the work into batches.`,
      { items: rendered.length, cap },
    );
  }
  return rendered;
}
