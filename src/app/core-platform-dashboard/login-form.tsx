"use client";
/**
 * The sign-in form. Rendered on the server too, so it posts to its server action without
 * JavaScript; with it, useActionState submits in place and shows the error without a reload.
 */
import { useActionState } from "react";
import { signIn } from "./actions";
import { INITIAL_SIGN_IN } from "./sign-in-state";

export function LoginForm() {
  const [state, action, pending] = useActionState(signIn, INITIAL_SIGN_IN);
  return (
    <form action={action} className="dash-login" noValidate>
      <div className={state.error ? "dash-field dash-field-invalid" : "dash-field"}>
        <label htmlFor="apiKey">API key</label>
        <p className="dash-hint" id="apiKey-hint">
          A key with the viewer role shows everything; operator and admin keys can also cancel and retry runs and
          acknowledge alerts.
        </p>
        {state.error ? (
          <p className="dash-field-error" id="apiKey-error" role="alert">
            {state.error}
          </p>
        ) : null}
        <input
          id="apiKey"
          name="apiKey"
          type="password"
          autoComplete="off"
          spellCheck={false}
          required
          aria-invalid={state.error ? true : undefined}
          aria-describedby={state.error ? "apiKey-hint apiKey-error" : "apiKey-hint"}
        />
      </div>
      <button type="submit" className="dash-button dash-button-primary" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
