"use client";
import type { ActionMessage as Message } from "@/dashboard/use-action";

/** The outcome of an action, announced to screen readers (an error as an alert). */
export function ActionMessage({ message }: { message: Message | null }) {
  if (!message) return null;
  return (
    <p
      className={message.kind === "ok" ? "dash-msg dash-msg-ok" : "dash-msg dash-msg-error"}
      role={message.kind === "ok" ? "status" : "alert"}
    >
      {message.text}
    </p>
  );
}
