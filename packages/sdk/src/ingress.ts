import type { Address } from "@statefun-ts/protocol";
import type { Type } from "./types.js";

const ingressBrand = Symbol.for("statefun-ts.ingress");

/**
 * An HTTP ingress route with a router: records posted to `path` are decoded as `type` and
 * routed to one or more addresses. (Any address is also reachable on the playground path
 * `/{namespace}/{type}/{id}`.)
 *
 * @example
 * export const orders = httpIngress({ path: "/orders", type: Order, route: (o) => [cart.at(o.userId)] });
 */
export interface HttpIngress<T> {
  readonly kind: "http";
  readonly path: string;
  readonly type: Type<T>;
  readonly route: (value: T) => readonly Address[];
}

export function httpIngress<T>(definition: { path: string; type: Type<T>; route: (value: T) => readonly Address[] }): HttpIngress<T> {
  if (!/^\/[A-Za-z0-9_.\-/]*$/.test(definition.path)) {
    throw new TypeError(`invalid ingress path ${JSON.stringify(definition.path)}: it must start with "/"`);
  }
  const ingress: HttpIngress<T> = { kind: "http", ...definition };
  Object.defineProperty(ingress, ingressBrand, { value: true });
  return ingress;
}

export function isIngress(value: unknown): value is HttpIngress<any> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[ingressBrand] === true;
}
