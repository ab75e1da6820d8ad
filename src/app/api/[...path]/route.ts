import { withPublic } from "@/http/wrappers";
import { NotFoundError } from "@/errors";

// Any /api/* path no route matches: a JSON 404 instead of Next's HTML page.
const notFound = withPublic(async ({ url }) => {
  throw new NotFoundError(`No API route matches ${url.pathname}.`);
});

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
export const HEAD = notFound;
