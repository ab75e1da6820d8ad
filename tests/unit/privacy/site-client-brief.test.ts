/**
 * What of a site order reaches the agents (and so the published site): the brief, and the address
 * the client chose to publish, never the private contact email (src/projects/schema.ts briefOf).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { briefOf, orderFormSchema } from "@/projects/schema";

const base = {
  businessName: "Café Test",
  industry: "restaurant",
  audience: "neighbours",
  tone: "friendly",
  pages: ["home", "contact"],
  language: "en",
};
const address = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9.]{0,15}[a-z0-9]$/),
    fc.stringMatching(/^[a-z][a-z0-9-]{1,12}\.(com|example|fr)$/),
  )
  .map(([l, d]) => `${l}@${d}`)
  .filter((e) => !e.includes(".."));

describe("briefOf", () => {
  it("never hands the private contact email to the agents; the public one when given", () => {
    fc.assert(
      fc.property(address, fc.option(address, { nil: undefined }), (contactEmail, publicEmail) => {
        fc.pre(contactEmail !== publicEmail);
        const form = orderFormSchema.parse({ ...base, contactEmail, ...(publicEmail ? { publicEmail } : {}) });
        const brief = briefOf(form);
        expect(JSON.stringify(brief)).not.toContain(contactEmail);
        expect(brief.contactEmail).toBe(publicEmail);
      }),
    );
  });

  it("treats an empty public email as none, and refuses one that is not an address", () => {
    expect(
      orderFormSchema.parse({ ...base, contactEmail: "a@example.com", publicEmail: "" }).publicEmail,
    ).toBeUndefined();
    const bad = orderFormSchema.safeParse({ ...base, contactEmail: "a@example.com", publicEmail: "not an address" });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join("."))).toContain("publicEmail");
  });
});
