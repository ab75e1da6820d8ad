/**
 * Work that runs detached, awaited by no one (work after a response when there is no request to
 * attach it to: tests calling route handlers, scripts). Its promises are tracked so a caller can
 * wait for them to end, and its failures go to a listener besides the log: the test setup
 * installs one (tests/helpers/setup.ts), so the test whose background work failed fails instead
 * of passing with an error line in its output. Nothing installs a listener in production.
 */
type FailureListener = (what: string, error: unknown) => void;

const inFlight = new Set<Promise<unknown>>();
let listener: FailureListener | undefined;

/** Runs `work` detached; `onError` handles its failure (logs it), then the listener hears of it. */
export function runDetached(what: string, work: () => Promise<unknown>, onError: (error: unknown) => void): void {
  const running = work().then(
    () => undefined,
    (error: unknown) => {
      onError(error);
      listener?.(what, error);
    },
  );
  inFlight.add(running);
  void running.finally(() => inFlight.delete(running));
}

/** Sets the listener; returns the one it replaces (a test of the hook puts it back). */
export function onDetachedFailure(next: FailureListener | undefined): FailureListener | undefined {
  const previous = listener;
  listener = next;
  return previous;
}

/** Resolves when the detached work running now has ended, or after `timeoutMs`, whichever is first. */
export async function detachedWorkSettled(timeoutMs: number): Promise<void> {
  if (inFlight.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled([...inFlight]),
    new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
}
