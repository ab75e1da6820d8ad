import { describe, expect, it } from "vitest";
import { type EnvSource, HttpHostError, assertHttpHostAllowed } from "@/engine/definition";

/** The refused range's label (`loopback`, `private (RFC 1918)`…), the reason for a bad URL, or undefined. */
function refusal(url: string, env: EnvSource = {}): string | undefined {
  try {
    assertHttpHostAllowed(url, env);
    return undefined;
  } catch (error) {
    if (!(error instanceof HttpHostError)) throw error;
    expect(error.code).toBe("http_host_not_allowed");
    return error.range?.label ?? error.reason;
  }
}

describe("assertHttpHostAllowed", () => {
  it.each([
    ["http://127.0.0.1/x", "loopback"],
    ["http://127.255.0.9:8080/", "loopback"],
    ["http://2130706433/", "loopback"],
    ["http://0x7f.1/", "loopback"],
    ["http://localhost:3000/api", "loopback"],
    ["http://LocalHost./", "loopback"],
    ["http://app.localhost/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[0:0:0:0:0:0:0:1]/", "loopback"],
    ["http://[::ffff:127.0.0.1]/", "IPv4-mapped"],
  ])("refuses the loopback host of %s", (url, reason) => {
    expect(refusal(url)).toBe(reason);
  });

  it.each([
    ["http://10.0.0.1/", "private (RFC 1918)"],
    ["http://172.16.5.4/", "private (RFC 1918)"],
    ["http://172.31.255.255/", "private (RFC 1918)"],
    ["http://192.168.1.10/", "private (RFC 1918)"],
    ["http://[fc00::1]/", "unique-local (private)"],
    ["http://[fd12:3456::1]/", "unique-local (private)"],
    ["http://[::ffff:10.1.2.3]/", "IPv4-mapped"],
    ["http://169.254.169.254/latest/meta-data", "link-local (cloud metadata)"],
    ["http://100.100.100.200/latest/meta-data", "shared address space (carrier-grade NAT, cloud metadata)"],
    ["http://198.18.0.1/", "benchmarking"],
    ["http://[fe80::1]/", "link-local"],
    ["http://[febf::1]/", "link-local"],
    ["http://[fec0::1]/", "site-local (deprecated private)"],
    ["http://[64:ff9b::a00:1]/", "NAT64 (IPv4-embedded)"],
    ["http://[2002:a00:1::1]/", "6to4 (IPv4-embedded)"],
    ["http://[2001:db8::1]/", "documentation"],
    ["http://[::ffff:8.8.8.8]/", "IPv4-mapped"],
    ["http://0.0.0.0/", '"this network" (unspecified)'],
    ["http://[::]/", "unspecified"],
  ])("refuses the private, link-local, translated or special host of %s", (url, reason) => {
    expect(refusal(url)).toBe(reason);
  });

  it.each([
    "https://api.example.com/orders",
    "http://8.8.8.8/",
    "http://172.15.0.1/",
    "http://172.32.0.1/",
    "http://192.169.0.1/",
    "http://[2606:4700:4700::1111]/",
  ])("accepts the public host of %s", (url) => {
    expect(refusal(url)).toBeUndefined();
  });

  it("refuses URLs that are not http(s) or not URLs at all", () => {
    expect(refusal("ftp://example.com/file")).toBe("scheme");
    expect(refusal("file:///etc/passwd")).toBe("scheme");
    expect(refusal("not a url")).toBe("invalid_url");
  });

  it("accepts a refused host listed in HTTP_STEP_ALLOWED_HOSTS, by name or address", () => {
    const env = { HTTP_STEP_ALLOWED_HOSTS: " localhost , 10.0.0.5,[::1], 0:0:0:0:0:0:0:2 " };
    expect(refusal("http://localhost:3000/hook", env)).toBeUndefined();
    expect(refusal("http://LOCALHOST/hook", env)).toBeUndefined();
    expect(refusal("http://10.0.0.5/hook", env)).toBeUndefined();
    expect(refusal("http://[::1]/hook", env)).toBeUndefined();
    // Listed as 0:0:0:0:0:0:0:2: entries are compared in the URL parser's canonical form.
    expect(refusal("http://[::2]/hook", env)).toBeUndefined();
    expect(refusal("http://10.0.0.6/hook", env)).toBe("private (RFC 1918)");
    expect(refusal("http://127.0.0.1/hook", env)).toBe("loopback");
  });

  it("reads HTTP_STEP_ALLOWED_HOSTS from process.env at call time when no env is given", () => {
    const previous = process.env.HTTP_STEP_ALLOWED_HOSTS;
    try {
      delete process.env.HTTP_STEP_ALLOWED_HOSTS;
      expect(() => assertHttpHostAllowed("http://192.168.0.2/")).toThrow(HttpHostError);
      process.env.HTTP_STEP_ALLOWED_HOSTS = "192.168.0.2";
      expect(() => assertHttpHostAllowed("http://192.168.0.2/")).not.toThrow();
    } finally {
      if (previous === undefined) delete process.env.HTTP_STEP_ALLOWED_HOSTS;
      else process.env.HTTP_STEP_ALLOWED_HOSTS = previous;
    }
  });

  it("names the host and the way to allow it in the message", () => {
    expect(() => assertHttpHostAllowed("http://192.168.1.1/", {})).toThrow(
      'outbound policy: host "192.168.1.1" is in a refused range (private (RFC 1918) 192.168.0.0/16); only public addresses may be called unless the host is listed in HTTP_STEP_ALLOWED_HOSTS',
    );
  });
});
