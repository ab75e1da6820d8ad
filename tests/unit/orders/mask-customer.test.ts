/** What a viewer sees of an order's customer (maskCustomer, src/orders/orders.ts): initials and masked contacts. */
import { describe, expect, it } from "vitest";
import { maskCustomer, type Order } from "@/orders/orders";

const order = (customer: Order["customer"]): Order => ({
  id: "00000000-0000-4000-8000-000000000001",
  shopifyId: "1042",
  shopDomain: "shop.example",
  name: "#1042",
  currency: "EUR",
  totalPrice: "10.00",
  totals: null,
  financialStatus: "paid",
  status: "open",
  lineItems: [],
  customer,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
});

describe("maskCustomer", () => {
  it("keeps initials, the email's first character and domain, and the phone's last two digits", () => {
    expect(
      maskCustomer(order({ name: "Lena Martin", email: "lena.martin@example.com", phone: "+33612345678" })).customer,
    ).toEqual({ name: "L. M.", email: "l***@example.com", phone: "**********78" });
  });

  it("masks an email field that holds no address whole (the masker of src/privacy/mask.ts)", () => {
    expect(maskCustomer(order({ name: null, email: "lena martin", phone: null })).customer?.email).toBe("***");
  });

  it("leaves an order without a customer, and empty fields, as they are", () => {
    expect(maskCustomer(order(null)).customer).toBeNull();
    expect(maskCustomer(order({ name: null, email: null, phone: null })).customer).toEqual({
      name: null,
      email: null,
      phone: null,
    });
  });
});
