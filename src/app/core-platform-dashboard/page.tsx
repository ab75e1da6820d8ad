import type { Metadata } from "next";
import { cookies } from "next/headers";
import { resolveSession, sessionCookieName } from "@/auth/session";
import type { Principal } from "@/auth/roles";
import { getDb } from "@/db/client";
import { log } from "@/observability/log";
import { signOut } from "./actions";
import { Dashboard } from "./dashboard";
import { LoginForm } from "./login-form";
import "./dashboard.css";

export const metadata: Metadata = {
  title: "Core platform dashboard",
  robots: { index: false, follow: false },
};

type SessionCheck = { principal: Principal | null; unavailable: boolean };

/** The session behind the cookie, if any; a database outage is told apart from "signed out". */
async function currentSession(): Promise<SessionCheck> {
  const token = (await cookies()).get(sessionCookieName())?.value;
  if (!token) return { principal: null, unavailable: false };
  try {
    return { principal: await resolveSession(await getDb(), token), unavailable: false };
  } catch (error) {
    log.error("dashboard: the session could not be checked", {
      error: error instanceof Error ? error.message : String(error),
    });
    return { principal: null, unavailable: true };
  }
}

// /core-platform-dashboard — the operators' page. Without a valid session it renders the sign-in
// form only: no data is rendered here, and the APIs the dashboard reads answer 401 without it.
export default async function CoreDashboardPage() {
  const { principal, unavailable } = await currentSession();
  if (!principal) {
    return (
      <main className="dash dash-signin">
        <header className="dash-signin-head">
          <p className="dash-eyebrow">Agent Orchestrator</p>
          <h1>Core platform dashboard</h1>
          <p className="dash-lead">Sign in with an API key to see agents, runs, metrics and alerts.</p>
        </header>
        {unavailable ? (
          <p className="dash-banner dash-banner-error" role="alert">
            The database is unreachable, so your session could not be checked. Try again in a moment.
          </p>
        ) : null}
        <LoginForm />
      </main>
    );
  }
  const canAct = principal.role === "operator" || principal.role === "admin";
  return (
    <main className="dash">
      <header className="dash-head">
        <div>
          <p className="dash-eyebrow">Agent Orchestrator</p>
          <h1>Core platform</h1>
        </div>
        <div className="dash-who">
          <span>
            Signed in as <code>{principal.actor}</code>{" "}
            <span className={`dash-role dash-role-${principal.role}`}>{principal.role}</span>
          </span>
          <form action={signOut}>
            <button type="submit" className="dash-button">
              Sign out
            </button>
          </form>
        </div>
      </header>
      <Dashboard canAct={canAct} />
    </main>
  );
}
