import { afterEach, expect, it } from "vitest";
import { assertResolvesToAllowed, type Lookup } from "@/engine/kinds/http";

const resolvesTo =
  (...addresses: string[]): Lookup =>
  async () =>
    addresses.map((address) => ({ address }));

afterEach(() => {
  delete process.env.HTTP_STEP_ALLOWED_HOSTS;
});

it("refuses a public-looking name that resolves to a loopback, private or link-local address", async () => {
  await expect(assertResolvesToAllowed("evil.example", resolvesTo("127.0.0.1"))).rejects.toThrow(/resolves to 127\.0\.0\.1, a loopback address/);
  await expect(assertResolvesToAllowed("evil.example", resolvesTo("93.184.216.34", "10.1.2.3"))).rejects.toThrow(/private/);
  await expect(assertResolvesToAllowed("evil.example", resolvesTo("::ffff:169.254.169.254"))).rejects.toThrow(/link-local/);
  await expect(assertResolvesToAllowed("evil.example", resolvesTo("::1"))).rejects.toThrow(/loopback/);
});

it("lets through a name that resolves to public addresses, an allowed name, and IP literals (checked before)", async () => {
  await expect(assertResolvesToAllowed("api.example", resolvesTo("93.184.216.34", "2606:2800:220:1::1"))).resolves.toBeUndefined();
  process.env.HTTP_STEP_ALLOWED_HOSTS = "internal.example";
  await expect(assertResolvesToAllowed("internal.example", resolvesTo("10.0.0.5"))).resolves.toBeUndefined();
  const never: Lookup = () => Promise.reject(new Error("must not resolve a literal"));
  await expect(assertResolvesToAllowed("127.0.0.1", never)).resolves.toBeUndefined();
  await expect(assertResolvesToAllowed("[::1]", never)).resolves.toBeUndefined();
});

it("leaves a name that does not resolve to fetch (a network error, retried)", async () => {
  await expect(assertResolvesToAllowed("nowhere.invalid", () => Promise.reject(new Error("ENOTFOUND")))).resolves.toBeUndefined();
});
