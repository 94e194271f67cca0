/**
 * The TypeScript side of the polyglot shop, written with our SDK: `shop/checkout/{orderId}`
 * takes an order from HTTP, asks the Python `shop/inventory` to reserve the items and the Go
 * `shop/shipping` for a delivery quote (both at once, each answering its caller), and
 * combines the two answers into a receipt: the reply to every waiting caller, and a line on
 * the egress topic `receipts`. An order id is placed once: asked again, it answers the same
 * receipt.
 */
import {
  type Address,
  type Context,
  egressRef,
  functionRef,
  jsonType,
  statefulFunction,
  statefunModule,
  Types,
  valueSpec,
} from "@statefun-ts/sdk";

// Message types: JSON under the same type names in functions.py and shipping.go.

/** From HTTP to `shop/checkout/{orderId}`, e.g. `{"item":"socks","quantity":3,"country":"DE"}`. */
export interface Order {
  readonly item: string;
  readonly quantity: number;
  readonly country: string;
}
/** To `shop/inventory/{item}` (Python). */
export interface Reserve {
  readonly item: string;
  readonly quantity: number;
}
/** Its answer: reserved or not (with the reason), at what unit price, and how many are left. */
export interface Reservation {
  readonly item: string;
  readonly reserved: boolean;
  readonly unitCents: number;
  readonly left: number;
  readonly reason?: string;
}
/** To `shop/shipping/{country}` (Go). */
export interface QuoteShipping {
  readonly country: string;
  readonly quantity: number;
}
/** Its answer. */
export interface ShippingQuote {
  readonly country: string;
  readonly carrier: string;
  readonly days: number;
  readonly costCents: number;
}
/** The combined answer, replied to the HTTP caller. */
export type Receipt =
  | {
      readonly orderId: string;
      readonly status: "confirmed";
      readonly item: string;
      readonly quantity: number;
      readonly country: string;
      readonly itemsCents: number;
      readonly shippingCents: number;
      readonly totalCents: number;
      readonly carrier: string;
      readonly days: number;
    }
  | { readonly orderId: string; readonly status: "rejected"; readonly reason: string };

export const Order = jsonType<Order>("shop/Order");
export const Reserve = jsonType<Reserve>("shop/Reserve");
export const Reservation = jsonType<Reservation>("shop/Reservation");
export const QuoteShipping = jsonType<QuoteShipping>("shop/QuoteShipping");
export const ShippingQuote = jsonType<ShippingQuote>("shop/ShippingQuote");
export const Receipt = jsonType<Receipt>("shop/Receipt");

/** The functions in the other languages, as seen from here. */
const inventory = functionRef<Reserve>("shop/inventory");
const shipping = functionRef<QuoteShipping>("shop/shipping");

/** One line per placed order: `curl localhost:8091/receipts`. */
export const receipts = egressRef("receipts", Types.string);

/** An order waiting for its two answers, and the callers waiting for its receipt. */
interface Pending {
  readonly order: Order;
  readonly callers: readonly Address[];
  readonly reservation?: Reservation;
  readonly quote?: ShippingQuote;
}

const state = {
  pending: valueSpec("pending", jsonType<Pending>("shop/PendingOrder")),
  receipt: valueSpec("receipt", Receipt, { expireAfterWrite: "30d" }),
};

type CheckoutContext = Context<typeof state>;

export const checkout = statefulFunction({
  typename: "shop/checkout",
  state,
  accepts: [Order, Reservation, ShippingQuote],
  handler(ctx, message) {
    if (message.is(Order)) placeOrder(ctx, message.as(Order));
    else if (message.is(Reservation)) answered(ctx, { reservation: message.as(Reservation) });
    else answered(ctx, { quote: message.as(ShippingQuote) });
  },
});

/** A new order asks both other functions at once; a known one gets its receipt, now or once it is ready. */
function placeOrder(ctx: CheckoutContext, order: Order): void {
  const callers = ctx.caller === undefined ? [] : [ctx.caller];
  const receipt = ctx.state.receipt.get();
  const pending = ctx.state.pending.get();
  const problem = problemWith(order);
  if (receipt !== undefined) {
    replyAll(ctx, callers, receipt);
  } else if (pending !== undefined) {
    ctx.state.pending.set({ ...pending, callers: [...pending.callers, ...callers] });
  } else if (problem !== undefined) {
    // An invalid order is not placed: answered, and forgotten.
    replyAll(ctx, callers, { orderId: ctx.self.id, status: "rejected", reason: problem });
  } else {
    ctx.state.pending.set({ order, callers });
    ctx.send(inventory.at(order.item), Reserve, { item: order.item, quantity: order.quantity });
    ctx.send(shipping.at(order.country), QuoteShipping, { country: order.country, quantity: order.quantity });
  }
}

/** One of the two answers: once both are in, the receipt goes to every waiting caller and to the egress. */
function answered(ctx: CheckoutContext, answer: Pick<Pending, "reservation" | "quote">): void {
  const pending = ctx.state.pending.get();
  if (pending === undefined) return; // nothing asked: not an answer to this instance
  const next = { ...pending, ...answer };
  if (next.reservation === undefined || next.quote === undefined) {
    ctx.state.pending.set(next);
    return;
  }
  const receipt = receiptOf(ctx.self.id, next.order, next.reservation, next.quote);
  ctx.state.pending.clear();
  ctx.state.receipt.set(receipt);
  replyAll(ctx, next.callers, receipt);
  ctx.egress(receipts, summaryOf(receipt));
}

function replyAll(ctx: CheckoutContext, callers: readonly Address[], receipt: Receipt): void {
  for (const caller of callers) ctx.send(caller, Receipt, receipt);
}

/** What is wrong with an order that came from outside, if anything. */
function problemWith(order: Order | null): string | undefined {
  if (typeof order !== "object" || order === null) return "an order is a JSON object with item, quantity and country";
  if (typeof order.item !== "string" || order.item === "") return "item: a non-empty string is required";
  if (!Number.isInteger(order.quantity) || order.quantity < 1) return "quantity: a positive integer is required";
  if (typeof order.country !== "string" || !/^[A-Z]{2}$/.test(order.country)) return "country: a two-letter code such as DE is required";
  return undefined;
}

export function receiptOf(orderId: string, order: Order, reservation: Reservation, quote: ShippingQuote): Receipt {
  const { item, quantity, country } = order;
  if (!reservation.reserved) return { orderId, status: "rejected", reason: reservation.reason ?? `${item}: not reserved` };
  const itemsCents = reservation.unitCents * quantity;
  const { carrier, days, costCents: shippingCents } = quote;
  return {
    orderId,
    status: "confirmed",
    item,
    quantity,
    country,
    itemsCents,
    shippingCents,
    totalCents: itemsCents + shippingCents,
    carrier,
    days,
  };
}

/** E.g. `o-1 confirmed: 3 x socks to DE, 13.50 + 4.90 shipping = 18.40 EUR, DHL in 1 day`. */
export function summaryOf(r: Receipt): string {
  if (r.status === "rejected") return `${r.orderId} rejected: ${r.reason}`;
  const eur = (cents: number) => (cents / 100).toFixed(2);
  const days = r.days === 1 ? "1 day" : `${r.days} days`;
  return `${r.orderId} confirmed: ${r.quantity} x ${r.item} to ${r.country}, ${eur(r.itemsCents)} + ${eur(r.shippingCents)} shipping = ${eur(r.totalCents)} EUR, ${r.carrier} in ${days}`;
}

export default statefunModule({ functions: [checkout], egresses: [receipts] });
