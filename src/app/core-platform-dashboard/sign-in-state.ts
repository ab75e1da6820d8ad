/** What the sign-in form and its server action share (a "use server" file may export only actions). */
export const DASHBOARD_PATH = "/core-platform-dashboard";

export interface SignInState {
  /** The message shown under the field after a refused attempt. */
  error: string | null;
}

export const INITIAL_SIGN_IN: SignInState = { error: null };
