/**
 * The rehearsal's flags. The short form (`npm run rehearse`, also in .ci/run) proves the
 * production shape in about two minutes; `--long` measures scale (issue 14, point 7). Every size
 * is a flag, so either form can be tuned: `npm run rehearse -- --long --sites 200 --agent-runs 20000`.
 */
import { parseArgs } from "node:util";

export type Workload = "sites" | "chain" | "shopify" | "foreach" | "wait" | "agents";
export const WORKLOADS: Workload[] = ["sites", "chain", "shopify", "foreach", "wait", "agents"];

export interface Options {
  long: boolean;
  servers: number;
  keep: boolean;
  driver: "neon" | "pg";
  /** Postgres to create the rehearsal database next to (its database part is ignored). */
  adminUrl: string;
  cronEveryMs: number;
  /** At most this many calls of one cron path in flight (a cron tick can run for minutes). */
  cronMaxInFlight: number;
  chaos: boolean;
  killMinMs: number;
  killMaxMs: number;
  sites: number;
  chainSteps: number;
  chainSleepMs: number;
  shopify: number;
  forEachItems: number;
  waits: number;
  /** Runs of a one-agent-step workflow started in bulk: sustained agent invocations. */
  agentRuns: number;
  /** The app's TICK_BATCH_SIZE: steps one route tick claims at once. */
  tickBatch: number;
  /** Give up on the workloads after this long. */
  deadlineMs: number;
  only: Workload[];
  verbose: boolean;
}

const HELP = `npm run rehearse [-- options]

A serverless rehearsal of the Vercel + Neon production deployment on this machine.

  --long                 the long form: scale figures (defaults below in brackets)
  --servers N            next start processes behind the proxies: 2 [4]
  --sites N              site orders (POST /api/projects) in flight at once: 2 [500]
  --chain-steps N        steps of the sleep/emit/http chain: 300 [300]
  --chain-sleep-ms N     each sleep of the chain: 250
  --shopify N            signed Shopify orders/create deliveries: 4 [200]
  --for-each N           items of the for_each run: 500 [2000]
  --waits N              wait_for_event runs: 3 [50]
  --agent-runs N         one-agent-step runs started in bulk: 0 [20000]
  --cron-every-ms N      the compressed cron clock: 2000 [5000]
  --cron-max-in-flight N calls of one cron path in flight at most: 8
  --kill-min-ms N, --kill-max-ms N   SIGKILL a server every 5000..15000 ms [15000..45000]
  --no-chaos             no kills
  --deadline-s N         give up on the workloads after: 240 [3600]
  --only a,b             workloads: sites,chain,shopify,foreach,wait,agents
  --driver neon|pg       database driver of the app: neon (through the WebSocket relay)
  --database-url URL     Postgres to create the rehearsal database on
                         (default postgres://postgres@127.0.0.1:5432/postgres, or REHEARSAL_DATABASE_URL)
  --keep                 keep the rehearsal database afterwards
  --tick-batch N         the app's TICK_BATCH_SIZE, steps a route tick claims at once: 100 [25]
                         (every function of the deployment shares this machine's 2 cores here,
                         where Vercel runs each agent call in its own instance)
  --verbose              stream the servers' logs
`;

export function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      long: { type: "boolean", default: false },
      servers: { type: "string" },
      keep: { type: "boolean", default: false },
      driver: { type: "string", default: "neon" },
      "database-url": { type: "string" },
      "cron-every-ms": { type: "string" },
      "cron-max-in-flight": { type: "string" },
      "no-chaos": { type: "boolean", default: false },
      "kill-min-ms": { type: "string" },
      "kill-max-ms": { type: "string" },
      sites: { type: "string" },
      "chain-steps": { type: "string" },
      "chain-sleep-ms": { type: "string" },
      shopify: { type: "string" },
      "for-each": { type: "string" },
      waits: { type: "string" },
      "agent-runs": { type: "string" },
      "deadline-s": { type: "string" },
      only: { type: "string" },
      verbose: { type: "boolean", default: false },
      "tick-batch": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const long = values.long;
  const int = (name: keyof typeof values, short: number, longDefault: number, min = 0): number => {
    const raw = values[name];
    const value = raw === undefined ? (long ? longDefault : short) : Number(raw);
    if (!Number.isInteger(value) || value < min) throw new Error(`--${String(name)} must be a whole number ≥ ${min}`);
    return value;
  };
  if (values.driver !== "neon" && values.driver !== "pg") throw new Error("--driver must be neon or pg");
  const only = values.only ? values.only.split(",").map((w) => w.trim()) : WORKLOADS;
  for (const w of only)
    if (!WORKLOADS.includes(w as Workload))
      throw new Error(`--only: unknown workload "${w}" (${WORKLOADS.join(", ")})`);
  const options: Options = {
    long,
    servers: int("servers", 2, 4, 1),
    keep: values.keep,
    driver: values.driver,
    adminUrl:
      values["database-url"] ?? process.env.REHEARSAL_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    cronEveryMs: int("cron-every-ms", 2_000, 5_000, 100),
    cronMaxInFlight: int("cron-max-in-flight", 8, 8, 1),
    chaos: !values["no-chaos"],
    killMinMs: int("kill-min-ms", 5_000, 15_000, 100),
    killMaxMs: int("kill-max-ms", 15_000, 45_000, 100),
    sites: int("sites", 2, 500),
    chainSteps: int("chain-steps", 300, 300, 2),
    chainSleepMs: int("chain-sleep-ms", 250, 250, 1),
    shopify: int("shopify", 4, 200),
    forEachItems: int("for-each", 500, 2_000, 1),
    waits: int("waits", 3, 50),
    agentRuns: int("agent-runs", 0, 20_000),
    tickBatch: int("tick-batch", 100, 25, 1),
    deadlineMs: int("deadline-s", 240, 3_600, 10) * 1_000,
    only: only as Workload[],
    verbose: values.verbose,
  };
  if (options.killMaxMs < options.killMinMs) throw new Error("--kill-max-ms must be ≥ --kill-min-ms");
  return options;
}
