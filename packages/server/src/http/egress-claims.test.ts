import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StringCodec } from "@statefun-ts/protocol";
import { type EgressDelivery, Runtime } from "@statefun-ts/runtime";
import { egressRef, statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { SqliteStore } from "@statefun-ts/store-sqlite";
import type { FastifyInstance } from "fastify";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type EgressRuntime, egressApp } from "./egress.js";

const greetings = egressRef("greetings", Types.string);
const greeter = statefulFunction({
  typename: "test/greeter",
  accepts: [Types.string],
  handler(ctx, message) {
    ctx.egress(greetings, `Hello ${message.as(Types.string)}`);
  },
});

let dir: string;
let runtime: Runtime;
let app: FastifyInstance;
let base: string;
/** Deliveries of the plain GET that were acknowledged or released, as the egress settled them. */
let settled: { id: number; how: "ack" | "release" }[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "statefun-egress-"));
  runtime = new Runtime({ store: new SqliteStore({ dir }), modules: [statefunModule({ functions: [greeter], egresses: [greetings] })] });
  await runtime.start();
  settled = [];
  const observed: EgressRuntime = {
    egresses: () => runtime.egresses(),
    claimEgress: (topic, visibilityMs) => runtime.claimEgress(topic, visibilityMs),
    ackEgress: (topic, id, receipt) => runtime.ackEgress(topic, id, receipt),
    async takeEgress(topic): Promise<EgressDelivery | undefined> {
      const delivery = await runtime.takeEgress(topic);
      if (delivery === undefined) return undefined;
      const id = delivery.record.id;
      return {
        record: delivery.record,
        ack: () => delivery.ack().then(() => void settled.push({ id, how: "ack" })),
        release: () => {
          delivery.release();
          settled.push({ id, how: "release" });
        },
      };
    },
  };
  app = egressApp(observed);
  await app.listen({ host: "127.0.0.1", port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await app.close();
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function until(check: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function greet(...names: string[]): Promise<void> {
  for (const name of names)
    await runtime.ingest({ target: greeter.at(name), argument: { typename: Types.string.typename, value: StringCodec.encode(name) } });
  await until(async () => (await runtime.storeStats()).egress === names.length);
}

/** Sends `GET /{topic}` and resets the connection (SO_LINGER 0) as soon as the request is written. */
function getAndReset(topic: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect((app.server.address() as AddressInfo).port, "127.0.0.1");
    socket.on("error", () => {});
    socket.on("close", () => resolve());
    socket.once("connect", () =>
      socket.write(`GET /${topic} HTTP/1.1\r\nHost: test\r\n\r\n`, (err) => (err ? reject(err) : socket.resetAndDestroy())),
    );
  });
}

describe("plain GET /{topic}", () => {
  it("never deletes a record whose response the client reset", async () => {
    await greet("a");
    for (let round = 0; round < 5; round++) {
      await getAndReset("greetings");
      await until(() => settled.length === round + 1);
      expect(settled[round]!.how).toBe("release");
      expect((await runtime.storeStats()).egress).toBe(1);
    }
    const res = await fetch(`${base}/greetings`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("Hello a");
    await until(() => settled.length === 6);
    expect(settled[5]!.how).toBe("ack");
    expect((await runtime.storeStats()).egress).toBe(0);
  });
});

describe("claim and acknowledge", () => {
  it("hands a claimed record to no one else until it is acknowledged, which deletes it", async () => {
    await greet("a", "b");
    const first = await fetch(`${base}/greetings/claim?visibility=30s`, { method: "POST" });
    expect(first.status).toBe(200);
    expect(await first.text()).toBe("Hello a");
    const id = first.headers.get("statefun-record-id")!;
    const receipt = first.headers.get("statefun-receipt")!;
    expect(receipt).toMatch(/.{16,}/);
    expect(Number(first.headers.get("statefun-visible-until"))).toBeGreaterThan(Date.now());

    const second = await fetch(`${base}/greetings/claim`, { method: "POST" });
    expect(await second.text()).toBe("Hello b");
    const plain = await fetch(`${base}/greetings`);
    expect(plain.status).toBe(404);

    const wrong = await fetch(`${base}/greetings/${id}`, { method: "DELETE", headers: { "statefun-receipt": "not-the-receipt" } });
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as { code: string }).code).toBe("STATEFUN_NOT_FOUND");
    const noReceipt = await fetch(`${base}/greetings/${id}`, { method: "DELETE" });
    expect(noReceipt.status).toBe(400);
    expect(((await noReceipt.json()) as { error: string }).error).toContain("Statefun-Receipt");

    const acked = await fetch(`${base}/greetings/${id}`, { method: "DELETE", headers: { "statefun-receipt": receipt } });
    expect(acked.status).toBe(204);
    const again = await fetch(`${base}/greetings/${id}`, { method: "DELETE", headers: { "statefun-receipt": receipt } });
    expect(again.status).toBe(404);

    const receiptB = second.headers.get("statefun-receipt")!;
    const idB = second.headers.get("statefun-record-id")!;
    const ackB = await fetch(`${base}/greetings/${idB}/ack?receipt=${encodeURIComponent(receiptB)}`, { method: "POST" });
    expect(ackB.status).toBe(204);
    expect((await runtime.storeStats()).egress).toBe(0);
  });

  it("returns an unacknowledged record to the topic once its visibility lapses, and refuses the lapsed receipt after another claim", async () => {
    await greet("a");
    const first = await fetch(`${base}/greetings/claim?visibility=1ms`, { method: "POST" });
    expect(first.status).toBe(200);
    const receipt = first.headers.get("statefun-receipt")!;
    let second: Response | undefined;
    await until(async () => {
      second = await fetch(`${base}/greetings/claim?visibility=30s`, { method: "POST" });
      return second.status === 200;
    });
    expect(await second!.text()).toBe("Hello a");
    expect(second!.headers.get("statefun-record-id")).toBe(first.headers.get("statefun-record-id"));
    const stale = await fetch(`${base}/greetings/${first.headers.get("statefun-record-id")}`, {
      method: "DELETE",
      headers: { "statefun-receipt": receipt },
    });
    expect(stale.status).toBe(404);
    expect((await runtime.storeStats()).egress).toBe(1);
  });

  it("gives back the claim of a client that reset the connection before the response", async () => {
    await greet("a");
    await new Promise<void>((resolve) => {
      const socket = connect((app.server.address() as AddressInfo).port, "127.0.0.1");
      socket.on("error", () => {});
      socket.on("close", () => resolve());
      socket.once("connect", () =>
        socket.write("POST /greetings/claim?visibility=1h HTTP/1.1\r\nHost: test\r\nContent-Length: 0\r\n\r\n", () =>
          socket.resetAndDestroy(),
        ),
      );
    });
    let res: Response | undefined;
    await until(async () => {
      res = await fetch(`${base}/greetings/claim`, { method: "POST" });
      return res.status === 200;
    });
    expect(await res!.text()).toBe("Hello a");
  });

  it("refuses a bad visibility timeout with a clear error", async () => {
    for (const visibility of ["soon", "0s", "13h"]) {
      const res = await fetch(`${base}/greetings/claim?visibility=${visibility}`, { method: "POST" });
      expect(res.status).toBe(400);
      const body = (await res.json()) as { code: string; error: string };
      expect(body.code).toBe("STATEFUN_BAD_REQUEST");
      expect(body.error).toContain("visibility");
    }
    expect((await fetch(`${base}/nope/claim`, { method: "POST" })).status).toBe(404);
  });
});
