/**
 * Work after a response, outside a request (a test calling a handler): it runs detached, and a
 * failure is logged and reported to the test setup's listener, which fails the test that caused
 * it (tests/helpers/setup.ts) instead of leaving an error line behind a green run.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { afterResponse } from "@/http/after-response";
import { detachedWorkSettled, onDetachedFailure } from "@/util/detached";

const logLevel = process.env.LOG_LEVEL;
beforeAll(() => {
  process.env.LOG_LEVEL = "silent"; // the failures below are on purpose
});
afterAll(() => {
  process.env.LOG_LEVEL = logLevel;
});

const failLater = (message: string) => async () => {
  await new Promise((resolve) => setTimeout(resolve, 50));
  throw new Error(message);
};

it("runs the work detached, waits for it on request, and reports its failure to the listener", async () => {
  const heard: string[] = [];
  const previous = onDetachedFailure((what, error) => heard.push(`${what}: ${(error as Error).message}`));
  try {
    let done = false;
    afterResponse(async () => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      done = true;
    });
    afterResponse(failLater("PGlite is closed"));
    expect([done, heard]).toEqual([false, []]); // nothing awaited it
    await detachedWorkSettled(5_000);
    expect([done, heard]).toEqual([true, ["after-response work: PGlite is closed"]]);
  } finally {
    onDetachedFailure(previous);
  }
});

it("gives up waiting after the timeout, leaving the work running", async () => {
  let done = false;
  afterResponse(async () => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    done = true;
  });
  const started = Date.now();
  await detachedWorkSettled(50);
  expect(Date.now() - started).toBeLessThan(250);
  expect(done).toBe(false);
  await detachedWorkSettled(5_000);
  expect(done).toBe(true);
});

// The setup's afterEach finds the failure this test left behind and fails it: `fails` turns that
// failure, and only that one, into a pass.
it.fails("fails a test whose background work failed, though its own body passed", () => {
  afterResponse(failLater("background work failed on purpose"));
});
