/**
 * The client address the rate limits key on (src/http/client-address.ts): the trusted hop's,
 * never the client's own claim; IPv6 per /64; junk is one `unknown` bucket.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { clientAddress, normaliseAddress } from "@/http/client-address";

const req = (headers: Record<string, string>) => new Request("http://app.test/api/session", { headers });
const env = (vars: Record<string, string>) => vars as NodeJS.ProcessEnv;

describe("on Vercel", () => {
  const vercel = env({ VERCEL: "1" });

  it("reads the edge's x-vercel-forwarded-for first, then x-real-ip, then x-forwarded-for", () => {
    expect(
      clientAddress(
        req({ "x-vercel-forwarded-for": "203.0.113.7", "x-real-ip": "198.51.100.1", "x-forwarded-for": "192.0.2.1" }),
        vercel,
      ),
    ).toBe("203.0.113.7");
    expect(clientAddress(req({ "x-real-ip": "198.51.100.1", "x-forwarded-for": "192.0.2.1" }), vercel)).toBe(
      "198.51.100.1",
    );
    expect(clientAddress(req({ "x-forwarded-for": "192.0.2.1" }), vercel)).toBe("192.0.2.1");
  });

  it("ignores TRUSTED_PROXY_COUNT (Vercel's edge rewrites the headers)", () => {
    expect(
      clientAddress(req({ "x-vercel-forwarded-for": "203.0.113.7" }), env({ VERCEL: "1", TRUSTED_PROXY_COUNT: "3" })),
    ).toBe("203.0.113.7");
  });
});

describe("self-hosted", () => {
  it("without trusted proxies, takes the entry next start wrote (the last), not the client's first entry", () => {
    expect(clientAddress(req({ "x-forwarded-for": "198.51.100.99, 203.0.113.7" }), env({}))).toBe("203.0.113.7");
    expect(clientAddress(req({ "x-forwarded-for": "203.0.113.7" }), env({}))).toBe("203.0.113.7");
  });

  it("with TRUSTED_PROXY_COUNT=n, takes the n-th entry from the right: whatever the client prepends is ignored", () => {
    const one = env({ TRUSTED_PROXY_COUNT: "1" });
    const two = env({ TRUSTED_PROXY_COUNT: "2" });
    expect(clientAddress(req({ "x-forwarded-for": "1.1.1.1, 2.2.2.2, 203.0.113.7" }), one)).toBe("203.0.113.7");
    expect(clientAddress(req({ "x-forwarded-for": "1.1.1.1, 203.0.113.7, 10.0.0.2" }), two)).toBe("203.0.113.7");
    // Fewer entries than proxies: the leftmost, still a hop's.
    expect(clientAddress(req({ "x-forwarded-for": "203.0.113.7" }), two)).toBe("203.0.113.7");
  });

  it("does not trust x-real-ip outside Vercel", () => {
    expect(clientAddress(req({ "x-real-ip": "198.51.100.1" }), env({}))).toBe("unknown");
    expect(clientAddress(req({ "x-real-ip": "198.51.100.1", "x-forwarded-for": "203.0.113.7" }), env({}))).toBe(
      "203.0.113.7",
    );
  });

  it("a prepended entry never changes the key (property)", () => {
    const ip = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
    fc.assert(
      fc.property(fc.array(fc.oneof(ip, fc.string({ maxLength: 20 })), { maxLength: 5 }), ip, (claims, real) => {
        const header = [...claims.map((c) => c.replaceAll(",", "")), real].join(", ");
        expect(clientAddress(req({ "x-forwarded-for": header }), env({}))).toBe(normaliseAddress(real));
      }),
    );
  });
});

describe("normaliseAddress", () => {
  it("keeps IPv4, strips ports and brackets, maps IPv4-mapped IPv6 to IPv4", () => {
    expect(normaliseAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(normaliseAddress("203.0.113.7:5123")).toBe("203.0.113.7");
    expect(normaliseAddress("::ffff:203.0.113.7")).toBe("203.0.113.7");
    expect(normaliseAddress("[::ffff:cb00:7107]:443")).toBe("203.0.113.7");
  });

  it("buckets IPv6 by /64", () => {
    expect(normaliseAddress("2001:db8:1:2:aaaa::1")).toBe("2001:db8:1:2::/64");
    expect(normaliseAddress("2001:DB8:1:2:bbbb:cccc:dddd:eeee")).toBe("2001:db8:1:2::/64");
    expect(normaliseAddress("[2001:db8:1:2::9]:8443")).toBe("2001:db8:1:2::/64");
    expect(normaliseAddress("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(normaliseAddress("::1")).toBe("0:0:0:0::/64");
    expect(normaliseAddress("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
  });

  it("answers unknown for anything that is not an address (no bucket per junk value)", () => {
    for (const junk of ["", "unknown", "evil.example", "1.2.3", "999.1.1.1", "2001:db8::g", "<script>", "1.2.3.4.5"])
      expect(normaliseAddress(junk)).toBe("unknown");
  });

  it("two IPv6 addresses share a key exactly when their first 64 bits are equal (property)", () => {
    const hextet = fc.nat(0xffff);
    const addr = fc.array(hextet, { minLength: 8, maxLength: 8 });
    const text = (h: number[]) => h.map((x) => x.toString(16)).join(":");
    fc.assert(
      fc.property(addr, addr, (a, b) => {
        fc.pre(
          !(a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0) &&
            !(b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0 && b[4] === 0),
        );
        const samePrefix = a.slice(0, 4).join() === b.slice(0, 4).join();
        expect(normaliseAddress(text(a)) === normaliseAddress(text(b))).toBe(samePrefix);
        expect(normaliseAddress(text([...a.slice(0, 4), ...b.slice(4)]))).toBe(normaliseAddress(text(a)));
      }),
      { numRuns: 300 },
    );
  });
});
