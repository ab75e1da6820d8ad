import { z } from "zod";
import { withPublic } from "@/http/wrappers";
import { getProjectStatus } from "@/projects/service";

const tokenQuery = z.object({ token: z.string().max(200).default("") });

// GET /api/projects/<id>?token= (public with the project's token) — the client's progress; 404 for a wrong token.
export const GET = withPublic(async ({ params, query, getDb }) => {
  const { token } = query(tokenQuery);
  const status = await getProjectStatus(await getDb(), params.id ?? "", token);
  return Response.json(status, { headers: { "Cache-Control": "no-store" } });
});
