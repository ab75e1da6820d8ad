"use client";
/**
 * An operator's action from the dashboard (cancel, retry, acknowledge): one at a time per panel,
 * its outcome kept as a message. A refusal shows the API's own words, e.g. a 409 "The run is
 * already succeeded." after someone else acted first; then the panel's data is refreshed either
 * way, so the page shows the state that made the API refuse.
 */
import { useCallback, useState } from "react";
import type { z } from "zod";
import { DashboardFetchError, postAction } from "./fetcher";

export interface ActionMessage {
  kind: "ok" | "error";
  text: string;
}

export function useAction() {
  const [pending, setPending] = useState<string | null>(null);
  const [message, setMessage] = useState<ActionMessage | null>(null);

  const run = useCallback(
    async <S extends z.ZodType>(
      key: string,
      url: string,
      schema: S,
      done: string,
      refresh: () => Promise<unknown>,
    ): Promise<z.output<S> | null> => {
      setPending(key);
      setMessage(null);
      try {
        const result = await postAction(url, schema);
        setMessage({ kind: "ok", text: done });
        return result;
      } catch (error) {
        const text =
          error instanceof DashboardFetchError
            ? error.status === 409
              ? `Not done: ${error.message}`
              : error.status === 403
                ? `Not allowed: ${error.message}`
                : error.message
            : "The action failed.";
        setMessage({ kind: "error", text });
        return null;
      } finally {
        setPending(null);
        await refresh().catch(() => undefined);
      }
    },
    [],
  );

  return { pending, message, run, clear: () => setMessage(null) };
}
