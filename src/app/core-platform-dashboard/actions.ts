"use server";
/**
 * The dashboard's sign-in and sign-out as server actions, so both work as plain form posts
 * without JavaScript. They share the API's session code (src/auth/session.ts): the same rate
 * limit per address, the same key check, the same cookie. Next checks a server action's Origin
 * against the host, so a cross-site page cannot post to them either.
 */
import { cookies, headers } from "next/headers";
import { redirect } from "next/navigation";
import { recordAudit } from "@/auth/audit";
import { resolveSession, revokeSession, sessionCookieName, sessionCookieOptions, startSession } from "@/auth/session";
import { getDb } from "@/db/client";
import { RateLimitedError, UnauthorizedError } from "@/errors";
import { clientAddress } from "@/http/client-address";
import { log } from "@/observability/log";
import { DASHBOARD_PATH, type SignInState } from "./sign-in-state";

export async function signIn(_previous: SignInState, formData: FormData): Promise<SignInState> {
  const raw = formData.get("apiKey");
  const apiKey = typeof raw === "string" ? raw.trim() : "";
  if (!apiKey) return { error: "Enter an API key." };
  if (apiKey.length > 512) return { error: "This API key is unknown or revoked." };
  let session: Awaited<ReturnType<typeof startSession>>;
  try {
    const db = await getDb();
    const address = clientAddress(await headers());
    session = await startSession(db, apiKey, address);
    await recordAudit(db, {
      actor: session.principal.actor,
      keyId: session.principal.keyId,
      action: "session.login",
      outcome: 200,
    });
  } catch (error) {
    if (error instanceof UnauthorizedError) return { error: "This API key is unknown or revoked." };
    if (error instanceof RateLimitedError)
      return { error: `Too many sign-in attempts from your connection. ${error.message}` };
    log.error("dashboard: sign-in failed", { error: error instanceof Error ? error.message : String(error) });
    return { error: "Signing in is not possible just now (the database may be unreachable). Try again in a moment." };
  }
  (await cookies()).set(sessionCookieName(), session.token, sessionCookieOptions());
  // Outside the try: redirect() works by throwing.
  redirect(DASHBOARD_PATH);
}

export async function signOut(): Promise<void> {
  const jar = await cookies();
  const token = jar.get(sessionCookieName())?.value;
  if (token) {
    try {
      const db = await getDb();
      const principal = await resolveSession(db, token);
      // Revoked server-side: a copy of the cookie stops working too (src/auth/session.ts).
      await revokeSession(db, token);
      if (principal)
        await recordAudit(db, {
          actor: principal.actor,
          keyId: principal.keyId,
          action: "session.logout",
          outcome: 200,
        });
    } catch (error) {
      // Signing out must work even when the database does not: the cookie goes regardless.
      log.error("dashboard: sign-out could not revoke the session", {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  jar.set(sessionCookieName(), "", sessionCookieOptions(0));
  redirect(DASHBOARD_PATH);
}
