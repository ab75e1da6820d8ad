import { search } from "@jmespath-community/jmespath";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isTruthy } from "@/engine/definition";
import { TRUTHINESS_TABLE, dataOf } from "./truthiness-table";

describe("the definition format's one truthiness rule", () => {
  it.each(TRUTHINESS_TABLE)("judges $label as $truthy", (c) => {
    expect(isTruthy(dataOf(c).v)).toBe(c.truthy);
  });

  it("agrees with JMESPath's own `!` on every JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (value) => {
        // `!v` is JMESPath's falsiness of v, so isTruthy must be its negation.
        expect(isTruthy(value)).toBe(search({ v: value } as never, "!v") === false);
      }),
    );
  });
});
