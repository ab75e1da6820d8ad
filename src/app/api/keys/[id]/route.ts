import { revokeApiKey } from "@/auth/api-keys";
import { uuidParam } from "@/auth/schema";
import { withApiKey } from "@/http/wrappers";
import { NotFoundError } from "@/errors";

// DELETE /api/keys/<id> — revokes a key at once; revoking twice keeps the first revocation time.
export const DELETE = withApiKey({ role: "admin", action: "keys.revoke" }, async ({ db, params }) => {
  const id = uuidParam.safeParse(params.id);
  if (!id.success) throw new NotFoundError("No API key has this id.");
  const revoked = await revokeApiKey(db, id.data);
  if (!revoked) throw new NotFoundError("No API key has this id.");
  return Response.json(revoked);
});
