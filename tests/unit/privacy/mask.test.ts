/** What viewers see of data that may hold email addresses (src/privacy/mask.ts). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maskEmail, maskPersonalData } from "@/privacy/mask";

const local = fc.stringMatching(/^[a-z][a-z0-9._+-]{1,20}$/);
const domain = fc.stringMatching(/^[a-z][a-z0-9-]{1,15}\.(com|example|fr|io)$/);
const address = fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`);

describe("maskPersonalData", () => {
  it("leaves no address whole anywhere in a JSON value, at any depth, in values or keys, and keeps its domain", () => {
    fc.assert(
      fc.property(address, fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 10 }), (email, around, prefix) => {
        const doc = {
          input: { to: email, note: `${prefix} write to ${email} please` },
          [email]: [around, email],
          around,
        };
        const masked = JSON.stringify(maskPersonalData(doc));
        expect(masked).not.toContain(email);
        expect(masked).toContain(`${email[0]}***@${email.split("@")[1]}`);
      }),
    );
  });

  it("changes nothing else: values without an address come back equal", () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }).filter((v) => !JSON.stringify(v).includes("@")),
        (value) => {
          expect(maskPersonalData(value)).toEqual(value);
        },
      ),
    );
  });
});

describe("maskEmail", () => {
  it("keeps the first character and the domain, and hides anything that is not an address", () => {
    expect(maskEmail("claire@boulangerie-lune.example")).toBe("c***@boulangerie-lune.example");
    expect(maskEmail("not an address")).toBe("***");
    expect(maskEmail("@example.com")).toBe("***");
    fc.assert(
      fc.property(address, (email) => {
        const [name, host] = email.split("@") as [string, string];
        expect(maskEmail(email)).toBe(`${name.slice(0, 1)}***@${host}`);
      }),
    );
  });
});
