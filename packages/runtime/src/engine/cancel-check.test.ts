import { describe, expect, it } from "vitest";
import { systemClock } from "../clock.js";
import { silentLogger } from "../observe.js";
import type { Store, StoredMessage } from "../store/types.js";
import { cancelChecked } from "./cancel-check.js";

const message = (seq: number, token?: string): StoredMessage => ({
  seq,
  keyGroup: seq % 4,
  target: { namespace: "t", type: "f", id: String(seq) },
  argument: { typename: "t/x", value: new Uint8Array() },
  dueAt: 1_000 + seq,
  cancellationToken: token,
});

/** A store whose delayed messages are `stored` (only `loadTimers` is used). */
function storeOf(stored: StoredMessage[], reads: unknown[]): Store {
  return {
    async loadTimers(keyGroups: readonly number[], after: { dueAt: number; seq: number } | undefined, until: number, limit: number) {
      reads.push({ keyGroups: [...keyGroups].sort(), until });
      return stored
        .filter((m) => keyGroups.includes(m.keyGroup) && m.dueAt! <= until)
        .filter((m) => after === undefined || m.dueAt! > after.dueAt || (m.dueAt === after.dueAt && m.seq > after.seq))
        .slice(0, limit);
    },
  } as unknown as Store;
}

describe("cancelChecked: delayed messages cancelled on another worker do not fire", () => {
  it("fires untokened messages at once, and tokened ones only if still stored, with one read", async () => {
    const reads: unknown[] = [];
    const fired: number[] = [];
    const dropped: number[] = [];
    const kept = message(2, "keep");
    const fire = cancelChecked({
      store: storeOf([kept], reads),
      fire: (m) => fired.push(m.seq),
      active: () => true,
      dropped: (m) => dropped.push(m.seq),
      clock: systemClock,
      logger: silentLogger,
    });
    fire(message(1));
    expect(fired).toEqual([1]);
    fire(kept);
    fire(message(3, "gone"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fired).toEqual([1, 2]);
    expect(dropped).toEqual([3]);
    expect(reads).toEqual([{ keyGroups: [2, 3], until: 1_003 }]);
  });

  it("drops nothing and fires nothing that is no longer active here", async () => {
    const fired: number[] = [];
    const dropped: number[] = [];
    const fire = cancelChecked({
      store: storeOf([message(5, "a")], []),
      fire: (m) => fired.push(m.seq),
      active: () => false,
      dropped: (m) => dropped.push(m.seq),
      clock: systemClock,
      logger: silentLogger,
    });
    fire(message(5, "a"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fired).toEqual([]);
    expect(dropped).toEqual([]);
  });
});
