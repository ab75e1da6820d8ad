import { enforceAddressLimit } from "@/db/rate-limit";
import { clientAddress } from "@/http/client-address";
import { withPublic } from "@/http/wrappers";
import { ORDER_LIMIT, orderFormSchema } from "@/projects/schema";
import { createProject } from "@/projects/service";

// POST /api/projects (public, rate-limited per address) — the order form as JSON → 201
// {id, token, statusPath, nextUrl, testMode}: nextUrl is Stripe Checkout, or the progress page in test mode.
export const POST = withPublic(async ({ req, json, getDb, url }) => {
  const db = await getDb();
  await enforceAddressLimit(db, ORDER_LIMIT, clientAddress(req));
  const form = await json(orderFormSchema);
  const project = await createProject(db, form, { origin: url.origin });
  return Response.json(project, { status: 201 });
});
