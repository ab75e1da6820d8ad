/**
 * `wait_for_event`: runs that sleep, then wait for an event matching their key, published through
 * `POST /api/events` a few seconds after the run started; the first run's event is published
 * at once, before the run can have reached its wait step, and must still be matched (a wait
 * matches events published since its run started). Each run must take exactly its own event.
 */
import { RehearsalFailure, sleep } from "../util";
import { awaitRuns, mapLimit, type WorkloadContext, type WorkloadResult } from "./context";

export const WAIT_WORKFLOW = "rehearsal_wait";
export const WAIT_TOPIC = "rehearsal.signal";
const SLEEP_BEFORE_WAIT = "3s";
const PUBLISH_AFTER_MS = 5_000;
/** Long enough for any tick to come by under load; a missed event fails the run with WaitTimeout after it. */
const WAIT_TIMEOUT = "90s";

export async function waitForEvent(ctx: WorkloadContext): Promise<WorkloadResult> {
  const n = ctx.options.waits;
  const yaml = `name: ${WAIT_WORKFLOW}
description: The rehearsal's waits for an event.
steps:
  - name: before
    sleep: ${SLEEP_BEFORE_WAIT}
  - name: wait
    depends_on: before
    wait_for_event: { topic: ${WAIT_TOPIC}, match: "{{ event.data.key == input.key }}", timeout: ${WAIT_TIMEOUT} }
  - name: after
    depends_on: wait
    emit: { topic: rehearsal.wait.done, data: { key: "{{ input.key }}", event: "{{ steps.wait.output.id }}" } }
    timeout: 5s
`;
  await ctx.client.expect(`/api/workflows/${WAIT_WORKFLOW}`, [200, 201], {
    method: "PUT",
    body: yaml,
    headers: { "content-type": "application/yaml" },
  });
  const started = performance.now();
  const published: {
    key: string;
    runId: string;
    eventId: number;
    waitingWhenPublished: boolean;
    publishedAt: string;
  }[] = [];
  await mapLimit(
    Array.from({ length: n }, (_, i) => i),
    25,
    async (i) => {
      const key = `k${i}-${process.pid}`;
      const res = await ctx.client.expect(`/api/workflows/${WAIT_WORKFLOW}`, [200, 202], {
        body: { input: { key }, idempotencyKey: `rehearsal-wait-${key}` },
      });
      const runId = (res.json as { id: string }).id;
      // Run 0: the event before the run reaches its wait (it sleeps first); the others a few seconds later.
      if (i > 0) await sleep(PUBLISH_AFTER_MS);
      const [wait] = await ctx.db.query<{ status: string }>(
        `select status from steps where run_id = $1 and name = 'wait'`,
        [runId],
      );
      const event = await ctx.client.expect("/api/events", [202], {
        body: { topic: WAIT_TOPIC, data: { key }, dedupeKey: `rehearsal-wait-${key}` },
      });
      published.push({
        key,
        runId,
        eventId: Number((event.json as { id: number | string }).id),
        waitingWhenPublished: wait?.status === "waiting",
        publishedAt: new Date().toISOString(),
      });
    },
  );
  try {
    await awaitRuns(
      ctx,
      "wait_for_event",
      published.map((p) => p.runId),
    );
  } catch (error) {
    // Which events the failed runs were sent, and when, next to their wait step's state.
    const states = await ctx.db.query<{ run_id: string; status: string; wait_since: Date | null; took: string | null }>(
      `select run_id, status, wait_since, output->>'id' as took from steps where name = 'wait' and run_id = any($1::uuid[])`,
      [published.map((p) => p.runId)],
    );
    const lines = published.map((p) => {
      const st = states.find((x) => x.run_id === p.runId);
      return `  run ${p.runId}: event ${p.eventId} published ${p.publishedAt} (wait step ${p.waitingWhenPublished ? "already waiting" : "not yet waiting"}); wait now ${st?.status}, took ${st?.took ?? "nothing"}`;
    });
    throw new RehearsalFailure(
      `${error instanceof Error ? error.message : String(error)}\nevents published:\n${lines.join("\n")}`,
    );
  }
  const ms = Math.round(performance.now() - started);
  for (const p of published) {
    const [step] = await ctx.db.query<{ id: string | null }>(
      `select output->>'id' as id from steps where run_id = $1 and name = 'wait'`,
      [p.runId],
    );
    if (Number(step?.id) !== p.eventId)
      throw new RehearsalFailure(
        `wait_for_event: run ${p.runId} took event ${step?.id}, expected its own ${p.eventId}`,
      );
  }
  return {
    name: "wait_for_event",
    ms,
    runs: n,
    details: {
      runs: n,
      publishedBeforeTheWait: published.filter((p) => !p.waitingWhenPublished).length,
      publishedWhileWaiting: published.filter((p) => p.waitingWhenPublished).length,
    },
  };
}
