/**
 * The composition root: the one place that wires the engine to what sits above it, the agents'
 * directory (src/agents/catalog.ts), their gateway as the invoker of agent steps, and the
 * housekeeping chores (./chores.ts); the worker loop (./worker.ts) adds alert evaluation.
 * Callers: instrumentation (local mode, through ./startup.ts), `npm run worker` and
 * `npm run workflows:sync`, the routes that tick the engine, run its housekeeping or register
 * definitions, the test setup and the benches.
 *
 * The agents and chores are imported on first use, not at module load: on Vercel each route is
 * its own function, and a route that never ticks must not load every agent on its cold start.
 */
import { engineWiring, wireEngine } from "@/engine/wiring";

export async function ensureWired(): Promise<void> {
  if (engineWiring()) return;
  const [{ findAction, findAgent }, { gatewayInvoker }, { CHORES }] = await Promise.all([
    import("@/agents/catalog"),
    import("@/agents/gateway"),
    import("./chores"),
  ]);
  wireEngine({
    agents: { hasAgent: (name) => findAgent(name) !== undefined, findAction },
    invoker: gatewayInvoker,
    chores: CHORES,
  });
}
