import { z } from "zod";
import { recordAudit } from "@/auth/audit";
import {
  readSessionToken,
  resolveSession,
  revokeSession,
  sessionSetCookie,
  sessionView,
  startSession,
} from "@/auth/session";
import { clientAddress } from "@/http/client-address";
import { withPublic } from "@/http/wrappers";
import { UnauthorizedError } from "@/errors";

const loginInput = z.strictObject({ apiKey: z.string().trim().min(1, "must not be empty").max(512) });
const NO_STORE = { "Cache-Control": "no-store" };

// POST /api/session {apiKey} (public, rate-limited per address) — signs in: 200 {role, actor} and the session cookie; 401 for a bad key.
export const POST = withPublic(async ({ req, json, getDb }) => {
  const db = await getDb();
  const { apiKey } = await json(loginInput);
  const session = await startSession(db, apiKey, clientAddress(req));
  await recordAudit(db, {
    actor: session.principal.actor,
    keyId: session.principal.keyId,
    action: "session.login",
    outcome: 200,
  });
  return Response.json(
    { ...sessionView(session.principal), expiresAt: session.expiresAt.toISOString() },
    { headers: { ...NO_STORE, "Set-Cookie": sessionSetCookie(session.token) } },
  );
});

// GET /api/session — who the session cookie stands for: 200 {role, actor}, or 401.
export const GET = withPublic(async ({ req, getDb }) => {
  const token = readSessionToken(req);
  const principal = token ? await resolveSession(await getDb(), token) : null;
  if (!principal) throw new UnauthorizedError("There is no valid dashboard session.");
  return Response.json(sessionView(principal), { headers: NO_STORE });
});

// DELETE /api/session — signs out: revokes the session token server-side (a copy of it stops
// working too) and clears the cookie (200 even without a session).
export const DELETE = withPublic(async ({ req, getDb }) => {
  const token = readSessionToken(req);
  if (token) {
    const db = await getDb();
    const principal = await resolveSession(db, token);
    if (await revokeSession(db, token)) {
      if (principal)
        await recordAudit(db, {
          actor: principal.actor,
          keyId: principal.keyId,
          action: "session.logout",
          outcome: 200,
        });
    }
  }
  return Response.json({ signedOut: true }, { headers: { ...NO_STORE, "Set-Cookie": sessionSetCookie(null) } });
});
