/**
 * The /start order form as the server renders it (what a browser shows before any script):
 * the usual four pages are ticked, so a client who fills only the required fields orders the
 * usual site, not a one-page one.
 */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { expect, it } from "vitest";
import { orderFormSchema } from "@/projects/schema";
import { OrderForm } from "@/app/start/order-form";

/** The value of every ticked `pages` checkbox, in document order. */
function tickedPages(html: string): string[] {
  return [...html.matchAll(/<input\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => /\bname="pages"/.test(tag) && /\bchecked=""/.test(tag))
    .map((tag) => /\bvalue="([^"]*)"/.exec(tag)?.[1] ?? "");
}

it("ticks home, about, services and contact when the form opens, and those pages make a valid order", () => {
  const html = renderToStaticMarkup(createElement(OrderForm, { submitLabel: "Create my website" }));
  const ticked = tickedPages(html);
  expect(ticked).toEqual(["home", "about", "services", "contact"]);
  // What a browser posts when the client only fills the required fields.
  const order = orderFormSchema.parse({
    businessName: "Harbour Lights Bakery",
    industry: "bakery",
    audience: "families",
    tone: "friendly",
    pages: ticked,
    contactEmail: "owner@harbour-lights.example",
    language: "en",
  });
  expect(order.pages).toEqual(["home", "about", "services", "contact"]);
});
