"use client";
import type { ReactNode } from "react";

/**
 * The button of one operator action (acknowledge, reprocess, cancel, retry): disabled while any
 * action of its panel runs (useAction allows one at a time), and saying so while its own runs.
 */
export function ActionButton({
  pending,
  actionKey,
  busy,
  onClick,
  className = "dash-button",
  label,
  children,
}: {
  /** useAction's `pending`: the key of the action running, or null. */
  pending: string | null;
  /** This button's action key, as given to useAction's `run`. */
  actionKey: string;
  /** The text while this action runs ("Acknowledging…"). */
  busy: string;
  onClick: () => unknown;
  className?: string;
  /** The accessible name, where the text alone does not say what the action is on. */
  label?: string;
  children: ReactNode;
}) {
  return (
    <button
      type="button"
      className={className}
      disabled={pending !== null}
      onClick={() => void onClick()}
      aria-label={label}
    >
      {pending === actionKey ? busy : children}
    </button>
  );
}
