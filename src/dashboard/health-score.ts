/**
 * The global health score shown at the top of the dashboard: one number, 0–100, that answers
 * "is the platform doing its job right now?". Pure, so it is tested on its own.
 *
 * Formula: a weighted mean of three parts, each 0..1:
 * - agents (weight 0.5): the mean of each agent's score. healthy = 1, degraded = 0.5, down = 0;
 *   an open circuit caps the agent at 0 (its calls are being refused), a half-open one at 0.5.
 * - errors (weight 0.3): 1 − errorRate / 0.2, clamped to 0..1: no failures = 1, a fifth or more
 *   of the work failing = 0 (twice the default alert threshold of 10%). The rate is the steps'
 *   when there are steps in the window, else the agent calls'.
 * - queue (weight 0.2): from the age of the oldest ready step: 1 up to 30 s (normal pick-up),
 *   falling linearly to 0 at 5 minutes (the queue-backlog alert's threshold).
 * A part whose input is not known (undefined: not loaded, or its API failed) is left out and the
 * weights of the others are rescaled; with no part known the score is null ("unknown", never a
 * reassuring 100). A null rate or age means "no data in the window" and scores as healthy:
 * an idle platform is a healthy one.
 */
import type { AgentHealth } from "./schemas";

export const HEALTH_WEIGHTS = { agents: 0.5, errors: 0.3, queue: 0.2 } as const;
/** The error rate that scores 0. */
export const ERROR_RATE_AT_ZERO = 0.2;
/** Oldest ready step: full marks up to this age... */
export const QUEUE_AGE_OK_MS = 30_000;
/** ...and none from this age on. */
export const QUEUE_AGE_AT_ZERO_MS = 5 * 60_000;

export interface HealthInputs {
  agents?: readonly Pick<AgentHealth, "status" | "circuit">[];
  /** Failed over all in the recent window (0..1), null without data. */
  errorRate?: number | null;
  oldestReadyAgeMs?: number | null;
}

export type HealthPart = keyof typeof HEALTH_WEIGHTS;

export interface HealthScore {
  /** 0–100, or null when nothing is known. */
  score: number | null;
  grade: "good" | "fair" | "poor" | "unknown";
  /** Each part's 0..1 value (null: left out). */
  parts: Record<HealthPart, number | null>;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

export function agentScore(agent: Pick<AgentHealth, "status" | "circuit">): number {
  const base = agent.status === "healthy" ? 1 : agent.status === "degraded" ? 0.5 : 0;
  if (agent.circuit === "open") return 0;
  if (agent.circuit === "half_open") return Math.min(base, 0.5);
  return base;
}

function agentsPart(agents: HealthInputs["agents"]): number | null {
  if (agents === undefined) return null;
  if (agents.length === 0) return 1;
  return agents.reduce((sum, a) => sum + agentScore(a), 0) / agents.length;
}

function errorsPart(rate: HealthInputs["errorRate"]): number | null {
  if (rate === undefined) return null;
  if (rate === null || !Number.isFinite(rate)) return 1;
  return clamp01(1 - rate / ERROR_RATE_AT_ZERO);
}

function queuePart(ageMs: HealthInputs["oldestReadyAgeMs"]): number | null {
  if (ageMs === undefined) return null;
  if (ageMs === null || ageMs <= QUEUE_AGE_OK_MS) return 1;
  return clamp01(1 - (ageMs - QUEUE_AGE_OK_MS) / (QUEUE_AGE_AT_ZERO_MS - QUEUE_AGE_OK_MS));
}

export function gradeOf(score: number | null): HealthScore["grade"] {
  if (score === null) return "unknown";
  return score >= 90 ? "good" : score >= 70 ? "fair" : "poor";
}

export function healthScore(inputs: HealthInputs): HealthScore {
  const parts: Record<HealthPart, number | null> = {
    agents: agentsPart(inputs.agents),
    errors: errorsPart(inputs.errorRate),
    queue: queuePart(inputs.oldestReadyAgeMs),
  };
  let weighted = 0;
  let weights = 0;
  for (const key of Object.keys(HEALTH_WEIGHTS) as HealthPart[]) {
    const value = parts[key];
    if (value === null) continue;
    weighted += value * HEALTH_WEIGHTS[key];
    weights += HEALTH_WEIGHTS[key];
  }
  const score = weights === 0 ? null : Math.round((100 * weighted) / weights);
  return { score, grade: gradeOf(score), parts };
}

/** The error rate the score uses: the steps' when known, else the agent calls'. */
export function scoredErrorRate(
  errorRate: { steps: number | null; agentCalls: number | null } | undefined,
): number | null | undefined {
  if (errorRate === undefined) return undefined;
  return errorRate.steps ?? errorRate.agentCalls;
}
