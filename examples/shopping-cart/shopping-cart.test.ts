import { address } from "@statefun-ts/sdk";
import { type TestHarness, testHarness } from "@statefun-ts/testing";
import { describe, expect, it } from "vitest";
import cartModule, {
  AddToCart,
  basket,
  Checkout,
  ClearCart,
  cart,
  ItemAvailability,
  RequestItem,
  RestockItem,
  receipts,
  stock,
  stockLevel,
} from "./module.js";

const restock = (h: TestHarness, itemId: string, quantity: number) => h.send(stock.at(itemId), RestockItem, { itemId, quantity });
const add = (h: TestHarness, userId: string, itemId: string, quantity: number) =>
  h.send(cart.at(userId), AddToCart, { userId, itemId, quantity });

describe("shopping cart example", () => {
  it("restocks, adds to the cart and checks out a receipt listing each item", async () => {
    const h = testHarness(cartModule);
    await restock(h, "socks", 50);
    await restock(h, "hat", 2);
    await add(h, "1", "socks", 3);
    await add(h, "1", "hat", 1);
    await add(h, "1", "socks", 2);
    expect(h.state(cart.at("1"), basket)).toEqual({ socks: 5, hat: 1 });
    expect(h.state(stock.at("socks"), stockLevel)).toBe(45);

    const run = await h.send(cart.at("1"), Checkout, { userId: "1" });
    expect(run.egress(receipts)).toEqual([{ userId: "1", details: "hat: 1\nsocks: 5" }]);
    expect(h.state(cart.at("1"), basket)).toBeUndefined();
  });

  it("adds nothing when the item is out of stock", async () => {
    const h = testHarness(cartModule);
    await restock(h, "socks", 1);
    const run = await add(h, "1", "socks", 2);
    expect(run.invocations.map((i) => [i.target.type, i.typename])).toEqual([
      ["user-shopping-cart", AddToCart.typename],
      ["stock", RequestItem.typename],
      ["user-shopping-cart", ItemAvailability.typename],
    ]);
    expect(run.invocations[2]?.as(ItemAvailability)).toEqual({ status: "OUTOFSTOCK", quantity: 2 });
    expect(h.state(cart.at("1"), basket)).toBeUndefined();
    expect(h.state(stock.at("socks"), stockLevel)).toBe(1);
    await add(h, "2", "unknown-item", 1);
    expect(h.state(cart.at("2"), basket)).toBeUndefined();
  });

  it("replies to its caller with the availability, reserving what is in stock", async () => {
    const h = testHarness(cartModule);
    const client = address("statefun.ingress/http", "request-1");
    await restock(h, "socks", 2);
    const first = await h.send(stock.at("socks"), RequestItem, { quantity: 2 }, { caller: client });
    expect(first.reply(ItemAvailability)).toEqual({ status: "INSTOCK", quantity: 2 });
    const second = await h.send(stock.at("socks"), RequestItem, { quantity: 1 }, { caller: client });
    expect(second.reply(ItemAvailability)).toEqual({ status: "OUTOFSTOCK", quantity: 1 });
    expect(h.outbox.map((m) => m.target)).toEqual([client, client]);
  });

  it("clears the cart, and an empty cart checks out no receipt", async () => {
    const h = testHarness(cartModule);
    await restock(h, "socks", 5);
    await add(h, "1", "socks", 1);
    await h.send(cart.at("1"), ClearCart, { userId: "1" });
    expect(h.state(cart.at("1"), basket)).toBeUndefined();
    await h.send(cart.at("1"), Checkout, { userId: "1" });
    expect(h.egress(receipts)).toEqual([]);
  });

  it("rejects malformed requests and availability that does not come from a stock", async () => {
    const h = testHarness(cartModule);
    const json = (typename: string, text: string) => ({ typename, value: new TextEncoder().encode(text) });
    await expect(h.sendRaw(stock.at("socks"), json(RestockItem.typename, '{"itemId":"socks","quantity":-3}'))).rejects.toThrow(
      /JSON does not match the schema of com.example\/RestockItem/,
    );
    await expect(h.sendRaw(cart.at("1"), json(AddToCart.typename, '{"userId":"1","itemId":"socks"}'))).rejects.toThrow(
      /JSON does not match the schema of com.example\/AddToCart/,
    );
    await expect(h.send(cart.at("1"), ItemAvailability, { status: "INSTOCK", quantity: 9 })).rejects.toThrow(
      /an ItemAvailability must come from a com.example\/stock/,
    );
    expect(h.state(stock.at("socks"), stockLevel)).toBeUndefined();
    expect(h.state(cart.at("1"), basket)).toBeUndefined();
  });
});
