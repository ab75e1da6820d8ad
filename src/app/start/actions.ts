"use server";
/**
 * The /start form's server action: the same schema, rate limit and service as
 * `POST /api/projects`. It works as a plain form post (no JavaScript) and through
 * useActionState; invalid input comes back as the typed values with one message per field,
 * a valid order redirects to Stripe Checkout (or to the progress page in test mode).
 */
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ZodError } from "zod";
import { getDb } from "@/db/client";
import { publicBaseUrl } from "@/env";
import { RateLimitedError } from "@/errors";
import { enforceAddressLimit } from "@/db/rate-limit";
import { clientAddress } from "@/http/client-address";
import { log } from "@/observability/log";
import { ORDER_LIMIT, orderFormSchema } from "@/projects/schema";
import { createProject } from "@/projects/service";
import { FIELD_NAMES, type FieldName, type OrderFormState, type OrderFormValues } from "./form-state";

const textOf = (formData: FormData, name: string): string => {
  const value = formData.get(name);
  return typeof value === "string" ? value : "";
};

function readValues(formData: FormData): OrderFormValues {
  return {
    businessName: textOf(formData, "businessName"),
    industry: textOf(formData, "industry"),
    audience: textOf(formData, "audience"),
    tone: textOf(formData, "tone"),
    pages: formData.getAll("pages").filter((p): p is string => typeof p === "string"),
    contactEmail: textOf(formData, "contactEmail"),
    publicEmail: textOf(formData, "publicEmail"),
    language: textOf(formData, "language"),
    brandColor: textOf(formData, "brandColor"),
    tagline: textOf(formData, "tagline"),
  };
}

function fieldErrors(error: ZodError): OrderFormState["errors"] {
  const errors: OrderFormState["errors"] = {};
  for (const issue of error.issues) {
    const field = issue.path[0];
    if (typeof field === "string" && (FIELD_NAMES as readonly string[]).includes(field))
      errors[field as FieldName] ??= issue.message;
  }
  return errors;
}

/** The origin the client used (for Stripe's return URLs), or the configured public URL. */
function requestOrigin(requestHeaders: Headers): string | undefined {
  const host = requestHeaders.get("host")?.trim() ?? "";
  const proto = requestHeaders.get("x-forwarded-proto")?.split(",")[0]?.trim() ?? "";
  // Only a plain host[:port] goes into a URL handed to Stripe; anything else falls back.
  if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:]+\])(?::\d{1,5})?$/i.test(host)) return publicBaseUrl();
  const scheme =
    proto === "http" || proto === "https"
      ? proto
      : /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/i.test(host)
        ? "http"
        : "https";
  return `${scheme}://${host}`;
}

export async function submitOrder(previous: OrderFormState, formData: FormData): Promise<OrderFormState> {
  const values = readValues(formData);
  const attempt = (previous?.attempt ?? 0) + 1;
  const parsed = orderFormSchema.safeParse({ ...values, tagline: values.tagline || undefined });
  if (!parsed.success) return { values, errors: fieldErrors(parsed.error), formError: null, attempt };

  let nextUrl: string;
  try {
    const db = await getDb();
    const requestHeaders = await headers();
    await enforceAddressLimit(db, ORDER_LIMIT, clientAddress(requestHeaders));
    ({ nextUrl } = await createProject(db, parsed.data, { origin: requestOrigin(requestHeaders) }));
  } catch (error) {
    if (error instanceof RateLimitedError) {
      return {
        values,
        errors: {},
        formError: `We have received several orders from your connection in a short time. ${error.message}`,
        attempt,
      };
    }
    log.error("start: the order could not be created", {
      error: error instanceof Error ? error.message : String(error),
    });
    return {
      values,
      errors: {},
      formError: "We could not take your order just now; nothing was charged. Please try again in a moment.",
      attempt,
    };
  }
  // Outside the try: redirect() works by throwing.
  redirect(nextUrl);
}
