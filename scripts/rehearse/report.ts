/**
 * The rehearsal's figures, as one JSON object and a short table: completion time per workload,
 * ticks by origin and the longest against its budget (the `tick.duration` points the tick route
 * records), cold starts, kills, 5xx and 502 counts, agent invocations.
 */
import type { RehearsalDatabase } from "./database";
import type { Check } from "./invariants";
import { median } from "./util";
import type { WorkloadResult } from "./workloads/context";

export interface TickFigures {
  byOrigin: Record<string, number>;
  longestMs: number | null;
  longestOrigin: string | null;
  budgetMs: number | null;
  p50Ms: number | null;
}

export async function tickFigures(db: RehearsalDatabase): Promise<TickFigures> {
  const byOrigin = await db.query<{ origin: string; n: number }>(
    `select coalesce(labels->>'origin', '?') as origin, count(*)::int as n from metric_points where name = 'tick.duration' group by 1 order by 1`,
  );
  const [longest] = await db.query<{ value: number; origin: string; budget: string }>(
    `select value, labels->>'origin' as origin, labels->>'budgetMs' as budget from metric_points where name = 'tick.duration' order by value desc limit 1`,
  );
  const [p50] = await db.query<{ p50: number | null }>(
    `select percentile_cont(0.5) within group (order by value) as p50 from metric_points where name = 'tick.duration'`,
  );
  return {
    byOrigin: Object.fromEntries(byOrigin.map((r) => [r.origin, r.n])),
    longestMs: longest ? Math.round(longest.value) : null,
    longestOrigin: longest?.origin ?? null,
    budgetMs: longest?.budget ? Number(longest.budget) : null,
    p50Ms: p50?.p50 == null ? null : Math.round(p50.p50),
  };
}

export async function agentCallFigures(
  db: RehearsalDatabase,
): Promise<{ calls: number; failed: number; perHour: number | null }> {
  const [row] = await db.query<{ calls: number; failed: number; first: Date | null; last: Date | null }>(
    `select count(*)::int as calls, count(*) filter (where outcome = 'failed')::int as failed, min(at) as first, max(at) as last from agent_calls`,
  );
  const spanMs = row?.first && row.last ? row.last.getTime() - row.first.getTime() : 0;
  return {
    calls: row?.calls ?? 0,
    failed: row?.failed ?? 0,
    perHour: spanMs > 0 ? Math.round((row!.calls / spanMs) * 3_600_000) : null,
  };
}

export interface Spread {
  count: number;
  minMs: number | null;
  medianMs: number | null;
  maxMs: number | null;
}

export function spread(ms: number[]): Spread {
  return {
    count: ms.length,
    minMs: ms.length ? Math.min(...ms) : null,
    medianMs: median(ms),
    maxMs: ms.length ? Math.max(...ms) : null,
  };
}

/** Cold starts to the first healthy answer, and to the first answer of any kind. */
/** Attempts that did not succeed, by outcome and error message (the ten most frequent). */
export async function attemptFailures(
  db: RehearsalDatabase,
): Promise<{ outcome: string; message: string; n: number }[]> {
  return db.query<{ outcome: string; message: string; n: number }>(
    `select outcome, left(coalesce(error->>'message', ''), 200) as message, count(*)::int as n from step_attempts
      where outcome <> 'succeeded' group by 1, 2 order by 3 desc limit 10`,
  );
}

export function coldStartFigures(
  starts: { ms: number; firstAnswerMs: number | null }[],
): Spread & { firstAnswer: Spread } {
  return {
    ...spread(starts.map((s) => s.ms)),
    firstAnswer: spread(starts.flatMap((s) => (s.firstAnswerMs === null ? [] : [s.firstAnswerMs]))),
  };
}

/** Tick route calls by origin (counted at the production proxy, killed ticks included), within [from, to]. */
export function tickCallsByOrigin(
  calls: { at: number; origin: string }[],
  from = -Infinity,
  to = Infinity,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) if (c.at >= from && c.at <= to) out[c.origin] = (out[c.origin] ?? 0) + 1;
  return out;
}

const pad = (text: string, width: number) => (text.length >= width ? text : text + " ".repeat(width - text.length));

export function printTable(figures: {
  workloads: WorkloadResult[];
  failedWorkloads: { name: string; error: string }[];
  ticks: TickFigures;
  tickCalls: Record<string, number>;
  coldStarts: ReturnType<typeof coldStartFigures>;
  kills: number;
  live5xx: number;
  killed502: number;
  checks: Check[];
}): void {
  const lines: string[] = [];
  lines.push("", "workload                      time       runs");
  for (const w of figures.workloads)
    lines.push(`${pad(w.name, 30)}${pad(`${(w.ms / 1000).toFixed(1)} s`, 11)}${w.runs}`);
  for (const w of figures.failedWorkloads) lines.push(`${pad(w.name, 30)}FAILED`);
  const t = figures.ticks;
  lines.push(
    "",
    `tick calls by origin          ${
      Object.entries(figures.tickCalls)
        .map(([o, n]) => `${o} ${n}`)
        .join(", ") || "none"
    }`,
    `ticks recorded (completed)    ${
      Object.entries(t.byOrigin)
        .map(([o, n]) => `${o} ${n}`)
        .join(", ") || "none recorded"
    }`,
    `longest tick                  ${t.longestMs ?? "-"} ms (${t.longestOrigin ?? "-"}) of a ${t.budgetMs ?? "-"} ms budget; median ${t.p50Ms ?? "-"} ms`,
    `cold starts (to healthy)      ${figures.coldStarts.count}: min ${figures.coldStarts.minMs ?? "-"} ms, median ${figures.coldStarts.medianMs ?? "-"} ms, max ${figures.coldStarts.maxMs ?? "-"} ms`,
    `  (to first answer)           min ${figures.coldStarts.firstAnswer.minMs ?? "-"} ms, median ${figures.coldStarts.firstAnswer.medianMs ?? "-"} ms, max ${figures.coldStarts.firstAnswer.maxMs ?? "-"} ms`,
    `kills (SIGKILL)               ${figures.kills}`,
    `5xx from live servers         ${figures.live5xx}`,
    `502 from killed instances     ${figures.killed502}`,
    "",
  );
  for (const c of figures.checks) lines.push(`${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.detail.split("\n")[0]}`);
  console.log(lines.join("\n"));
}
