/**
 * `.env.example` lists every variable the platform reads, and the README's configuration table
 * names each one: a variable added to src/env.ts (or read elsewhere and listed in
 * ENV_READ_ELSEWHERE) without them fails here, and so does one documented but never read.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ENV_SET_BY_RUNTIME, envVariableNames } from "@/env";

const read = envVariableNames();
const byRuntime = new Set<string>(ENV_SET_BY_RUNTIME);

const example = [...readFileSync(".env.example", "utf8").matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!);
const readme = readFileSync("README.md", "utf8");
const table = readme.slice(readme.indexOf("## Configuration"), readme.indexOf("## API conventions"));
const documented = new Set([...table.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!));

describe("configuration documents", () => {
  it(".env.example lists every variable an operator may set, and nothing else", () => {
    expect(read.filter((name) => !byRuntime.has(name) && !example.includes(name))).toEqual([]);
    expect(example.filter((name) => !read.includes(name))).toEqual([]);
    expect(new Set(example).size).toBe(example.length);
  });

  it("the README's configuration section names every variable, and only those", () => {
    expect(read.filter((name) => name !== "NODE_ENV" && !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => !read.includes(name))).toEqual([]);
  });
});
