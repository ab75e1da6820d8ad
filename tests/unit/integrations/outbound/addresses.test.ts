/**
 * The outbound policy's refused ranges: every address of every listed range is refused, in
 * every written form (IPv4-mapped, translated, NAT64, 6to4, Teredo, IPv4-compatible), and
 * ordinary public addresses are not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { addressRefusal, checkOutboundUrl, OutboundRefused } from "@/integrations/outbound";

const V4_RANGES = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const V6_RANGES = [
  "::/128",
  "::1/128",
  "::ffff:0:0/96",
  "::ffff:0:0:0/96",
  "64:ff9b::/96",
  "64:ff9b:1::/48",
  "100::/64",
  "fc00::/7",
  "fe80::/10",
  "fec0::/10",
  "ff00::/8",
  "2001::/32",
  "2001:db8::/32",
  "2002::/16",
  "3fff::/20",
];

function v4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}
function v4Value(text: string): number {
  return text.split(".").reduce((acc, p) => acc * 256 + Number(p), 0);
}
function v6(n: bigint): string {
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((n >> BigInt(i * 16)) & 0xffffn).toString(16));
  return groups.join(":");
}
function v6Value(text: string): bigint {
  const [head = "", tail = ""] = text.split("::");
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const all = [...left, ...new Array<string>(8 - left.length - right.length).fill("0"), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

/** An arbitrary address inside a CIDR range. */
function inRange(cidr: string): fc.Arbitrary<string> {
  const [base = "", bits = ""] = cidr.split("/");
  const prefix = Number(bits);
  if (base.includes(":")) {
    const hostBits = 128 - prefix;
    const network = (v6Value(base) >> BigInt(hostBits)) << BigInt(hostBits);
    return fc.bigInt({ min: 0n, max: (1n << BigInt(hostBits)) - 1n }).map((h) => v6(network | h));
  }
  const hostBits = 32 - prefix;
  const network = Math.floor(v4Value(base) / 2 ** hostBits) * 2 ** hostBits;
  return fc.integer({ min: 0, max: 2 ** hostBits - 1 }).map((h) => v4(network + h));
}

describe("addressRefusal", () => {
  it.each(V4_RANGES)("refuses every IPv4 address of %s", (cidr) => {
    fc.assert(fc.property(inRange(cidr), (address) => addressRefusal(address)?.cidr === cidr));
  });

  it.each(V6_RANGES)("refuses every IPv6 address of %s", (cidr) => {
    fc.assert(fc.property(inRange(cidr), (address) => addressRefusal(address) !== undefined));
  });

  it("refuses every IPv4-embedding IPv6 form, whatever IPv4 address it carries", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const a = v4(n);
        const hi = (n >>> 16).toString(16);
        const lo = (n & 0xffff).toString(16);
        const forms = [
          `::ffff:${a}`,
          `::ffff:0:${a}`,
          `64:ff9b::${a}`,
          `64:ff9b:1::${hi}:${lo}`,
          `2002:${hi}:${lo}::1`,
          `2001:0:4136:e378:8000:63bf:${hi}:${lo}`,
          `::${a}`,
        ];
        return forms.every((form) => addressRefusal(form) !== undefined);
      }),
    );
  });

  it("refuses the well-known metadata, broadcast and translated addresses by name of range", () => {
    expect(addressRefusal("100.100.100.200")?.cidr).toBe("100.64.0.0/10");
    expect(addressRefusal("169.254.169.254")?.cidr).toBe("169.254.0.0/16");
    expect(addressRefusal("255.255.255.255")?.cidr).toBe("240.0.0.0/4");
    expect(addressRefusal("198.19.255.1")?.cidr).toBe("198.18.0.0/15");
    expect(addressRefusal("::ffff:169.254.169.254")?.cidr).toBe("::ffff:0:0/96");
    expect(addressRefusal("64:ff9b::a9fe:a9fe")?.cidr).toBe("64:ff9b::/96");
    expect(addressRefusal("fe80::1%eth0")?.cidr).toBe("fe80::/10");
    expect(addressRefusal("fec0::1")?.cidr).toBe("fec0::/10");
  });

  it("lets ordinary public addresses through", () => {
    for (const address of [
      "8.8.8.8",
      "93.184.216.34",
      "1.1.1.1",
      "100.63.255.255",
      "100.128.0.0",
      "198.17.255.255",
      "198.20.0.0",
      "172.15.0.1",
      "172.32.0.1",
      "2606:4700:4700::1111",
      "2a00:1450:4001:81b::200e",
    ]) {
      expect(addressRefusal(address), address).toBeUndefined();
    }
  });
});

describe("checkOutboundUrl", () => {
  it("refuses literal hosts of refused ranges in any URL spelling, and localhost names", () => {
    for (const url of [
      "http://100.100.100.200/latest",
      "http://0x7f.1/",
      "http://2130706433/",
      "http://[::ffff:7f00:1]/",
      "http://[64:ff9b::a00:1]/",
      "http://localhost:3000/",
      "http://app.localhost/",
      "http://[2002:a00:1::]/",
    ]) {
      expect(() => checkOutboundUrl(url, {}), url).toThrow(OutboundRefused);
    }
    expect(() => checkOutboundUrl("http://100.100.100.200/", {})).toThrow(
      /outbound policy: host "100\.100\.100\.200" is in a refused range \(shared address space.*100\.64\.0\.0\/10\).*HTTP_STEP_ALLOWED_HOSTS/,
    );
  });

  it("refuses other schemes and non-URLs", () => {
    expect(() => checkOutboundUrl("file:///etc/passwd", {})).toThrow(/only http and https/);
    expect(() => checkOutboundUrl("gopher://example.com/", {})).toThrow(/only http and https/);
    expect(() => checkOutboundUrl("not a url", {})).toThrow(/not a valid URL/);
  });

  it("accepts a refused host listed in HTTP_STEP_ALLOWED_HOSTS (exact names and addresses only)", () => {
    const env = { HTTP_STEP_ALLOWED_HOSTS: "127.0.0.1, receiver.localhost" };
    expect(checkOutboundUrl("http://127.0.0.1:4000/hook", env).port).toBe("4000");
    expect(checkOutboundUrl("http://receiver.localhost/", env).hostname).toBe("receiver.localhost");
    expect(() => checkOutboundUrl("http://127.0.0.2/", env)).toThrow(OutboundRefused);
  });
});
