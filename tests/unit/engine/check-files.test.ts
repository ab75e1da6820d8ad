/**
 * `npm run workflows:check`: the checks registration runs, offline, with each problem's place.
 * Fixtures: tests/fixtures/workflows-check/{good,bad}.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { checkDefinitionSource, checkWorkflowFiles, formatProblem } from "@/engine/check-files";
import { parseIssuePath, sourcePositions } from "@/engine/definition/positions";
import { ensureWired } from "@/runtime/wire";

const GOOD = "tests/fixtures/workflows-check/good";
const BAD = "tests/fixtures/workflows-check/bad";

beforeAll(async () => {
  await ensureWired();
});

describe("checkWorkflowFiles", () => {
  it("accepts every shipped workflow and the good fixture", async () => {
    const report = await checkWorkflowFiles(["workflows", GOOD]);
    expect(report.problems).toEqual([]);
    expect(report.files).toContain("workflows/hello.yaml");
    expect(report.files).toContain(`${GOOD}/greet.yaml`);
    expect(report.files.some((f) => f.endsWith("schema.json"))).toBe(false);
  });

  it("reports shape, graph, agent and syntax problems with file, line and column", async () => {
    const { problems } = await checkWorkflowFiles([BAD]);
    expect(problems.map(formatProblem)).toEqual([
      `${BAD}/agent.yaml:5:5: steps[0].action: agent "core" has no action "no_such_action"`,
      `${BAD}/agent.yaml:8:5: steps[1].agent: unknown agent "no_such_agent"`,
      `${BAD}/graph.yaml:7:5: steps[1].depends_on: unknown step "ghost"`,
      `${BAD}/shape.yaml:4:5: steps[0].sleep: invalid duration "5x": expected a whole number and a unit (ms, s, m, h, d), e.g. "30s"`,
      `${BAD}/shape.yaml:6:5: steps[1].dependsOn: unknown field (did you mean "depends_on"?)`,
      `${BAD}/syntax.yaml:5:1: (root): invalid YAML: Sequence item without - indicator at line 5, column 1`,
      `${BAD}/syntax.yaml:6:1: (root): invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 6, column 1`,
    ]);
  });

  it("reports a missing file, and two files defining one workflow", async () => {
    const { problems } = await checkWorkflowFiles([`${GOOD}/greet.yaml`, `${GOOD}/greet.yaml`, `${BAD}/nope.yaml`]);
    expect(problems).toEqual([
      {
        file: `${GOOD}/greet.yaml`,
        line: 2,
        col: 1,
        path: "name",
        message: `workflow "check-greet" is also defined in ${GOOD}/greet.yaml`,
      },
      { file: `${BAD}/nope.yaml`, path: "(root)", message: "cannot be read (ENOENT)" },
    ]);
  });

  it("checks hosts against the environment it is given, as registration does", () => {
    const source = "name: hosts\nsteps:\n  - name: call\n    http:\n      url: http://127.0.0.1:9/x\n";
    expect(checkDefinitionSource(source, {}).issues).toEqual([
      expect.objectContaining({ path: "steps[0].http.url", message: expect.stringContaining("127.0.0.1") }),
    ]);
    expect(checkDefinitionSource(source, { HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1" }).issues).toEqual([]);
  });

  it("refuses, on Vercel, a step timeout that cannot fit in a tick, as registration does", () => {
    const source = "name: slow\nsteps:\n  - name: call\n    http:\n      url: https://example.com/\n    timeout: 1h\n";
    expect(checkDefinitionSource(source, {}).issues).toEqual([]);
    expect(checkDefinitionSource(source, { VERCEL: "1" }).issues).toEqual([
      expect.objectContaining({ path: "steps[0].timeout" }),
    ]);
  });
});

describe("positions", () => {
  it("parses the paths issues are written with", () => {
    expect(parseIssuePath("(root)")).toEqual([]);
    expect(parseIssuePath('steps[2].http.headers["X-Key"]')).toEqual(["steps", 2, "http", "headers", "X-Key"]);
    expect(parseIssuePath("error_handling[0].on_error")).toEqual(["error_handling", 0, "on_error"]);
    expect(parseIssuePath("steps[")).toBeUndefined();
  });

  it("points at a key, or at the object that lacks a required one", () => {
    const where = sourcePositions('name: x\nsteps:\n  - name: a\n    http:\n      headers: { "X-Key": v }\n');
    expect(where('steps[0].http.headers["X-Key"]')).toEqual({ line: 5, col: 18 });
    expect(where("steps[0].http.url")).toEqual({ line: 4, col: 5 });
    expect(where("steps[0]")).toEqual({ line: 3, col: 5 });
    expect(where("(root)")).toEqual({ line: 1, col: 1 });
  });
});

describe("npm run workflows:check", () => {
  const run = promisify(execFile);
  it("exits 0 on good files and 1 with the problems on bad ones", { timeout: 60_000 }, async () => {
    const ok = await run("npx", ["tsx", "scripts/workflows-check.ts", GOOD]);
    expect(ok.stdout).toContain("1 workflow file(s) OK.");
    const failed = await run("npx", ["tsx", "scripts/workflows-check.ts", GOOD, `${BAD}/graph.yaml`]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toContain(`${BAD}/graph.yaml:7:5: steps[1].depends_on: unknown step "ghost"`);
    expect(failed?.stderr).toContain("1 problem(s) in 1 of 2 workflow file(s).");
  });
});
