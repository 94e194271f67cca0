import { statefulFunction, statefunModule, Types } from "@statefun-ts/sdk";
import { typed, until } from "@statefun-ts/test-kit";
import { afterEach, describe, expect, it } from "vitest";
import { Runtime } from "../runtime.js";
import { MemoryStore } from "../store/memory-store.js";
import type { CommitBatch, CommitResult } from "../store/types.js";

/** A memory store that keeps the size of each commit (units are invocations here: each consumes one message). */
class CountingStore extends MemoryStore {
  readonly consumedPerCommit: number[] = [];
  override async commit(batch: CommitBatch): Promise<CommitResult> {
    if (batch.ingress.length === 0) this.consumedPerCommit.push(batch.consumed.length);
    return super.commit(batch);
  }
}

const IDS = 50;
const chain = statefulFunction({
  typename: "test/chain",
  accepts: [Types.int],
  handler(ctx, message) {
    ctx.send(chain.at(String((Number(ctx.self.id) + 1) % IDS)), Types.int, message.as(Types.int) + 1);
  },
});

let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.stop();
  runtime = undefined;
});

describe("the commit pipeline's queue", () => {
  it("holds at most maxPendingCommits units: invocations wait for a commit instead of queueing their effects", async () => {
    const store = new CountingStore();
    runtime = new Runtime({ store, modules: [statefunModule({ functions: [chain] })], limits: { maxPendingCommits: 5 } });
    await runtime.start();
    const rt = runtime;
    // 50 messages go round at once: without the bound, each commit would carry the effects of all of them.
    await Promise.all(Array.from({ length: IDS }, (_, i) => rt.ingest({ target: chain.at(String(i)), argument: typed(Types.int, 0) })));
    await until(() => store.consumedPerCommit.reduce((a, b) => a + b, 0) >= 500);
    expect(Math.max(...store.consumedPerCommit)).toBeLessThanOrEqual(5);
  });
});
