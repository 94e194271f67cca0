/**
 * The StateFun playground shopping cart: `com.example/stock/{item}` keeps the stock of
 * each item and answers requests for it; `com.example/user-shopping-cart/{user}` asks the
 * stock for what the user adds, keeps what it gets, and on checkout emits a receipt to
 * the egress topic `receipts`.
 */
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === "string" && v !== "";
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isQuantity = (v: unknown): v is number => isCount(v) && v > 0;

export type RestockItem = { itemId: string; quantity: number };
export type RequestItem = { quantity: number };
export type ItemAvailability = { status: "INSTOCK" | "OUTOFSTOCK"; quantity: number };
export type AddToCart = { userId: string; itemId: string; quantity: number };
export type ClearCart = { userId: string };
export type Checkout = { userId: string };
export type Receipt = { userId: string; details: string };
/** Item id → quantity. */
export type Basket = Record<string, number>;

export const RestockItem = jsonType<RestockItem>("com.example/RestockItem", {
  schema: (v): v is RestockItem => isObject(v) && isText(v.itemId) && isQuantity(v.quantity),
});
export const RequestItem = jsonType<RequestItem>("com.example/RequestItem", {
  schema: (v): v is RequestItem => isObject(v) && isQuantity(v.quantity),
});
export const ItemAvailability = jsonType<ItemAvailability>("com.example/ItemAvailability", {
  schema: (v): v is ItemAvailability => isObject(v) && (v.status === "INSTOCK" || v.status === "OUTOFSTOCK") && isCount(v.quantity),
});
export const AddToCart = jsonType<AddToCart>("com.example/AddToCart", {
  schema: (v): v is AddToCart => isObject(v) && isText(v.userId) && isText(v.itemId) && isQuantity(v.quantity),
});
export const ClearCart = jsonType<ClearCart>("com.example/ClearCart", {
  schema: (v): v is ClearCart => isObject(v) && isText(v.userId),
});
export const Checkout = jsonType<Checkout>("com.example/Checkout", {
  schema: (v): v is Checkout => isObject(v) && isText(v.userId),
});
export const Receipt = jsonType<Receipt>("com.example/Receipt", {
  schema: (v): v is Receipt => isObject(v) && isText(v.userId) && typeof v.details === "string",
});
const BasketType = jsonType<Basket>("com.example/Basket", {
  schema: (v): v is Basket => isObject(v) && Object.values(v).every(isQuantity),
});

/** Receipts leave on the playground egress, topic `receipts` (`curl localhost:8091/receipts`). */
export const receipts = egressRef("receipts", Receipt);

/** Units of the item in stock. */
export const stockLevel = valueSpec("stock", Types.int);
/** What the user has in the cart. */
export const basket = valueSpec("basket", BasketType);

/**
 * One instance per item: restocks, and answers a `RequestItem` with an `ItemAvailability`
 * (the quantity asked for, reserved when in stock) to its caller.
 */
export const stock = statefulFunction({
  typename: "com.example/stock",
  state: { stock: stockLevel },
  accepts: [RestockItem, RequestItem],
  handler(ctx, message) {
    const current = ctx.state.stock.get() ?? 0;
    if (message.is(RestockItem)) {
      ctx.state.stock.set(current + message.as(RestockItem).quantity);
      return;
    }
    const { quantity } = message.as(RequestItem);
    const inStock = current >= quantity;
    if (inStock) ctx.state.stock.set(current - quantity);
    ctx.reply(ItemAvailability, { status: inStock ? "INSTOCK" : "OUTOFSTOCK", quantity });
  },
});

/** The receipt text: one `item: quantity` line per item, by item id. */
export function receiptDetails(items: Basket): string {
  return Object.entries(items)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([itemId, quantity]) => `${itemId}: ${quantity}`)
    .join("\n");
}

/** One instance per user: adds what the stock grants, clears, and checks out to a receipt. */
export const cart = statefulFunction({
  typename: "com.example/user-shopping-cart",
  state: { basket },
  accepts: [AddToCart, ItemAvailability, ClearCart, Checkout],
  handler(ctx, message) {
    if (message.is(AddToCart)) {
      const { itemId, quantity } = message.as(AddToCart);
      ctx.send(stock.at(itemId), RequestItem, { quantity });
    } else if (message.is(ItemAvailability)) {
      const { caller } = ctx;
      if (caller?.namespace !== "com.example" || caller.type !== "stock") {
        throw new Error(`an ItemAvailability must come from a com.example/stock, not ${JSON.stringify(caller)}`);
      }
      const { status, quantity } = message.as(ItemAvailability);
      if (status !== "INSTOCK") return;
      const items = new Map(Object.entries(ctx.state.basket.get() ?? {}));
      items.set(caller.id, (items.get(caller.id) ?? 0) + quantity);
      ctx.state.basket.set(Object.fromEntries(items));
    } else if (message.is(ClearCart)) {
      message.as(ClearCart); // rejects a malformed request
      ctx.state.basket.clear();
    } else {
      const { userId } = message.as(Checkout);
      const items = ctx.state.basket.get();
      if (items === undefined) return; // an empty cart has nothing to check out
      ctx.egress(receipts, { userId, details: receiptDetails(items) });
      ctx.state.basket.clear();
    }
  },
});

export default statefunModule({ functions: [stock, cart], egresses: [receipts] });
