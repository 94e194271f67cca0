import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import type { TypedValue } from "@statefun-ts/protocol";
import type { EgressDelivery } from "@statefun-ts/runtime";
import { egressRef, Types } from "@statefun-ts/sdk";
import { str as text, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { type EgressRuntime, egressApp } from "./egress.js";

function fake(records: TypedValue[], gate?: Promise<void>) {
  const acked: number[] = [];
  const released: number[] = [];
  let taken = 0;
  const runtime: EgressRuntime = {
    egresses: () => [egressRef("greetings", Types.string), egressRef("orders", Types.int, "kafka/egress")],
    claimEgress: async () => undefined,
    ackEgress: async () => false,
    async takeEgress(topic): Promise<EgressDelivery | undefined> {
      taken++;
      await gate;
      const argument = records.shift();
      if (argument === undefined) return undefined;
      const id = 100 + taken;
      return {
        record: { id, egress: "io.statefun.playground/egress", topic, argument, createdAt: 0 },
        ack: async () => {
          acked.push(id);
        },
        release: () => {
          released.push(id);
        },
      };
    },
  };
  return { runtime, acked, released, taken: () => taken };
}

describe("egress", () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("hands out the oldest record with its id and acks it once sent; 404 when empty", async () => {
    const { runtime, acked, released } = fake([text("Hello bob"), { typename: "example/Greeting", value: new Uint8Array([7]) }]);
    const app = egressApp(runtime);
    const first = await app.inject({ method: "GET", url: "/greetings" });
    expect(first.statusCode).toBe(200);
    expect(first.headers["content-type"]).toBe("text/plain; charset=utf-8");
    expect(first.headers["statefun-record-id"]).toBe("101");
    expect(first.body).toBe("Hello bob");

    const second = await app.inject({ method: "GET", url: "/greetings" });
    expect(second.headers["content-type"]).toBe("application/vnd.example/Greeting");
    expect([...second.rawPayload]).toEqual([7]);
    // Acknowledged once written out and the connection held for a turn of the event loop.
    await until(() => acked.length === 2);
    expect(acked).toEqual([101, 102]);
    expect(released).toEqual([]);

    const empty = await app.inject({ method: "GET", url: "/greetings" });
    expect(empty.statusCode).toBe(404);
    expect(empty.json().error).toContain("no records");
  });

  it("answers 404 naming the declared topics for an unknown topic", async () => {
    const { runtime, taken } = fake([]);
    const res = await egressApp(runtime).inject({ method: "GET", url: "/nope" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: "STATEFUN_NOT_FOUND" });
    expect(res.json().error).toContain("greetings");
    expect(res.json().error).not.toContain("orders"); // another egress type, not served over HTTP
    expect(taken()).toBe(0);
  });

  it("releases the record when the client leaves before it is sent", async () => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { runtime, acked, released, taken } = fake([text("kept")], gate);
    const app = egressApp(runtime);
    await app.listen({ host: "127.0.0.1", port: 0 });
    closers.push(() => app.close());
    const socket = connect((app.server.address() as AddressInfo).port, "127.0.0.1");
    socket.write("GET /greetings HTTP/1.1\r\nHost: test\r\n\r\n");
    await until(() => taken() === 1);
    socket.destroy();
    await new Promise((r) => setTimeout(r, 50));
    open();
    await until(() => released.length === 1);
    expect(acked).toEqual([]);
  });
});
