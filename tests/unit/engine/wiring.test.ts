/**
 * The engine is wired by the composition root (src/runtime/wire.ts); unwired, it refuses agent
 * steps and registrations naming agents with an error that names the missing wiring, instead of
 * falling back to anything.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Db } from "@/db/client";
import { parseDefinition } from "@/engine/definition";
import { housekeepingDue, runHousekeeping } from "@/engine/housekeeping";
import { agentInvoker } from "@/engine/kinds/agent";
import { assertAgentsKnown } from "@/engine/registry";
import { EngineNotWiredError, unwireEngine, wireEngine, type Chore } from "@/engine/wiring";
import { ensureWired } from "@/runtime/wire";

const AGENT_WORKFLOW = `
name: wired
steps:
  - name: validate
    agent: orders
    action: validate_order
`;

afterEach(() => unwireEngine());

describe("an unwired engine", () => {
  it("refuses to run an agent step, naming the missing invoker and the composition root", () => {
    unwireEngine();
    expect(() => agentInvoker()).toThrow(EngineNotWiredError);
    expect(() => agentInvoker()).toThrow(/not wired: no agent invoker.*ensureWired\(\) from src\/runtime\/wire\.ts/);
  });

  it("refuses to register a definition with an agent step, naming the missing directory", () => {
    unwireEngine();
    const definition = parseDefinition(AGENT_WORKFLOW, { env: {} });
    expect(definition.steps[0]?.timeoutMs).toBe(30_000); // the platform's default: no directory to ask
    expect(() => assertAgentsKnown(definition)).toThrow(EngineNotWiredError);
    expect(() => assertAgentsKnown(definition)).toThrow(/no agent directory/);
  });

  it("runs no chore and has no chore due", async () => {
    unwireEngine();
    const db = {} as Db;
    await runHousekeeping(db, { force: true });
    expect(await housekeepingDue(db)).toBeNull();
  });
});

describe("a wired engine", () => {
  it("checks agent steps against the catalog and gives them their action's timeout", { timeout: 60_000 }, async () => {
    await ensureWired();
    expect(() => agentInvoker()).not.toThrow();
    const definition = parseDefinition(AGENT_WORKFLOW, { env: {} });
    expect(definition.steps[0]?.timeoutMs).toBe(15_000); // orders.validate_order declares 15 s
    expect(() => assertAgentsKnown(definition)).not.toThrow();
    const unknown = parseDefinition(AGENT_WORKFLOW.replace("validate_order", "no_such_action"), { env: {} });
    expect(() => assertAgentsKnown(unknown)).toThrow(/agent "orders" has no action "no_such_action"/);
  });

  it("runs each interval's chores together, once per interval, and reports the earliest due delivery", async () => {
    const ran: string[] = [];
    const chore = (name: string, everyMs: number, due?: number | null): Chore => ({
      name,
      everyMs,
      run: async () => void ran.push(name),
      ...(due === undefined ? {} : { nextDueInMs: async () => due }),
    });
    wireEngine({
      agents: { hasAgent: () => false, findAction: () => undefined },
      invoker: { invoke: async () => ({ status: "completed", output: null }) },
      chores: [chore("often", 5_000, 2_000), chore("often too", 5_000, null), chore("rarely", 60_000)],
    });
    const db = {} as Db;
    await runHousekeeping(db);
    expect(ran).toEqual(["often", "often too", "rarely"]);
    await runHousekeeping(db);
    expect(ran).toHaveLength(3);
    // The delivery is due in 2 s, but the chore runs again only 5 s after its last turn.
    const due = await housekeepingDue(db);
    expect(due?.dueNow).toBe(false);
    expect(due?.ms).toBeGreaterThan(4_000);
    expect(due?.ms).toBeLessThanOrEqual(5_000);
  });
});
