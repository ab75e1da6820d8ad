/**
 * validate_order checks an order's total against Shopify's own arithmetic (issue 15): lines −
 * discounts + shipping + taxes when not included (+ tips, duties, fees). A discounted order is
 * valid; a total that does not add up, by a cent, is not.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expectedTotal, orderProblems } from "@/orders/fulfilment";
import type { Order } from "@/orders/orders";

const amount = (cents: number) => (cents / 100).toFixed(2);

function order(overrides: Partial<Order>): Order {
  return {
    id: "00000000-0000-4000-8000-000000000001",
    shopifyId: "1",
    shopDomain: "a.myshopify.com",
    name: "#1",
    currency: "EUR",
    totalPrice: "0.00",
    totals: null,
    financialStatus: "paid",
    status: "open",
    lineItems: [],
    customer: { name: "A", email: "a@example.com", phone: null },
    createdAt: new Date(0).toISOString(),
    updatedAt: new Date(0).toISOString(),
    ...overrides,
  };
}

const totalProblems = (o: Order) => orderProblems(o).filter((p) => p.field === "totalPrice");

describe("the total of a Shopify order", () => {
  it("accepts the issue's discounted order: lines 129.70 − discount 10.00 + shipping 7.95 = 127.65", () => {
    const discounted = order({
      totalPrice: "127.65",
      lineItems: [
        { sku: "A", title: "A", quantity: 2, price: "34.90" },
        { sku: "B", title: "B", quantity: 1, price: "59.90" },
      ],
      totals: { discounts: "10.00", shipping: "7.95", tax: "20.38", taxesIncluded: true, extras: "0.00" },
    });
    expect(totalProblems(discounted)).toEqual([]);
    expect(expectedTotal(discounted)).toMatchObject({ cents: 12765, exact: true });
  });

  it("adds taxes only when they are not included in the prices", () => {
    const lines = [{ sku: "A", title: "A", quantity: 1, price: "100.00" }];
    const excluded = order({
      totalPrice: "108.00",
      lineItems: lines,
      totals: { discounts: "0.00", shipping: "0.00", tax: "8.00", taxesIncluded: false, extras: "0.00" },
    });
    expect(totalProblems(excluded)).toEqual([]);
    expect(totalProblems({ ...excluded, totals: { ...excluded.totals!, taxesIncluded: true } })).toHaveLength(1);
  });

  it("holds for any order whose total Shopify computed, and refuses any total off by at least a cent", () => {
    const cents = (max: number) => fc.integer({ min: 0, max });
    fc.assert(
      fc.property(
        fc.array(fc.record({ price: cents(100_000), quantity: fc.integer({ min: 1, max: 20 }) }), {
          minLength: 1,
          maxLength: 8,
        }),
        cents(5_000),
        cents(20_000),
        cents(20_000),
        fc.boolean(),
        cents(3_000),
        fc.integer({ min: -10_000, max: 10_000 }).filter((d) => d !== 0),
        (lines, shipping, discountWish, tax, taxesIncluded, extras, off) => {
          const linesCents = lines.reduce((sum, l) => sum + l.price * l.quantity, 0);
          const discounts = Math.min(discountWish, linesCents + shipping); // Shopify never discounts below zero
          const total = linesCents - discounts + shipping + (taxesIncluded ? 0 : tax) + extras;
          const o = order({
            totalPrice: amount(total),
            lineItems: lines.map((l, i) => ({
              sku: `S${i}`,
              title: "x",
              quantity: l.quantity,
              price: amount(l.price),
            })),
            totals: {
              discounts: amount(discounts),
              shipping: amount(shipping),
              tax: amount(tax),
              taxesIncluded,
              extras: amount(extras),
            },
          });
          expect(totalProblems(o)).toEqual([]);
          expect(totalProblems({ ...o, totalPrice: amount(total + off) })).toHaveLength(1);
        },
      ),
    );
  });

  it("without Shopify's arithmetic (a manual order), the lines' sum is a floor", () => {
    const lines = [{ sku: "A", title: "A", quantity: 1, price: "10.00" }];
    expect(totalProblems(order({ totalPrice: "12.00", lineItems: lines }))).toEqual([]);
    expect(totalProblems(order({ totalPrice: "9.99", lineItems: lines }))).toHaveLength(1);
  });
});
