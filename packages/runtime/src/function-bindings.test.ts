import { httpIngress, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { describe, expect, it } from "vitest";
import { FunctionBindings } from "./function-bindings.js";

const fn = (typename: string) => statefulFunction({ typename, accepts: [Types.int], handler() {} });
const ingress = (path: string) => httpIngress({ path, type: Types.int, route: () => [{ namespace: "a", type: "f", id: "1" }] });

describe("FunctionBindings", () => {
  it("lists its types and ingresses as they are after every load, unload, bind and unbind", () => {
    const bindings = new FunctionBindings();
    const first = statefunModule({ functions: [fn("b/g"), fn("a/f")], ingresses: [ingress("/in/one")] });
    const second = statefunModule({ functions: [fn("c/h")], ingresses: [ingress("/in/two")] });
    expect(bindings.functionTypes()).toEqual([]);
    expect(bindings.ingresses()).toEqual([]);
    bindings.load(first);
    expect(bindings.functionTypes()).toEqual(["a/f", "b/g"]);
    // Asked again with nothing changed: the same list.
    expect(bindings.functionTypes()).toBe(bindings.functionTypes());
    expect(bindings.ingresses().map((i) => i.path)).toEqual(["/in/one"]);
    bindings.load(second);
    expect(bindings.functionTypes()).toEqual(["a/f", "b/g", "c/h"]);
    expect(bindings.ingresses().map((i) => i.path)).toEqual(["/in/one", "/in/two"]);
    const remote = bindings.binding("a/f")!;
    bindings.bind({ ...remote, typename: "d/*" });
    expect(bindings.functionTypes()).toEqual(["a/f", "b/g", "c/h", "d/*"]);
    expect(bindings.unbind("b/g")).toBe(true);
    expect(bindings.functionTypes()).toEqual(["a/f", "c/h", "d/*"]);
    bindings.unload(first);
    expect(bindings.functionTypes()).toEqual(["c/h", "d/*"]);
    expect(bindings.ingresses().map((i) => i.path)).toEqual(["/in/two"]);
    expect(() => (bindings.functionTypes() as string[]).push("x/y")).toThrow();
  });
});
