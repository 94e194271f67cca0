import { connect } from "node:net";
import { until } from "@statefun-ts/test-kit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePortOffset } from "../e2e/verifier/process.js";
import { take, Worker } from "./worker.js";

// The README's quick start, as a new user runs it: both examples in one runtime, over HTTP.
let worker: Worker;

beforeAll(async () => {
  worker = new Worker(["examples/greeter/module.ts", "examples/shopping-cart/module.ts"], await freePortOffset());
  await worker.start();
}, 60_000);
afterAll(() => worker.dispose());

const put = (path: string, typename: string, body: unknown, query = "") =>
  fetch(worker.url("ingress", `${path}${query}`), {
    method: "PUT",
    headers: { "Content-Type": `application/vnd.${typename}` },
    body: JSON.stringify(body),
  });

describe("examples, end to end", () => {
  it("greets Bob differently on each visit, across a kill -9 and a restart", async () => {
    const seen = new Set<string>();
    const visit = async () => {
      expect((await put("/example/person/Bob", "example/GreetRequest", { name: "Bob" })).status).toBe(202);
      return take(worker.url("egress", "/greetings"), seen);
    };
    const first = await visit();
    expect(first).toContain("Welcome Bob");
    const second = await visit();
    expect(second).not.toBe(first);
    await worker.kill();
    await worker.start();
    const third = await visit();
    expect(third).not.toBe(first);
    expect(third).not.toBe(second);
  }, 60_000);

  it("runs the shopping cart: restock, ask the stock with ?await, add to cart, check out, receipt", async () => {
    expect((await put("/com.example/stock/socks", "com.example/RestockItem", { itemId: "socks", quantity: 50 })).status).toBe(202);
    const ask = await fetch(worker.url("ingress", "/com.example/stock/socks?await=5s"), {
      method: "POST",
      headers: { "Content-Type": "application/vnd.com.example/RequestItem" },
      body: JSON.stringify({ quantity: 1 }),
    });
    expect(ask.status).toBe(200);
    expect(ask.headers.get("content-type")).toContain("com.example/ItemAvailability");
    expect(await ask.json()).toEqual({ status: "INSTOCK", quantity: 1 });

    await put("/com.example/user-shopping-cart/1", "com.example/AddToCart", { userId: "1", itemId: "socks", quantity: 3 });
    // The cart asks the stock and adds what is available when the answer comes back.
    await until(
      async () => (await (await fetch(worker.url("admin", "/v1/state/com.example/user-shopping-cart/1"))).text()).includes("socks"),
      "the socks in the basket",
      { explain: () => worker.log },
    );
    await put("/com.example/user-shopping-cart/1", "com.example/Checkout", { userId: "1" });
    const receipt = JSON.parse(await take(worker.url("egress", "/receipts")));
    expect(receipt).toEqual({ userId: "1", details: expect.stringContaining("socks: 3") });
  }, 30_000);

  it("answers bad input with a clear error and keeps running", async () => {
    const wrongType = await put("/example/person/Bob", "example/NotAType", { name: "Bob" });
    expect(wrongType.status).toBe(400);
    expect(((await wrongType.json()) as { error: string }).error).toContain(
      "example/person does not accept messages of type example/NotAType",
    );

    const malformed = await fetch(worker.url("ingress", "/only/two"), { method: "PUT", body: "x" });
    expect(malformed.status).toBeGreaterThanOrEqual(400);
    expect(malformed.status).toBeLessThan(500);

    const huge = await putLarge(worker.url("ingress", "/example/person/Big"), "x".repeat(2 * 1024 * 1024));
    expect(huge.status).toBe(413);
    expect(huge.body).toContain("larger than the limit");
    // A client that sends its whole body before reading (fetch does) gets the 413 too.
    const hugeViaFetch = await put("/example/person/Big", "example/GreetRequest", { name: "x".repeat(2 * 1024 * 1024) });
    expect(hugeViaFetch.status).toBe(413);

    // Invalid JSON for a JSON type is accepted (the runtime never reads message bytes) and dead-lettered with the reason.
    const invalid = await fetch(worker.url("ingress", "/example/person/Eve"), {
      method: "PUT",
      headers: { "Content-Type": "application/vnd.example/GreetRequest" },
      body: "{not json",
    });
    expect(invalid.status).toBe(202);
    const deadline = Date.now() + 10_000;
    let letters: { error: string; target: { id: string } }[] = [];
    while (Date.now() < deadline) {
      letters = (await (await fetch(worker.url("admin", "/v1/deadletters"))).json()) as typeof letters;
      if (letters.some((l) => l.target.id === "Eve")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(letters.find((l) => l.target.id === "Eve")?.error).toContain("invalid JSON for example/GreetRequest");
    expect((await fetch(worker.url("admin", "/healthz"))).status).toBe(200);
  }, 30_000);
});

/**
 * A PUT of a large body over a raw socket, as a careful client does it: the headers first, and
 * the body only if the server has not answered from the headers alone (a 413 needs no body).
 */
function putLarge(url: string, body: string): Promise<{ status: number; body: string }> {
  const { hostname, port, pathname } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = "";
    const sendBody = setTimeout(() => socket.end(body), 2000);
    socket.on("data", (d) => {
      received += d;
      clearTimeout(sendBody);
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(sendBody);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(received)?.[1] ?? 0);
      resolve({ status, body: received.slice(received.indexOf("\r\n\r\n") + 4) });
    });
    socket.write(
      `PUT ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/vnd.example/GreetRequest\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`,
    );
  });
}
