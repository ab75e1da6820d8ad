/**
 * Generated requests for the route fuzz (tests/integration/routes-fuzz.test.ts): a route file's
 * dynamic segments filled with generated values, query strings, headers (including credentials
 * and signatures that pass the route's check, so the fuzz reaches past authentication) and
 * bodies, plus the check that an answer leaks no internals (stack frames, file paths, error
 * class dumps).
 */
import fc from "fast-check";

export type Segment =
  | { kind: "static"; value: string }
  | { kind: "param"; name: string }
  | { kind: "rest"; name: string; optional: boolean };

/** `api/keys/[id]/route.ts` → static `api`, static `keys`, param `id`. */
export function routeSegments(file: string): Segment[] {
  return file
    .split("/")
    .slice(0, -1)
    .filter((s) => !/^\(.*\)$/.test(s)) // route groups add no segment
    .map((s): Segment => {
      const optional = /^\[\[\.\.\.(.+)\]\]$/.exec(s);
      if (optional) return { kind: "rest", name: optional[1]!, optional: true };
      const rest = /^\[\.\.\.(.+)\]$/.exec(s);
      if (rest) return { kind: "rest", name: rest[1]!, optional: false };
      const param = /^\[(.+)\]$/.exec(s);
      return param ? { kind: "param", name: param[1]! } : { kind: "static", value: s };
    });
}

const PRINTABLE = fc.constantFrom(...Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)));
/** Header-safe text (printable ASCII: what `new Request` accepts in a header value). */
export const headerText = (maxLength = 80) => fc.string({ unit: PRINTABLE, maxLength });

/** Text a client may put anywhere: ASCII, control characters, unicode, surrogate-free. */
const anyText = (maxLength = 60) =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: "grapheme", maxLength }),
    fc.string({ unit: "binary", maxLength }),
  );

const TRICKY_SEGMENTS = [
  "",
  ".",
  "..",
  "%",
  "null",
  "undefined",
  "0",
  "-1",
  "1e309",
  "9".repeat(40),
  "x".repeat(300),
  "../../etc/passwd",
  "a b",
  "\u0000",
  "é",
  "😀",
  "__proto__",
  "constructor",
];

/** A value for one dynamic segment: a known-good one from `pool`, or anything. */
export function segmentValue(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 3, arbitrary: pool.length > 0 ? fc.constantFrom(...pool) : fc.uuid() },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 2 ** 53 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom(...TRICKY_SEGMENTS) },
    { weight: 2, arbitrary: anyText(40).filter((s) => s.length > 0) },
  );
}

export interface GeneratedPath {
  path: string;
  params: Record<string, string | string[]>;
}

/** A path for a route file, its dynamic segments drawn from `pools[name]`; params as Next gives them (decoded). */
export function pathArbitrary(
  segments: Segment[],
  pools: Record<string, readonly string[]>,
): fc.Arbitrary<GeneratedPath> {
  const parts = segments.map((s): fc.Arbitrary<{ encoded: string[]; param?: [string, string | string[]] }> => {
    if (s.kind === "static") return fc.constant({ encoded: [s.value] });
    const value = segmentValue(pools[s.name] ?? []).filter((v) => v !== "" && v !== "." && v !== "..");
    if (s.kind === "param") return value.map((v) => ({ encoded: [encodeURIComponent(v)], param: [s.name, v] }));
    return fc.array(value, { minLength: s.optional ? 0 : 1, maxLength: 4 }).map((vs) => ({
      encoded: vs.map(encodeURIComponent),
      ...(vs.length > 0 ? { param: [s.name, vs] as [string, string[]] } : {}),
    }));
  });
  return fc.tuple(...parts).map((ps) => ({
    path: "/" + ps.flatMap((p) => p.encoded).join("/"),
    params: Object.fromEntries(ps.flatMap((p) => (p.param ? [p.param] : []))),
  }));
}

/** Query keys the routes read (so values meet their validation), and anything else. */
const QUERY_KEYS = [
  "limit",
  "cursor",
  "status",
  "state",
  "name",
  "bucket",
  "from",
  "to",
  "since",
  "until",
  "token",
  "version",
  "channel",
  "agent",
  "workflow",
  "topic",
  "action",
  "actor",
  "q",
  "search",
  "email",
  "shop",
  "supplier",
  "order",
  "window",
  "kind",
  "severity",
  "role",
  "include",
  "fromId",
  "toId",
  "page",
  "labels",
  "step",
  "group",
  "groupBy",
];
const QUERY_VALUES = fc.oneof(
  anyText(30),
  fc.integer({ min: -10, max: 10_000 }).map(String),
  fc.constantFrom(
    "",
    "0",
    "-1",
    "1.5",
    "NaN",
    "Infinity",
    "1e400",
    "true",
    "null",
    "[]",
    "{}",
    "'; drop table runs; --",
    "2026-13-45",
    "2026-01-01T00:00:00Z",
    "1m",
    "5m",
    "1h",
    "7m",
    "active",
    "pending",
    "failed",
    "open",
  ),
  fc.uuid(),
);

export const queryArbitrary: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant("") },
  {
    weight: 4,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: anyText(12) }),
          QUERY_VALUES,
        ),
        { maxLength: 6 },
      )
      .map((pairs) => {
        const q = new URLSearchParams(pairs).toString();
        return q ? `?${q}` : "";
      }),
  },
  // Raw text after the `?`: malformed percent escapes, bare separators.
  { weight: 1, arbitrary: headerText(40).map((s) => `?${s.replace(/#/g, "%23")}`) },
);

export const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "application/JSON",
  "application/json; charset=utf-16",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=xyz",
  "application/octet-stream",
  "application/json, text/plain",
  "",
  ";;;",
];

/** A JSON body shaped like what the routes read, with wrong types and extra keys. */
const SHAPED = fc.dictionary(
  fc.constantFrom(
    "name",
    "role",
    "apiKey",
    "topic",
    "data",
    "runs",
    "input",
    "url",
    "events",
    "secret",
    "status",
    "threshold",
    "comparator",
    "windowSeconds",
    "severity",
    "channels",
    "condition",
    "source",
    "metric",
    "aggregate",
    "fromId",
    "toId",
    "id",
    "type",
    "taskId",
    "output",
    "error",
    "progress",
    "call",
    "idempotencyKey",
    "lineItems",
    "currency",
    "totalPrice",
    "businessName",
    "industry",
    "pages",
    "language",
    "contactEmail",
    "slug",
    "brief",
    "orderId",
    "value",
    "labels",
    "steps",
    "object",
    "customer",
    "email",
  ),
  fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.string(),
    fc.integer(),
    fc.double(),
    fc.constant(null),
    fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  ),
  { maxKeys: 6 },
);

/** Bodies: none, JSON of any shape, shaped objects, and text that is not JSON. */
export const bodyArbitrary: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 4, arbitrary: SHAPED.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: anyText(200) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      " ",
      "{",
      "[",
      '{"a":',
      "null",
      "1e999",
      '"\\ud800"',
      '{"__proto__":{"x":1}}',
      "\u0000",
      "\ufeff{}",
    ),
  },
);

/**
 * Why a response body exposes internals, or null: a stack frame (`at f (file:1:2)`), a source
 * file path, a module path, or an error class name dumped as such. `echoed`: the request's own
 * strings (path, query, body, header values), left out of the check.
 */
export function leakIn(answer: string, echoed: readonly string[] = []): string | null {
  // What the request itself sent may come back (a 404 naming the path, a validation message
  // quoting a value): those parts are not the server's internals.
  let text = answer;
  for (const e of echoed) {
    if (e.length < 3) continue;
    for (const variant of [e, JSON.stringify(e).slice(1, -1)]) text = text.split(variant).join(" ");
  }
  const checks: [RegExp, string][] = [
    [/\bat\s+(?:async\s+)?[\w$.<>[\]]+\s+\(/, "a stack frame"],
    [/\bat\s+\S+:\d+:\d+/, "a stack frame"],
    [/(?:file:\/\/|\/(?:work|home|usr|var|tmp|app|src|opt)\/)[\w./@-]*/, "a file path"],
    [/[\w-]+\.(?:ts|tsx|mjs|cjs)\b(?::\d+)?/, "a source file name"],
    [/node_modules|webpack|turbopack|\.next\//, "a module path"],
    [
      /\b(?:TypeError|ReferenceError|RangeError|SyntaxError|ZodError|DrizzleQueryError|DatabaseError|PGliteError|AggregateError|EvalError)\b/,
      "an error class",
    ],
    [/\[object Object\]/, "an unserialised object"],
  ];
  for (const [re, what] of checks) {
    const m = re.exec(text);
    if (m) return `${what}: ${JSON.stringify(m[0])}`;
  }
  return null;
}
