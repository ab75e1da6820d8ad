import { describe, expect, it } from "vitest";
import { parseDefinition, toYaml } from "@/engine/definition";
import { issuesOf, workflow } from "./helpers";

const sleep = (name: string, extra: Record<string, unknown> = {}) => ({ name, sleep: "1s", ...extra });
const namesOf = (source: unknown) => parseDefinition(source, { env: {} }).errorHandlers.map((h) => h.step.name);

describe("error_handling names", () => {
  it("accepts a handler without a name, naming it after its target", () => {
    const yaml = `
name: wf
steps:
  - name: charge
    sleep: 1s
error_handling:
  - on_error: charge
    emit: { topic: charge.failed, data: "{{ error }}" }
  - on_error: "*"
    emit: { topic: run.failed }
`;
    expect(namesOf(yaml)).toEqual(["on_charge_error", "on_any_error"]);
  });

  it("keeps written names, and never gives a derived name that is taken", () => {
    const source = workflow([sleep("a"), sleep("on_b_error")], {
      error_handling: [
        { on_error: "a", sleep: "1s" },
        { on_error: "a", sleep: "1s" },
        { on_error: "a", name: "on_a_error_2", sleep: "1s" },
        { on_error: "b", sleep: "1s" },
        { on_error: "a", name: "mine", sleep: "1s" },
      ],
    });
    // `b` is not a step, so this one is refused for its target: check the names on a valid copy.
    expect(issuesOf(source, { env: {} }).map((i) => i.path)).toEqual(["error_handling[3].on_error"]);
    const valid = { ...source, steps: [sleep("a"), sleep("b"), sleep("on_b_error")] };
    expect(namesOf(valid)).toEqual(["on_a_error", "on_a_error_3", "on_a_error_2", "on_b_error_2", "mine"]);
  });

  it("keeps a derived name within the step-name limit", () => {
    const long = `s${"x".repeat(62)}`;
    const names = namesOf(
      workflow([sleep(long)], {
        error_handling: [
          { on_error: long, sleep: "1s" },
          { on_error: long, sleep: "1s" },
        ],
      }),
    );
    for (const name of names) expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
    expect(new Set(names).size).toBe(2);
  });

  it("still refuses two handlers written with the same name, saying where", () => {
    const issues = issuesOf(
      workflow([sleep("a")], {
        error_handling: [
          { on_error: "a", name: "h", sleep: "1s" },
          { on_error: "*", name: "h", sleep: "1s" },
        ],
      }),
    );
    expect(issues).toEqual([
      { path: "error_handling[1].name", message: 'duplicate step name "h" (also error_handling[0])' },
    ]);
  });

  it("round-trips through toYaml with the derived names written out", () => {
    const def = parseDefinition(workflow([sleep("a")], { error_handling: [{ on_error: "a", sleep: "1s" }] }), {
      env: {},
    });
    expect(parseDefinition(toYaml(def), { env: {} })).toEqual(def);
  });
});
