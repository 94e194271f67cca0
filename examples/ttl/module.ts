/**
 * Time-to-live: a visitor's browsing session. `example.ttl/session/{visitor}` counts page views
 * and remembers the last page; each view leaves a line on the egress topic `sessions`.
 *
 * - `lastPage` expires 1 minute after it was written (`expireAfterWrite`);
 * - `cart` expires 10 minutes after the session's last page view (`expireAfterCall`);
 * - the whole session (every state, as if it never existed) is dropped 30 minutes after its last
 *   page view (`instanceTtl`), and deleted from storage in the background.
 */
import { egressRef, jsonType, statefulFunction, statefunModule, Types, valueSpec } from "@statefun-ts/sdk";

export interface PageView {
  readonly page: string;
  /** An item put in the cart on this page, if any. */
  readonly add?: string;
}

/** What arrives from outside, e.g. `{"page":"/shoes","add":"red shoes"}` posted to `/example.ttl/session/ann`. */
export const PageView = jsonType<PageView>("example.ttl/PageView", {
  schema: (v): v is PageView =>
    typeof v === "object" &&
    v !== null &&
    typeof (v as { page?: unknown }).page === "string" &&
    ((v as { add?: unknown }).add === undefined || typeof (v as { add?: unknown }).add === "string"),
});

export const views = valueSpec("views", Types.int);
export const lastPage = valueSpec("lastPage", Types.string, { expireAfterWrite: "1m" });
export const cart = valueSpec("cart", Types.string, { expireAfterCall: "10m" });

export const sessions = egressRef("sessions", Types.string);

export const session = statefulFunction({
  typename: "example.ttl/session",
  state: { views, lastPage, cart },
  accepts: [PageView],
  instanceTtl: "30m",
  handler(ctx, message) {
    const view = message.as(PageView);
    const count = (ctx.state.views.get() ?? 0) + 1;
    const previous = ctx.state.lastPage.get();
    ctx.state.views.set(count);
    ctx.state.lastPage.set(view.page);
    if (view.add !== undefined) {
      const items = ctx.state.cart.get();
      ctx.state.cart.set(items === undefined ? view.add : `${items}, ${view.add}`);
    }
    const from = previous === undefined ? "" : ` (from ${previous})`;
    const inCart = ctx.state.cart.get();
    ctx.egress(sessions, `${ctx.self.id}: view ${count} of ${view.page}${from}${inCart === undefined ? "" : `; cart: ${inCart}`}`);
  },
});

export default statefunModule({ functions: [session], egresses: [sessions] });
