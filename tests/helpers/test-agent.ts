/** The in-process agent the engine's database tests call from their definitions. */
import { registerInProcessAgent } from "@/agents/catalog";
import { NonRetryableError } from "@/step-errors";

/**
 * Registers agent `name` with three actions: `ok` answers `{ got: input }`, `double` answers
 * `{ value: 2n }` for `{ n }`, and `fail` fails for good (no retry) with `failure` as its message.
 */
export function registerTestAgent(name: string, failure: string): void {
  registerInProcessAgent(name, {
    ok: async (input) => ({ got: input }),
    double: async (input) => ({ value: (input as { n: number }).n * 2 }),
    fail: async () => {
      throw new NonRetryableError(failure);
    },
  });
}
