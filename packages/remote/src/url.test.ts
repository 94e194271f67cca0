import { describe, expect, it } from "vitest";
import { resolveEndpoint } from "./url.js";

describe("resolveEndpoint", () => {
  it("puts the function's name into http and https templates, one pool per origin", () => {
    expect(resolveEndpoint("http://fns:8000/statefun/{function.name}?x=1", "example.ns/greeter")).toEqual({
      url: "http://fns:8000/statefun/greeter?x=1",
      poolKey: "http://fns:8000",
      origin: "http://fns:8000",
      path: "/statefun/greeter?x=1",
      tls: false,
    });
    expect(resolveEndpoint("https://{function.name}.fns/", "ex/cart")).toMatchObject({ poolKey: "https://cart.fns", path: "/", tls: true });
  });

  it("splits http+unix URLs at the first segment ending in .sock", () => {
    expect(resolveEndpoint("http+unix:///run/app/fns.sock/v1/{function.name}", "ex/cart")).toEqual({
      url: "http+unix:///run/app/fns.sock/v1/cart",
      poolKey: "unix:/run/app/fns.sock",
      origin: "http://localhost",
      path: "/v1/cart",
      socketPath: "/run/app/fns.sock",
      tls: false,
    });
    expect(resolveEndpoint("http+unix:///tmp/f.sock", "ex/cart")).toMatchObject({ socketPath: "/tmp/f.sock", path: "/" });
  });

  it("rejects what it cannot reach, naming the template", () => {
    expect(() => resolveEndpoint("fns:8000/x", "ex/cart")).toThrow('invalid endpoint URL "fns:8000/x": unsupported scheme fns');
    expect(() => resolveEndpoint("nope", "ex/cart")).toThrow('invalid endpoint URL "nope": not a valid URL');
    expect(() => resolveEndpoint("http+unix:///tmp/socket/x", "ex/cart")).toThrow("no path segment ends in .sock");
    expect(() => resolveEndpoint("http+unix://host/f.sock/x", "ex/cart")).toThrow("http+unix URLs have no host");
    expect(() => resolveEndpoint("http://u:p@fns/", "ex/cart")).toThrow("credentials in the URL are not supported");
  });
});
