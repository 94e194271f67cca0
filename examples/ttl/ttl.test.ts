import { OffsetClock, Runtime } from "@statefun-ts/runtime";
import { MemoryStore } from "@statefun-ts/runtime/testing";
import { Types } from "@statefun-ts/sdk";
import { afterEach, describe, expect, it } from "vitest";
import ttlModule, { PageView, session } from "./module.js";

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

const MINUTE = 60_000;

describe("TTL example", () => {
  it("forgets the last page after 1 min, the cart 10 min after the last view, and the whole session after 30 min", async () => {
    const store = new MemoryStore();
    const clock = new OffsetClock();
    const rt = new Runtime({ store, clock, modules: [ttlModule] });
    runtime = rt;
    await rt.start();
    const lines: string[] = [];
    const view = async (page: string, add?: string) => {
      await rt.ingest({ target: session.at("ann"), argument: { typename: PageView.typename, value: PageView.serialize({ page, add }) } });
      for (;;) {
        const line = await rt.takeEgress("sessions");
        if (line !== undefined) {
          await line.ack();
          lines.push(Types.string.deserialize(line.record.argument.value));
          return;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const names = async () => (await rt.readState(session.at("ann"))).map((s) => s.name).sort();

    await view("/home");
    await view("/shoes", "red shoes");
    expect(await names()).toEqual(["cart", "lastPage", "views"]);
    clock.offset += 2 * MINUTE;
    expect(await names()).toEqual(["cart", "views"]);
    await view("/socks");
    expect(lines.at(-1)).toBe("ann: view 3 of /socks; cart: red shoes");
    clock.offset += 9 * MINUTE;
    await view("/hats");
    expect(lines.at(-1)).toBe("ann: view 4 of /hats; cart: red shoes");
    clock.offset += 11 * MINUTE;
    expect(await names()).toEqual(["views"]);
    clock.offset += 20 * MINUTE;
    expect(await rt.readState(session.at("ann"))).toEqual([]);
    // Deleted: the expired lastPage and cart rows, and the instance (with its views).
    expect(await rt.sweepExpired()).toBe(3);
    expect(await store.loadState(session.at("ann"))).toEqual([]);
    await view("/home");
    expect(lines).toEqual([
      "ann: view 1 of /home",
      "ann: view 2 of /shoes (from /home); cart: red shoes",
      "ann: view 3 of /socks; cart: red shoes",
      "ann: view 4 of /hats; cart: red shoes",
      "ann: view 1 of /home",
    ]);
  });
});
