/**
 * Where an issue is in the text: from a definition issue's path (`steps[2].http.headers["X-Key"]`)
 * to the line and column of that place in the YAML (or JSON) source, using the node ranges of the
 * `yaml` package. A path to a field that is missing points at the object that lacks it; an issue
 * about the text itself (ROOT_PATH) takes the position the parser names in its message.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";
import { ROOT_PATH } from "./errors";

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based. */
  col: number;
}

/**
 * `steps[2].depends_on` → `["steps", 2, "depends_on"]`; undefined for a path this grammar does
 * not produce (the caller then has no position).
 */
export function parseIssuePath(path: string): (string | number)[] | undefined {
  if (path === ROOT_PATH || path === "") return [];
  const segments: (string | number)[] = [];
  const token = /\.?([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  let at = 0;
  while (at < path.length) {
    token.lastIndex = at;
    const match = token.exec(path);
    if (!match) return undefined;
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3] ?? '""') as string);
    at = token.lastIndex;
  }
  return segments;
}

/** Finds positions of issue paths in one source text; parses the text once. */
export function sourcePositions(source: string): (path: string, message?: string) => SourcePosition | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, keepSourceTokens: false, uniqueKeys: false, logLevel: "silent" });
  const at = (offset: number): SourcePosition => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  return (path, message) => {
    if (path === ROOT_PATH) {
      const named = message === undefined ? null : /at line (\d+), column (\d+)/.exec(message);
      if (named) return { line: Number(named[1]), col: Number(named[2]) };
    }
    const segments = parseIssuePath(path);
    if (segments === undefined) return undefined;
    let node: unknown = doc.contents;
    let offset = (doc.contents as Node | null)?.range?.[0];
    for (const segment of segments) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(segment));
        if (!pair) break;
        offset = (pair.key as Node).range?.[0] ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment] as Node | undefined;
        if (!item) break;
        offset = item.range?.[0] ?? offset;
        node = item;
      } else {
        break;
      }
    }
    return offset === undefined ? undefined : at(offset);
  };
}
