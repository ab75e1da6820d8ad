import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { DefinitionError, definitionHash, loadWorkflowFiles, parseDefinition, toYaml } from "@/engine/definition";

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "workflows-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function loadError(dir: string): Promise<DefinitionError> {
  try {
    await loadWorkflowFiles(dir);
  } catch (error) {
    if (error instanceof DefinitionError) return error;
    throw error;
  }
  throw new Error("expected a DefinitionError");
}

describe("loadWorkflowFiles", () => {
  it("loads the repository's workflows, including the hello example, which round-trips", async () => {
    const files = await loadWorkflowFiles();
    const hello = files.find((f) => f.file === "hello.yaml");
    expect(hello?.definition).toMatchObject({
      name: "hello",
      trigger: { type: "manual" },
      steps: [
        { name: "greet", kind: "emit", dependsOn: [] },
        { name: "pause", kind: "sleep", durationMs: 500, dependsOn: ["greet"] },
        { name: "done", kind: "emit", dependsOn: ["pause"] },
      ],
    });
    const def = hello!.definition;
    expect(parseDefinition(toYaml(def))).toEqual(def);
    expect(definitionHash(parseDefinition(toYaml(def)))).toBe(definitionHash(def));
  });

  it("reads only .yaml and .yml files, in name order", async () => {
    const dir = dirWith({
      "b.yml": "name: b\nsteps:\n  - {name: s, sleep: 1s}\n",
      "a.yaml": "name: a\nsteps:\n  - {name: s, sleep: 1s}\n",
      "notes.md": "# not a workflow",
      "c.json": "{}",
    });
    mkdirSync(path.join(dir, "nested.yaml"));
    const files = await loadWorkflowFiles(dir);
    expect(files.map((f) => [f.file, f.definition.name])).toEqual([
      ["a.yaml", "a"],
      ["b.yml", "b"],
    ]);
  });

  it("reports the problems of every file, prefixed with the file name", async () => {
    const dir = dirWith({
      "good.yaml": "name: good\nsteps:\n  - {name: s, sleep: 1s}\n",
      "bad.yaml": "name: bad\nsteps:\n  - {name: s, sleep: 1s, depends_on: ghost}\n",
      "broken.yaml": "name: [\n",
    });
    const error = await loadError(dir);
    expect(error.issues).toEqual([
      { path: "bad.yaml: steps[0].depends_on", message: 'unknown step "ghost"' },
      { path: "broken.yaml: (root)", message: expect.stringContaining("invalid YAML") as unknown },
    ]);
    expect(error.message).toContain('- bad.yaml: steps[0].depends_on: unknown step "ghost"');
  });

  it("refuses two files defining the same workflow", async () => {
    const text = "name: same\nsteps:\n  - {name: s, sleep: 1s}\n";
    const error = await loadError(dirWith({ "one.yaml": text, "two.yaml": text }));
    expect(error.issues).toEqual([{ path: "two.yaml: name", message: 'workflow "same" is also defined in one.yaml' }]);
  });

  it("returns no files for a missing directory", async () => {
    await expect(loadWorkflowFiles(path.join(tmpdir(), "no-such-workflows-dir-xyz"))).resolves.toEqual([]);
  });
});
