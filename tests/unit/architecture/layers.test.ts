/**
 * The layers of src/ and the absence of import circles (docs/architecture.md, "Shape"; rules in
 * .dependency-cruiser.cjs), checked on the real tree, and on a fixture with one upward import,
 * one circle and one module outside the layers, so the check provably fails when it should.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeViolation, findLayerViolations } from "../../../scripts/layers";

const FIXTURE = path.resolve(import.meta.dirname, "../../fixtures/layers");

describe("layers", () => {
  it("src/ imports only downwards, without a circle", { timeout: 120_000 }, async () => {
    const violations = await findLayerViolations();
    expect(violations.map(describeViolation)).toEqual([]);
  });

  it("reports an upward import, a circle and a module in no layer in the fixture, and nothing else", {
    timeout: 60_000,
  }, async () => {
    const violations = await findLayerViolations(FIXTURE, undefined);
    const found = violations.map(({ rule, from, to }) => ({ rule, from, to }));
    expect(found.sort((a, b) => a.rule.localeCompare(b.rule))).toEqual([
      { rule: "in-a-layer", from: "src/stray.ts", to: "src/agents/catalog.ts" },
      { rule: "layer-engine", from: "src/engine/registry.ts", to: "src/agents/catalog.ts" },
      { rule: "no-circular", from: "src/orders/fulfilment.ts", to: "src/orders/orders.ts" },
    ]);
  });
});
