/** Shared by the definition tests: run parseDefinition and get its issues. */
import { expect } from "vitest";
import {
  DefinitionError,
  type DefinitionIssue,
  type ParseDefinitionOptions,
  parseDefinition,
} from "@/engine/definition";

export function issuesOf(source: unknown, options?: ParseDefinitionOptions): DefinitionIssue[] {
  try {
    parseDefinition(source, options);
  } catch (error) {
    expect(error).toBeInstanceOf(DefinitionError);
    return (error as DefinitionError).issues;
  }
  throw new Error("expected the definition to be rejected");
}

/** A definition with the given steps (and any top-level extras). */
export function workflow(steps: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "wf", steps, ...extra };
}
