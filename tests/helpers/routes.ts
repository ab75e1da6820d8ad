/** The route files under src/app, and the HTTP methods each one exports. */
import { readdirSync } from "node:fs";
import path from "node:path";

export const APP_DIR = path.resolve(import.meta.dirname, "../../src/app");
export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

/** Route files relative to src/app, e.g. `api/keys/[id]/route.ts`. */
export function routeFiles(): string[] {
  return readdirSync(APP_DIR, { recursive: true, encoding: "utf8" })
    .filter((f) => /(^|\/)route\.tsx?$/.test(f))
    .map((f) => f.split(path.sep).join("/"))
    .sort();
}

export async function importRoute(file: string): Promise<Record<string, unknown>> {
  return (await import(path.join(APP_DIR, file))) as Record<string, unknown>;
}

export function exportedMethods(mod: Record<string, unknown>): string[] {
  return HTTP_METHODS.filter((m) => m in mod);
}
